"""Reads of connectors that pages (and later the API) share, always scoped to one organisation.

A connector that does not exist, or belongs to another organisation, raises
`core.errors.NotFound` (pages answer their 404 page).
"""

from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from accounts.models import Organisation
from core.errors import NotFound
from indicators import selectors as indicator_selectors

from .models import Connector, Feed, Run

LAST_RUN_FIELDS = ("status", "rows", "created", "updated", "unchanged", "dry_run")


def connectors_of(*, organisation: Organisation) -> QuerySet[Connector]:
    """The organisation's connectors with owner and survey, and the latest real run's fields
    as `last_status`, `last_rows`, `last_created`, `last_updated`, `last_unchanged` (one query)."""
    latest = Run.objects.filter(connector=OuterRef("pk"), dry_run=False).order_by(
        "-started_at", "-id"
    )
    annotations = {
        f"last_{name}": Subquery(latest.values(name)[:1])
        for name in LAST_RUN_FIELDS
        if name != "dry_run"
    }
    return (
        Connector.objects.filter(organisation=organisation)
        .select_related("owner", "survey", "organisation")
        .annotate(**annotations)
    )


def connector_by_code(*, organisation: Organisation, code: str) -> Connector:
    connector = connectors_of(organisation=organisation).filter(code=code).first()
    if connector is None:
        raise NotFound(f"No connector '{code}'.")
    return connector


def runs_of(connector: Connector) -> QuerySet[Run]:
    """The connector's run log, newest first."""
    return Run.objects.filter(connector=connector).order_by("-started_at", "-id")


def runs_since(connector: Connector, since: datetime) -> list[Run]:
    """The runs started since `since`, oldest first (the chart of rows per run)."""
    return list(
        Run.objects.filter(connector=connector, started_at__gte=since)
        .order_by("started_at", "id")
        .only("started_at", "finished_at", "status", "rows", "created", "updated", "dry_run")
    )


def feeds_of(connector: Connector) -> list[Feed]:
    """The indicators the connector has delivered to, by name; each Feed's `indicator` carries
    `stale` (the indicators' own rule, today in the organisation)."""
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
