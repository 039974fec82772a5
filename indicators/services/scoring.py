"""Rescore period-value series and keep the metric pipe's deviations in step."""

import math
from collections import defaultdict
from datetime import datetime

from ..compute.periods import previous_period_start
from ..compute.scoring import assessment, band_position, in_force, progress
from ..compute.spc import xmr_signals
from ..models import Deviation, DeviationKind, DeviationState, Indicator, PeriodValue
from .ingest import sqlite_parameter_limit

SCORED_FIELDS = [
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
OPEN_STATES = (DeviationState.OPEN, DeviationState.ACKNOWLEDGED)


def rescore_series(*, indicator: Indicator, series: set[tuple[str, str]], now: datetime) -> None:
    """Recompute the derived fields of every row of the given (period, segment) series."""
    if not series:
        return
    rows = PeriodValue.objects.filter(
        indicator=indicator,
        period__in={period for period, _ in series},
        segment__in={segment for _, segment in series},
    ).order_by("period_start")
    grouped = defaultdict(list)
    for row in rows:
        if (row.period, row.segment) in series:
            grouped[(row.period, row.segment)].append(row)
    targets = [(t.valid_from, t.value) for t in indicator.targets.all()]
    benchmarks = [(b.valid_from, b.value) for b in indicator.benchmarks.all()]
    changed = []
    for (period, _segment), series_rows in grouped.items():
        changed += _score_rows(indicator, period, series_rows, targets, benchmarks)
    # One upsert instead of bulk_update's CASE WHEN per row and field (linear in the rows).
    with sqlite_parameter_limit():
        PeriodValue.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["indicator", "period", "segment", "period_start"],
            update_fields=SCORED_FIELDS,
            batch_size=2000,
        )
    if (indicator.period, "") in series:
        sync_deviations(indicator=indicator, rows=grouped.get((indicator.period, ""), []))


def _score_rows(indicator, period, rows, targets, benchmarks) -> list[PeriodValue]:
    signals = _signals([row.value for row in rows])
    by_start = {row.period_start: row for row in rows}
    changed = []
    for row, signal in zip(rows, signals, strict=True):
        before = [getattr(row, name) for name in SCORED_FIELDS]
        previous_row = by_start.get(previous_period_start(row.period_start, period))
        row.previous = previous_row.value if previous_row else None
        row.change = _finite(row.value - row.previous) if row.previous is not None else None
        row.target = in_force(targets, row.period_start)
        row.progress = progress(row.value, indicator.baseline_value, row.target)
        row.benchmark = in_force(benchmarks, row.period_start)
        row.band_low, row.band_high = indicator.band_low, indicator.band_high
        row.position = band_position(row.value, row.band_low, row.band_high) or ""
        row.assessment = assessment(row.position or None, indicator.direction) or ""
        row.signal = signal or ""
        if [getattr(row, name) for name in SCORED_FIELDS] != before:
            changed.append(row)
    return changed


def _finite(number: float) -> float | None:
    """None instead of an infinity: values near the float limit can overflow a difference."""
    return number if math.isfinite(number) else None


def _signals(values: list[float]) -> list[str | None]:
    try:
        return xmr_signals(values)
    except OverflowError:  # the mean of values near the float limit; no limits, no signals
        return [None] * len(values)


def sync_deviations(*, indicator: Indicator, rows: list[PeriodValue]) -> None:
    """Open a deviation for each out-of-band value; close by data those back in the band."""
    existing = {d.period_start: d for d in indicator.deviations.filter(period=indicator.period)}
    seen = set()
    for row in rows:
        seen.add(row.period_start)
        deviation = existing.get(row.period_start)
        if row.position in ("below", "above"):
            _open_deviation(indicator, row, deviation)
        elif deviation is not None and deviation.state in OPEN_STATES:
            deviation.state = DeviationState.RESOLVED_BY_DATA
            deviation.value = row.value
            deviation.save(update_fields=["state", "value", "updated_at"])
    for start, deviation in existing.items():
        if start not in seen and deviation.state in OPEN_STATES:
            deviation.state = DeviationState.RESOLVED_BY_DATA
            deviation.save(update_fields=["state", "updated_at"])


def _open_deviation(indicator: Indicator, row: PeriodValue, deviation: Deviation | None) -> None:
    kind = DeviationKind.LEARNING if row.assessment == "better" else DeviationKind.CORRECTIVE
    action = indicator.action_below if row.position == "below" else indicator.action_above
    fields = {
        "kind": kind,
        "value": row.value,
        "band_low": row.band_low,
        "band_high": row.band_high,
        "action": action,
    }
    if deviation is None:
        Deviation.objects.create(
            indicator=indicator, period=indicator.period, period_start=row.period_start, **fields
        )
        return
    if deviation.state == DeviationState.RESOLVED_BY_DATA:
        fields["state"] = DeviationState.OPEN
    changed = {k: v for k, v in fields.items() if getattr(deviation, k) != v}
    if changed:
        for name, value in changed.items():
            setattr(deviation, name, value)
        deviation.save(update_fields=[*changed, "updated_at"])
