"""Reads shared by views, the API and the apps above, always scoped to one organisation.

An object that does not exist, or not in the organisation, raises `core.errors.NotFound`: the API
answers 404 with the error envelope, pages the 404 page, a task or a command its own way.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import RowNumber
from django.db.models.lookups import Exact

from accounts.models import Organisation
from core.errors import NotFound

from .compute.spc import xmr_signals
from .models import Band, Deviation, Indicator, Measurement, PeriodValue

__all__ = [
    "RatioParts",
    "band_in_force",
    "deviation_by_id",
    "deviation_signals",
    "deviations_of",
    "indicator_by_code",
    "indicator_values",
    "indicators_of",
    "indicators_with_latest",
    "indicators_with_latest_detail",
    "measurement_ratio_parts",
    "measurement_values",
    "recent_values_by_indicator",
    "segments_of",
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
    return (
        Indicator.objects.filter(organisation=organisation)
        .select_related("organisation", "owner_user")
        .prefetch_related(
            Prefetch("targets"),
            Prefetch("benchmarks"),
            Prefetch("bands", queryset=Band.objects.select_related("owner")),
        )
    )


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


def indicators_with_latest(*, organisation: Organisation) -> QuerySet[Indicator]:
    """Indicators annotated with the latest total value of their own period (one query)."""
    latest = PeriodValue.objects.filter(
        indicator=OuterRef("pk"), period=OuterRef("period"), segment=""
    ).order_by("-period_start")
    return Indicator.objects.filter(organisation=organisation).annotate(
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
    """The values answer of the API contract: period values whose start lies in [start, end]."""
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
    _add_signals(results, None if rows is series else series)
    return {
        "indicator": indicator.code,
        "period": period,
        "segment": segment or None,
        "computed_at": computed_at.isoformat() if computed_at else None,
        "results": results,
    }


def deviations_of(*, organisation: Organisation) -> QuerySet[Deviation]:
    return Deviation.objects.filter(indicator__organisation=organisation).select_related(
        "indicator"
    )


def indicators_with_latest_detail(*, organisation: Organisation) -> QuerySet[Indicator]:
    """`indicators_with_latest` plus the latest target, position and progress (still one query)."""
    latest = PeriodValue.objects.filter(
        indicator=OuterRef("pk"), period=OuterRef("period"), segment=""
    ).order_by("-period_start")
    return indicators_with_latest(organisation=organisation).annotate(
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


def _add_signals(results: list[dict], series: QuerySet | None) -> None:
    """XmR signals of the returned rows, with limits from the whole series, not the window
    (`series` None: the rows are the whole series)."""
    if not results:
        return
    if series is None:
        pairs = [(row["period_start"], row["value"]) for row in results]
    else:
        pairs = [
            (start.isoformat(), value)
            for start, value in series.order_by("period_start").values_list("period_start", "value")
        ]
    signals = xmr_signals([value for _, value in pairs])
    by_start = {start: signal for (start, _), signal in zip(pairs, signals, strict=True)}
    for row in results:
        row["signal"] = by_start.get(row["period_start"])


def deviation_signals(*, deviations) -> dict[int, str | None]:
    """The XmR signal of each deviation's value in its indicator's own series (total), by
    deviation id: "outside the band and a real change" when not None. One query for all."""
    deviations = list(deviations)
    if not deviations:
        return {}
    wanted = Q(pk__in=[])
    for deviation in deviations:
        wanted |= Q(indicator_id=deviation.indicator_id, period=deviation.period)
    series: dict[int, list[tuple[date, float]]] = {}
    rows = (
        PeriodValue.objects.filter(wanted, segment="")
        .order_by("indicator_id", "period_start")
        .values_list("indicator_id", "period_start", "value")
    )
    for indicator_id, start, value in rows:
        series.setdefault(indicator_id, []).append((start, value))
    by_indicator = {
        pk: dict(zip([s for s, _ in pairs], xmr_signals([v for _, v in pairs]), strict=True))
        for pk, pairs in series.items()
    }
    return {d.pk: by_indicator.get(d.indicator_id, {}).get(d.period_start) for d in deviations}


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
