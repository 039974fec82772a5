"""Period values: one series with its process limits and signals, the recent values of many
indicators, and the segments that have values."""

from datetime import date

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from ..compute.spc import SeriesChart, series_chart
from ..models import Indicator, PeriodValue

RESULT_FIELDS = [
    "period_start",
    "value",
    "count",
    "numerator",
    "denominator",
    *PeriodValue.DERIVED_FIELDS,
]


TEXT_FIELDS = {"position", "assessment"}


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


def total_series(*, indicator_ids, period: str) -> dict[int, dict[date, float]]:
    """{indicator id: {period start: value}} of the totals (all segments) at `period`, for the
    statistics of the apps above (one query; periods without a value are left out)."""
    series: dict[int, dict[date, float]] = {i: {} for i in indicator_ids}
    rows = PeriodValue.objects.filter(
        indicator_id__in=list(series), period=period, segment="", value__isnull=False
    ).order_by()
    for indicator_id, start, value in rows.values_list("indicator_id", "period_start", "value"):
        series[indicator_id][start] = value
    return series


def segments_of(*, indicator: Indicator) -> list[str]:
    """The segment series (`dim:member`) that have period values, sorted (one query)."""
    return sorted(
        PeriodValue.objects.filter(indicator=indicator)
        .exclude(segment="")
        .order_by()  # the model's ordering (period_start) would make DISTINCT keep every row
        .values_list("segment", flat=True)
        .distinct()
    )


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
