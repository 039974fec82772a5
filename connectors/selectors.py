"""Connector reads that the pages share, scoped to an organisation. An unknown code (or another
organisation's) raises `core.errors.NotFound`.

`connectors_of`, `connector_by_code` and `runs_of` have the signatures (and bodies) of the runs
work's selectors, which add the dashboard's and the indicator page's reads; the pages add
`runs_since` (the chart) and `feeds_of` (the indicators a connector fed, with their stale flag).
"""

from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet

from accounts.models import Organisation
from core.errors import NotFound
from indicators import selectors as indicator_selectors

from .models import Connector, Feed, Run

RUNS_PER_PAGE = 25


def connectors_of(organisation: Organisation) -> QuerySet[Connector]:
    """The organisation's connectors by name, with owner and survey, and `last_runs`: a list of
    at most one Run, the newest (`connector.last_runs.0` in a template). Two queries."""
    newest = Run.objects.order_by("-started_at", "-id")[:1]
    return (
        Connector.objects.filter(organisation=organisation)
        .select_related("owner", "survey")
        .prefetch_related(Prefetch("runs", queryset=newest, to_attr="last_runs"))
    )


def connector_by_code(organisation: Organisation, code: str) -> Connector:
    connector = (
        Connector.objects.filter(organisation=organisation, code=code)
        .select_related("organisation", "owner", "survey")
        .first()
    )
    if connector is None:
        raise NotFound(f"No connector '{code}'.")
    return connector


def runs_of(connector: Connector, *, page=None, per_page: int = RUNS_PER_PAGE) -> Page:
    """The connector's run log, newest first, one page (`page` as in `?page=`; a number out of
    range gives the last page)."""
    runs = Run.objects.filter(connector=connector).order_by("-started_at", "-id")
    return Paginator(runs, per_page).get_page(page)


def runs_since(connector: Connector, since: datetime) -> list[Run]:
    """The runs started since `since`, oldest first (the chart of rows per run)."""
    return list(
        Run.objects.filter(connector=connector, started_at__gte=since)
        .order_by("started_at", "id")
        .only("started_at", "status", "rows", "created", "updated", "dry_run")
    )


def feeds_of(connector: Connector) -> list[Feed]:
    """The indicators the connector has delivered to, by name; each Feed's `indicator` carries
    `stale` (the indicators' own rule, today in the organisation). Two queries."""
    feeds = list(Feed.objects.filter(connector=connector))
    indicators = {
        indicator.pk: indicator
        for indicator in indicator_selectors.indicators_with_latest(
            organisation=connector.organisation
        ).filter(pk__in=[feed.indicator_id for feed in feeds])
    }
    for feed in feeds:
        feed.indicator = indicators.get(feed.indicator_id)
    return sorted(
        (feed for feed in feeds if feed.indicator is not None),
        key=lambda feed: feed.indicator.name.lower(),
    )
