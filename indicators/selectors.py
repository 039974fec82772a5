"""Reads shared by views and the API, always scoped to one organisation."""

from datetime import date

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404

from accounts.models import Organisation

from .models import Deviation, Indicator, PeriodValue

RESULT_FIELDS = [
    "period_start",
    "value",
    "count",
    "numerator",
    "denominator",
    "target",
    "progress",
    "band_low",
    "band_high",
    "position",
    "assessment",
    "previous",
    "change",
    "benchmark",
    "signal",
]
TEXT_FIELDS = {"position", "assessment", "signal"}


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
    rows = PeriodValue.objects.filter(indicator=indicator, period=period, segment=segment)
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
