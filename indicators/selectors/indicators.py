"""Indicators of an organisation, one by code, the band in force, and the latest value and
staleness of each."""

from datetime import date, datetime
from operator import attrgetter

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.query import ModelIterable

from accounts.models import Organisation
from core.errors import NotFound

from ..compute.scoring import entry_in_force
from ..compute.stale import stale as _stale_rule
from ..models import Band, Indicator, PeriodValue


def indicators_of(*, organisation: Organisation) -> QuerySet[Indicator]:
    """Indicators with their targets, benchmarks and bands, and `latest_start` (the start of the
    latest total value of their own period, None without any), which `is_stale` reads."""
    return (
        Indicator.objects.filter(organisation=organisation)
        .select_related("organisation", "owner_user")
        .prefetch_related(
            Prefetch("targets"),
            Prefetch("benchmarks"),
            Prefetch("bands", queryset=Band.objects.select_related("owner")),
        )
        .annotate(latest_start=Subquery(_latest_values().values("period_start")[:1]))
    )


def _latest_values() -> QuerySet[PeriodValue]:
    """The total values of the outer indicator's own period, newest first (for subqueries)."""
    return PeriodValue.objects.filter(
        indicator=OuterRef("pk"), period=OuterRef("period"), segment=""
    ).order_by("-period_start")


def band_in_force(*, indicator: Indicator, on: date | None = None) -> Band | None:
    """The band version in force on `on` (default: today in the organisation's time zone), or
    None when none is (or the one in force has no limits). Uses `indicator.bands.all()`, so a
    prefetch of `bands` makes it free."""
    on = on or today_of(indicator.organisation)
    current = entry_in_force(indicator.bands.all(), on, valid_from=attrgetter("valid_from"))
    return current if current is not None and current.is_band else None


def indicator_by_code(*, organisation: Organisation, code: str) -> Indicator:
    indicator = indicators_of(organisation=organisation).filter(code=code).first()
    if indicator is None:
        raise NotFound(f"No indicator '{code}'.")
    return indicator


def indicators_by_code(*, organisation: Organisation, codes) -> dict[str, Indicator]:
    """{code: indicator} of the organisation's indicators among `codes` (unknown ones left out)."""
    return {i.code: i for i in indicators_of(organisation=organisation).filter(code__in=codes)}


def today_of(organisation: Organisation) -> date:
    """Today's date in the organisation's time zone."""
    return datetime.now(organisation.tz).date()


def is_stale(indicator: Indicator, latest_start: date | None, today: date) -> bool:
    """Whether `indicator`, whose latest value starts on `latest_start`, is stale on `today`
    (compute/stale.py: its period and its own grace, or the default of its period)."""
    return _stale_rule(
        latest_start=latest_start,
        period=indicator.period,
        today=today,
        grace=indicator.stale_grace_days,
    )


def latest_start_of(indicator: Indicator) -> date | None:
    """The start of the latest total value of the indicator's own period (None: no value); free
    on rows of `indicators_of` and `indicators_with_latest*`, which carry it."""
    if hasattr(indicator, "latest_start"):
        return indicator.latest_start
    return (
        PeriodValue.objects.filter(indicator=indicator, period=indicator.period, segment="")
        .order_by("-period_start")
        .values_list("period_start", flat=True)
        .first()
    )


def indicator_is_stale(indicator: Indicator, today: date | None = None) -> bool:
    """`is_stale` of one indicator today in its organisation (the API's read-only `stale`)."""
    today = today or today_of(indicator.organisation)
    return is_stale(indicator, latest_start_of(indicator), today)


def _rows_with_stale(today: date) -> type[ModelIterable]:
    class RowsWithStale(ModelIterable):
        """Model rows that also carry `stale` (from their `latest_start` annotation)."""

        def __iter__(self):
            for indicator in super().__iter__():
                indicator.stale = is_stale(indicator, indicator.latest_start, today)
                yield indicator

    return RowsWithStale


def indicators_with_latest(
    *, organisation: Organisation, today: date | None = None
) -> QuerySet[Indicator]:
    """Indicators annotated with the latest total value of their own period (one query); each
    row also has `stale` (compute/stale.py) on `today` (default: today in the organisation)."""
    latest = _latest_values()
    rows = Indicator.objects.filter(organisation=organisation)
    rows._iterable_class = _rows_with_stale(today or today_of(organisation))
    return rows.annotate(
        latest_start=Subquery(latest.values("period_start")[:1]),
        latest_value=Subquery(latest.values("value")[:1]),
        latest_assessment=Subquery(latest.values("assessment")[:1]),
        latest_change=Subquery(latest.values("change")[:1]),
    )


def indicators_with_latest_detail(
    *, organisation: Organisation, today: date | None = None
) -> QuerySet[Indicator]:
    """`indicators_with_latest` plus the latest target, position and progress (still one query)."""
    latest = _latest_values()
    return indicators_with_latest(organisation=organisation, today=today).annotate(
        latest_target=Subquery(latest.values("target")[:1]),
        latest_position=Subquery(latest.values("position")[:1]),
        latest_progress=Subquery(latest.values("progress")[:1]),
        latest_band_low=Subquery(latest.values("band_low")[:1]),
        latest_band_high=Subquery(latest.values("band_high")[:1]),
    )


def stale_indicators(*, indicators) -> list[Indicator]:
    """The stale ones of rows of `indicators_with_latest*`, longest without a value first."""
    return sorted(
        (indicator for indicator in indicators if indicator.stale),
        key=lambda indicator: (indicator.latest_start, indicator.name.lower()),
    )
