"""Deviations of an organisation: lists, one by id, their XmR signals, and those needing action."""

from datetime import date

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from accounts.models import Organisation
from core.errors import NotFound

from ..models import Deviation, DeviationChange, PeriodValue
from .values import _series_chart


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


def deviation_by_id(*, organisation: Organisation, pk: int) -> Deviation:
    deviation = deviations_of(organisation=organisation).filter(pk=pk).first()
    if deviation is None:
        raise NotFound(f"No deviation {pk}.")
    return deviation


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
