"""Reads shared by views and the API, always scoped to one organisation."""

from datetime import date

from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from accounts.models import Organisation

from .compute.spc import xmr_signals
from .models import Deviation, Indicator, PeriodValue

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
    return Indicator.objects.filter(organisation=organisation).prefetch_related(
        Prefetch("targets"), Prefetch("benchmarks")
    )


def indicator_by_code(*, organisation: Organisation, code: str) -> Indicator:
    indicator = indicators_of(organisation=organisation).filter(code=code).first()
    if indicator is None:
        raise Http404(f"No indicator '{code}'.")
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
        raise Http404(f"No deviation {pk}.")
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
