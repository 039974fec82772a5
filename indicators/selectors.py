"""Reads shared by views, the API and the apps above, always scoped to one organisation.

An object that does not exist, or not in the organisation, raises `core.errors.NotFound`: the API
answers 404 with the error envelope, pages the 404 page, a task or a command its own way.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, RowNumber
from django.db.models.lookups import Exact
from django.db.models.query import ModelIterable

from accounts.models import Organisation
from core.errors import NotFound

from .compute.spc import SeriesChart, series_chart
from .compute.stale import stale as _stale_rule
from .models import (
    Band,
    Deviation,
    DeviationChange,
    Indicator,
    Measurement,
    PeriodValue,
    ValueComment,
    Webhook,
    WebhookDelivery,
)

__all__ = [
    "RatioParts",
    "band_in_force",
    "comments_of",
    "deviation_by_id",
    "deviation_signals",
    "deviations_needing_action",
    "deviations_of",
    "deviations_with_history",
    "indicator_by_code",
    "indicator_values",
    "indicators_of",
    "indicators_with_latest",
    "indicators_with_latest_detail",
    "indicator_is_stale",
    "is_stale",
    "latest_start_of",
    "measurement_ratio_parts",
    "measurement_values",
    "open_deviation_counts",
    "recent_values_by_indicator",
    "recent_values_with_limits",
    "segments_of",
    "stale_indicators",
    "today_of",
    "webhook_by_id",
    "webhook_deliveries_of",
    "webhook_delivery_by_id",
    "webhooks_of",
]

RESULT_FIELDS = [
    "period_start",
    "value",
    "count",
    "numerator",
    "denominator",
    *PeriodValue.DERIVED_FIELDS,
]
TEXT_FIELDS = {"position", "assessment"}


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
    on = on or datetime.now(indicator.organisation.tz).date()
    current = None
    for band in indicator.bands.all():
        if band.valid_from <= on and (current is None or band.valid_from >= current.valid_from):
            current = band
    return current if current is not None and current.is_band else None


def indicator_by_code(*, organisation: Organisation, code: str) -> Indicator:
    indicator = indicators_of(organisation=organisation).filter(code=code).first()
    if indicator is None:
        raise NotFound(f"No indicator '{code}'.")
    return indicator


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


def indicator_values(
    *,
    indicator: Indicator,
    period: str,
    start: date | None = None,
    end: date | None = None,
    segment: str = "",
) -> dict:
    """The values answer of the API contract: period values whose start lies in [start, end].

    Each row carries the natural process limits in force for its period (`centre`,
    `lower_limit`, `upper_limit`) and its `signal` (compute/spc.py), computed over the whole
    series by the indicator's baseline window; `limits` lists the phases of the limits."""
    series = PeriodValue.objects.filter(indicator=indicator, period=period, segment=segment)
    rows = series
    if start:
        rows = rows.filter(period_start__gte=start)
    if end:
        rows = rows.filter(period_start__lte=end)
    results, computed_at = [], None
    for row in rows.order_by("period_start").values(*RESULT_FIELDS, "computed_at"):
        stamp = row.pop("computed_at")
        computed_at = stamp if computed_at is None or stamp > computed_at else computed_at
        for name in TEXT_FIELDS:
            row[name] = row[name] or None
        row["period_start"] = row["period_start"].isoformat()
        results.append(row)
    limits = _add_signals(results, None if rows is series else series, indicator)
    return {
        "indicator": indicator.code,
        "period": period,
        "segment": segment or None,
        "computed_at": computed_at.isoformat() if computed_at else None,
        "limits": limits,
        "results": results,
    }


def deviations_of(*, organisation: Organisation) -> QuerySet[Deviation]:
    return Deviation.objects.filter(indicator__organisation=organisation).select_related(
        "indicator"
    )


def deviations_with_history(*, organisation: Organisation) -> QuerySet[Deviation]:
    """`deviations_of` with each one's owner and history (who, old and new owner) loaded: a
    page of them costs three queries however long it is."""
    history = DeviationChange.objects.select_related("by", "old_owner", "new_owner")
    return (
        deviations_of(organisation=organisation)
        .select_related("owner")
        .prefetch_related(Prefetch("history", queryset=history))
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


def recent_values_by_indicator(*, indicators, count: int = 12) -> dict[int, list[dict]]:
    """The last `count` total values of each indicator's own period, oldest first (one query)."""
    indicators = list(indicators)
    if not indicators:
        return {}
    by_period: dict[str, list[int]] = {}
    for indicator in indicators:
        by_period.setdefault(indicator.period, []).append(indicator.pk)
    own_period = Q(pk__in=[])
    for period, ids in by_period.items():
        own_period |= Q(period=period, indicator_id__in=ids)
    rows = (
        PeriodValue.objects.filter(own_period, segment="")
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("indicator_id")], order_by=F("period_start").desc()
            )
        )
        .filter(rank__lte=count)
        .values(
            "indicator_id",
            "period_start",
            "value",
            "target",
            "band_low",
            "band_high",
            "assessment",
            "benchmark",
        )
    )
    result: dict[int, list[dict]] = {indicator.pk: [] for indicator in indicators}
    for row in rows:
        result[row["indicator_id"]].append(row)
    for series in result.values():
        series.sort(key=lambda row: row["period_start"])
    return result


def segments_of(*, indicator: Indicator) -> list[str]:
    """The segment series (`dim:member`) that have period values, sorted (one query)."""
    return sorted(
        PeriodValue.objects.filter(indicator=indicator)
        .exclude(segment="")
        .order_by()  # the model's ordering (period_start) would make DISTINCT keep every row
        .values_list("segment", flat=True)
        .distinct()
    )


def deviation_by_id(*, organisation: Organisation, pk: int) -> Deviation:
    deviation = deviations_of(organisation=organisation).filter(pk=pk).first()
    if deviation is None:
        raise NotFound(f"No deviation {pk}.")
    return deviation


def _add_signals(results: list[dict], series: QuerySet | None, indicator: Indicator) -> list[dict]:
    """Limits in force and the signal of each returned row, from the whole series, not the
    window (`series` None: the rows are the whole series); answers the phases (`limits`)."""
    if not results:
        return []
    if series is None:
        pairs = [(date.fromisoformat(row["period_start"]), row["value"]) for row in results]
    else:
        pairs = list(series.order_by("period_start").values_list("period_start", "value"))
    chart = _series_chart(pairs, indicator)
    for row in results:
        row.update(chart.point(date.fromisoformat(row["period_start"])))
    return chart.phases()


def _series_chart(
    pairs: list[tuple[date, float | None]],
    indicator: Indicator | None = None,
    *,
    settings: tuple | None = None,
) -> SeriesChart:
    """The XmR chart of (period start, value) pairs by the indicator's SPC settings (or
    `settings` = (baseline_from, baseline_points, two_of_three))."""
    if settings is None:
        settings = (
            indicator.spc_baseline_from,
            indicator.spc_baseline_points,
            indicator.spc_two_of_three,
        )
    baseline_from, baseline_points, two_of_three = settings
    return series_chart(
        pairs,
        baseline_from=baseline_from,
        baseline_points=baseline_points,
        two_of_three=two_of_three,
    )


def deviation_signals(*, deviations) -> dict[int, str | None]:
    """The XmR signal of each deviation's value in its indicator's own series (total), by
    deviation id, by the indicator's SPC settings (the same answer as the values API): "outside
    the band and a real change" when not None. One query for all."""
    deviations = list(deviations)
    if not deviations:
        return {}
    wanted = Q(pk__in=[])
    for deviation in deviations:
        wanted |= Q(indicator_id=deviation.indicator_id, period=deviation.period)
    series: dict[tuple, list[tuple[date, float | None]]] = {}
    rows = (
        PeriodValue.objects.filter(wanted, segment="")
        .order_by("indicator_id", "period_start")
        .values_list(
            "indicator_id",
            "indicator__spc_baseline_from",
            "indicator__spc_baseline_points",
            "indicator__spc_two_of_three",
            "period_start",
            "value",
        )
    )
    for indicator_id, baseline_from, points, two_of_three, start, value in rows:
        key = (indicator_id, (baseline_from, points, two_of_three))
        series.setdefault(key, []).append((start, value))
    charts = {
        indicator_id: _series_chart(pairs, settings=settings)
        for (indicator_id, settings), pairs in series.items()
    }
    return {
        d.pk: charts[d.indicator_id].point(d.period_start)["signal"]
        if d.indicator_id in charts
        else None
        for d in deviations
    }


def recent_values_with_limits(*, indicators, count: int = 12) -> dict[int, list[dict]]:
    """`recent_values_by_indicator` whose rows also carry `centre`, `lower_limit`, `upper_limit`
    and `signal`, from each indicator's whole total series (one more query)."""
    indicators = list(indicators)
    recent = recent_values_by_indicator(indicators=indicators, count=count)
    if not indicators:
        return recent
    own_period = Q(pk__in=[])
    for indicator in indicators:
        own_period |= Q(period=indicator.period, indicator_id=indicator.pk)
    series: dict[int, list[tuple[date, float | None]]] = {}
    for indicator_id, start, value in (
        PeriodValue.objects.filter(own_period, segment="")
        .order_by("indicator_id", "period_start")
        .values_list("indicator_id", "period_start", "value")
    ):
        series.setdefault(indicator_id, []).append((start, value))
    for indicator in indicators:
        chart = _series_chart(series.get(indicator.pk, []), indicator)
        for row in recent[indicator.pk]:
            row.update(chart.point(row["period_start"]))
    return recent


def _member_measurements(
    *, organisation: Organisation, code: str, dimension: str, member: str, start: date, end: date
) -> QuerySet[Measurement]:
    """Measurements of `code` whose segment has `dimension` = `member` exactly, observed on a
    local day (the organisation's time zone) in [start, end], both inclusive."""
    indicator = indicator_by_code(organisation=organisation, code=code)
    # One key, not a lookup path ("a__b" is a key); a plain text comparison of its member.
    return Measurement.objects.filter(
        Exact(KeyTextTransform(dimension, "segment"), member),
        indicator=indicator,
        local_date__gte=start,
        local_date__lte=end,
    )


def measurement_values(
    *, organisation: Organisation, code: str, dimension: str, member: str, start: date, end: date
) -> list[float]:
    """The raw values of one segment member over [start, end] (local days, inclusive), in time
    order, for tests on means (an experiment's Welch test). Measurements without a value (a
    ratio indicator's) are left out; raises NotFound for an indicator not in `organisation`."""
    rows = _member_measurements(
        organisation=organisation,
        code=code,
        dimension=dimension,
        member=member,
        start=start,
        end=end,
    )
    return list(
        rows.filter(value__isnull=False)
        .order_by("observed_at", "id")
        .values_list("value", flat=True)
    )


@dataclass(frozen=True)
class RatioParts:
    """Summed numerators and denominators of the measurements that have both, and how many."""

    numerator: float
    denominator: float
    n: int


def measurement_ratio_parts(
    *, organisation: Organisation, code: str, dimension: str, member: str, start: date, end: date
) -> RatioParts:
    """sum(numerator), sum(denominator) and n over the measurements of one segment member in
    [start, end] (local days, inclusive) that carry both, as a ratio aggregates them: for
    tests on proportions (an experiment's two-proportion z-test). Raises NotFound for an
    indicator not in `organisation`."""
    rows = _member_measurements(
        organisation=organisation,
        code=code,
        dimension=dimension,
        member=member,
        start=start,
        end=end,
    )
    sums = rows.filter(numerator__isnull=False, denominator__isnull=False).aggregate(
        numerator=Sum("numerator"), denominator=Sum("denominator"), n=Count("id")
    )
    return RatioParts(
        numerator=sums["numerator"] or 0.0, denominator=sums["denominator"] or 0.0, n=sums["n"]
    )


# Webhooks (H4): the admin pages' reads.


def webhooks_of(*, organisation: Organisation) -> QuerySet[Webhook]:
    """The organisation's webhooks, each with its last delivery's state and time."""
    last = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-id")
    return Webhook.objects.filter(organisation=organisation).annotate(
        last_state=Subquery(last.values("state")[:1]),
        last_delivery_at=Subquery(last.values("created_at")[:1]),
    )


def webhook_by_id(*, organisation: Organisation, pk: int) -> Webhook:
    webhook = Webhook.objects.filter(organisation=organisation, pk=pk).first()
    if webhook is None:
        raise NotFound(f"webhook {pk}")
    return webhook


def webhook_deliveries_of(*, webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """Newest first."""
    return webhook.deliveries.order_by("-created_at", "-id")


def webhook_delivery_by_id(*, organisation: Organisation, pk: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.filter(webhook__organisation=organisation, pk=pk)
        .select_related("webhook")
        .first()
    )
    if delivery is None:
        raise NotFound(f"webhook delivery {pk}")
    return delivery


def stale_indicators(*, indicators) -> list[Indicator]:
    """The stale ones of rows of `indicators_with_latest*`, longest without a value first."""
    return sorted(
        (indicator for indicator in indicators if indicator.stale),
        key=lambda indicator: (indicator.latest_start, indicator.name.lower()),
    )


def comments_of(
    *, indicator: Indicator, period: str, start: date | None = None, end: date | None = None
) -> QuerySet[ValueComment]:
    """Comments on the indicator's values of `period` whose period start lies in [start, end]
    (both inclusive, either open), oldest period first, with their authors."""
    rows = ValueComment.objects.filter(indicator=indicator, period=period).select_related("author")
    if start:
        rows = rows.filter(period_start__gte=start)
    if end:
        rows = rows.filter(period_start__lte=end)
    return rows.order_by("period_start", "created_at", "id")


# Deviations someone still has to act on: open, or acknowledged and not closed yet.
NEEDING_ACTION = ("open", "acknowledged")


def open_deviation_counts(*, organisation: Organisation) -> dict[str, int]:
    """{"corrective": n, "learning": n} of the deviations needing action (one query)."""
    counts = deviations_of(organisation=organisation).filter(state__in=NEEDING_ACTION)
    totals = counts.aggregate(
        corrective=Count("pk", filter=Q(kind="corrective")),
        learning=Count("pk", filter=Q(kind="learning")),
    )
    return {kind: totals[kind] or 0 for kind in ("corrective", "learning")}


def deviations_needing_action(
    *, organisation: Organisation, order: str, limit: int = 3
) -> list[Deviation]:
    """The first `limit` deviations needing action, `order` "biggest" (largest miss in band
    widths first, those without a miss last) or "oldest" (open longest first); one query with
    their indicators."""
    rows = deviations_of(organisation=organisation).filter(state__in=NEEDING_ACTION)
    if order == "biggest":
        rows = rows.order_by(F("miss").desc(nulls_last=True), "opened_at", "pk")
    else:
        rows = rows.order_by(Coalesce("opened_at", "created_at"), "pk")
    return list(rows[:limit])
