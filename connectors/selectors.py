"""Connector reads that the pages, the dashboard and the indicator page share, scoped to an
organisation. An unknown code (or another organisation's) raises `core.errors.NotFound`.

`runs_since` (the chart of rows per run) and `feeds_of` (the indicators a connector fed) are the
pages' reads, kept here as the pages work wrote them.

State words used everywhere a connector is shown (`state_of`):
- "paused": paused by an admin (no scheduled runs; webhook calls refused);
- "failing": its last run failed for good (all attempts), `failures_in_row` > 0;
- "ok": otherwise (including a connector that has not run yet).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organisation
from core.errors import NotFound
from indicators import selectors as indicator_selectors
from indicators.sources import Source

from .models import Connector, ConnectorKind, Feed, Run, RunStatus

RUNS_PER_PAGE = 25
OK, FAILING, PAUSED = "ok", "failing", "paused"


def state_of(connector: Connector) -> str:
    if connector.paused:
        return PAUSED
    return FAILING if connector.failures_in_row > 0 else OK


def connectors_of(organisation: Organisation) -> QuerySet[Connector]:
    """The organisation's connectors by name, with owner and survey, and `last_runs`: a list of
    at most one Run, the newest (`connector.last_runs.0` in a template). Two queries."""
    newest = Run.objects.order_by("-started_at", "-id")[:1]
    return (
        Connector.objects.filter(organisation=organisation)
        .select_related("owner", "survey")
        .prefetch_related(Prefetch("runs", queryset=newest, to_attr="last_runs"))
    )


def has_connector(organisation: Organisation):
    """An expression, true when `organisation` has a connector, to ride on another query."""
    return Exists(Connector.objects.filter(organisation=organisation))


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


@dataclass
class Health:
    """The dashboard's view of the organisation's connectors."""

    total: int = 0
    ok: int = 0
    failing: int = 0
    paused: int = 0
    # Failing connectors (worst streak first), each with `owner` and `last_message`.
    failing_connectors: list = field(default_factory=list)
    last_delivered_at: datetime | None = None  # the newest run that brought something


def health_summary(organisation: Organisation) -> Health:
    """Counts by state, the failing connectors with their last failure's message, and when data
    last arrived (a non-dry run that succeeded having read something). One query."""
    runs = Run.objects.filter(connector=OuterRef("pk"), dry_run=False).order_by(
        "-started_at", "-id"
    )
    connectors = list(
        Connector.objects.filter(organisation=organisation)
        .select_related("owner")
        .annotate(
            last_message=Subquery(runs.filter(status=RunStatus.FAILED).values("message")[:1]),
            last_delivered_at=Subquery(
                runs.filter(status=RunStatus.SUCCEEDED, rows__gt=0).values("finished_at")[:1]
            ),
        )
    )
    health = Health(total=len(connectors))
    for connector in connectors:
        state = state_of(connector)
        setattr(health, state, getattr(health, state) + 1)
        if state == FAILING:
            health.failing_connectors.append(connector)
        delivered = connector.last_delivered_at
        if delivered and (health.last_delivered_at is None or delivered > health.last_delivered_at):
            health.last_delivered_at = delivered
    health.failing_connectors.sort(key=lambda c: (-c.failures_in_row, c.name.lower()))
    return health


def _label(connector: Connector) -> str:
    kind = capfirst(ConnectorKind(connector.kind).label)
    return _("%(kind)s: %(name)s") % {"kind": kind, "name": connector.name}


def _detail(state: str, connector: Connector, delivered: datetime, now: datetime) -> str:
    ago = timesince(delivered, now)
    if state == PAUSED:
        return _("paused, last delivered %(ago)s ago") % {"ago": ago}
    if state == FAILING:
        count = connector.failures_in_row
        return ngettext(
            "failed %(count)s time in a row, last delivered %(ago)s ago",
            "failed %(count)s times in a row, last delivered %(ago)s ago",
            count,
        ) % {"count": count, "ago": ago}
    return _("last delivered %(ago)s ago") % {"ago": ago}


def sources_of(indicator) -> list[Source]:
    """Each connector that has delivered to `indicator` (its Feed rows), by name, as the
    indicator page's "where the numbers come from" lists them. One query."""
    feeds = (
        Feed.objects.filter(indicator=indicator)
        .select_related("connector")
        .order_by("connector__name", "connector__code")
    )
    now = timezone.now()
    sources = []
    for feed in feeds:
        connector = feed.connector
        state = state_of(connector)
        sources.append(
            Source(
                label=_label(connector),
                url=reverse("connector-detail", args=[connector.code]),
                state=state,
                detail=_detail(state, connector, feed.last_delivered_at, now),
            )
        )
    return sources
