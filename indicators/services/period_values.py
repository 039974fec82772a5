"""Store period values (value and every derived field) and keep the metric pipe's deviations in step."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from core.db import binary_cursor, columns, sqlite_parameter_limit

from ..compute.periods import next_period_start, previous_period_start
from ..compute.scoring import assessment, band_position, in_force, progress
from ..models import (
    Deviation,
    DeviationChange,
    DeviationKind,
    DeviationState,
    Indicator,
    PeriodValue,
)

ROW_FIELDS = list(PeriodValue.DERIVED_FIELDS)
OPEN_STATES = (DeviationState.OPEN, DeviationState.ACKNOWLEDGED)
Series = tuple[str, str]  # (period, segment)


VALUE_FIELDS = ["value", "count", "numerator", "denominator", "computed_at"]
UNIQUE_FIELDS = ["indicator", "period", "segment", "period_start"]


def store_and_rescore(
    *,
    indicator: Indicator,
    buckets: dict[str, set[date]],
    computed: dict,
    schedule: "Schedule",
    now: datetime,
    rows: dict | None = None,
) -> set[tuple[int, str, date]]:
    """Write the computed values of `buckets` and rescore what they touch, in one pass; return
    the (indicator, period, period start) of every row inserted, changed or deleted.

    Rows of the buckets without a computed value are deleted. A stored row whose value,
    numerator and denominator are the computed ones up to the last bits (`same_number`) and
    whose count is the same keeps them, so summing in another order rewrites nothing. The
    touched periods and the ones after them (previous, change) are rescored, and the metric
    pipe's deviations follow. XmR signals are derived when a series is read: they depend on the
    whole series, so storing them would rewrite it on every change. `rows`, if given, are the
    stored rows from `rows_around`.
    """
    rows = rows_around(indicator, buckets) if rows is None else rows
    touched: dict[Series, set[date]] = defaultdict(set)
    gone, gone_keys = [], set()
    for (period, segment), by_start in rows.items():
        for start in [s for s in by_start if s in buckets[period]]:
            result = computed.get((period, segment, start))
            if result is None or result.value is None:
                gone.append(by_start.pop(start).pk)
                gone_keys.add((indicator.pk, period, start))
                touched[(period, segment)].add(start)
    changed = {}
    for (period, segment, start), result in computed.items():
        if result.value is None:
            continue
        touched[(period, segment)].add(start)
        row = rows[(period, segment)].get(start)
        if row is not None and _same_aggregate(row, result):
            continue
        row = row or Row.new(indicator.pk, period, segment, start)
        row.value, row.count = result.value, result.count
        row.numerator, row.denominator = result.numerator, result.denominator
        rows[(period, segment)][start] = changed[id(row)] = row
    for row in _rescored(indicator, rows, touched, schedule):
        changed[id(row)] = row
    for row in changed.values():
        row.computed_at = now
    _write(gone, list(changed.values()))
    own = (indicator.period, "")
    if own in touched:
        sync_deviations(
            indicator=indicator, rows=rows.get(own, {}), starts=touched[own], schedule=schedule
        )
    return gone_keys | {
        (row.indicator_id, row.period, row.period_start) for row in changed.values()
    }


# Two sums of the same doubles in another order differ in their last bits (a few units of
# 2**-52 relative); a real change, even of a millionth, is far above this.
REL_TOL = 1e-12


def same_number(a: float | None, b: float | None) -> bool:
    """Equal up to REL_TOL relative: |a - b| <= REL_TOL * max(|a|, |b|); None only equals None."""
    if a is None or b is None:
        return a is b
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def _same_aggregate(row: "Row", result) -> bool:
    return (
        row.count == result.count
        and same_number(row.value, result.value)
        and same_number(row.numerator, result.numerator)
        and same_number(row.denominator, result.denominator)
    )


def _rescored(indicator, rows: dict, touched: dict[Series, set[date]], schedule) -> list["Row"]:
    """The rows whose derived fields changed: touched periods and the periods after them."""
    changed = []
    for (period, segment), starts in touched.items():
        by_start = rows.get((period, segment), {})
        for start in starts | {next_period_start(s, period) for s in starts}:
            row = by_start.get(start)
            if row is not None and _score(indicator, period, row, by_start, schedule):
                changed.append(row)
    return changed


UPSERT_SQL = """
INSERT INTO indicators_periodvalue
    (indicator_id, period, segment, period_start, value, count, numerator, denominator,
     computed_at, {derived})
SELECT * FROM unnest(%b::bigint[], %b::text[], %b::text[], %b::date[], %b::float8[], %b::int[],
                     %b::float8[], %b::float8[], %b::timestamptz[], {derived_arrays})
ON CONFLICT (indicator_id, period, segment, period_start) DO UPDATE SET {updates}
"""
_TEXT_DERIVED = {"position", "assessment"}
_UPSERT = UPSERT_SQL.format(
    derived=", ".join(ROW_FIELDS),
    derived_arrays=", ".join(
        "%b::text[]" if name in _TEXT_DERIVED else "%b::float8[]" for name in ROW_FIELDS
    ),
    updates=", ".join(f"{name} = EXCLUDED.{name}" for name in VALUE_FIELDS + ROW_FIELDS),
)


def _write(gone: list[int], changed: list["Row"]) -> None:
    PeriodValue.objects.filter(pk__in=gone).delete()
    if changed and connection.vendor == "postgresql":
        # One statement over arrays: no ORM object-to-SQL work per row (a rebuild writes many).
        names = ["indicator_id", "period", "segment", "period_start", *VALUE_FIELDS, *ROW_FIELDS]
        with binary_cursor() as cursor:
            cursor.execute(_UPSERT, columns(changed, *names))
        return
    with sqlite_parameter_limit():
        PeriodValue.objects.bulk_create(
            [row.as_model() for row in changed],
            update_conflicts=True,
            unique_fields=UNIQUE_FIELDS,
            update_fields=VALUE_FIELDS + ROW_FIELDS,
            batch_size=2000,
        )


def rows_around(indicator: Indicator, buckets: dict[str, set[date]], extra=None) -> dict:
    """Stored rows of every segment from the period before the first bucket to the one after
    the last (and over the `extra` ranges by period), by series and start: one range per period
    keeps the query small."""
    ranges = dict(extra or {})
    for period, starts in buckets.items():
        if starts:
            low = previous_period_start(min(starts), period)
            high = next_period_start(max(starts), period)
            known = ranges.get(period)
            ranges[period] = (min(low, known[0]), max(high, known[1])) if known else (low, high)
    rows = defaultdict(dict)
    for values in _select_ranges(indicator, ranges):
        row = Row(*values)
        rows[(row.period, row.segment)][row.period_start] = row
    return rows


def _select_ranges(indicator: Indicator, ranges: dict[str, tuple[date, date]]):
    if not ranges:
        return []
    if connection.vendor == "postgresql":
        # Raw and binary: on this hot path the ORM's compile and text parsing cost more than the
        # query itself. One index range per period, whatever the statistics say (after a
        # rebuild they may describe the table as it was).
        one = (
            f"SELECT {', '.join(Row.COLUMNS)} FROM indicators_periodvalue"
            " WHERE indicator_id = %b AND period = %b AND period_start BETWEEN %b AND %b"
        )
        sql = " UNION ALL ".join([one] * len(ranges))
        params = [
            v for period, (low, high) in ranges.items() for v in (indicator.pk, period, low, high)
        ]
        with binary_cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    condition = Q(pk__in=[])
    for period, (low, high) in ranges.items():
        condition |= Q(period=period, period_start__gte=low, period_start__lte=high)
    return (
        PeriodValue.objects.filter(indicator=indicator).filter(condition).values_list(*Row.COLUMNS)
    )


@dataclass(slots=True)
class Row:
    """A period value as the recompute handles it: plain attributes, no model instance to build
    for each of the hundreds of rows around a bucket."""

    COLUMNS: ClassVar[tuple] = (
        "id",
        "indicator_id",
        "period",
        "segment",
        "period_start",
        "value",
        "count",
        "numerator",
        "denominator",
        "computed_at",
        *PeriodValue.DERIVED_FIELDS,
    )

    pk: int | None
    indicator_id: int
    period: str
    segment: str
    period_start: date
    value: float | None = None
    count: int = 0
    numerator: float | None = None
    denominator: float | None = None
    computed_at: datetime | None = None
    target: float | None = None
    progress: float | None = None
    band_low: float | None = None
    band_high: float | None = None
    position: str = ""
    assessment: str = ""
    previous: float | None = None
    change: float | None = None
    benchmark: float | None = None

    @classmethod
    def new(cls, indicator_id: int, period: str, segment: str, start: date) -> "Row":
        return cls(None, indicator_id, period, segment, start)

    def as_model(self) -> PeriodValue:
        fields = {name: getattr(self, name) for name in self.COLUMNS[1:]}
        return PeriodValue(id=self.pk, **fields)


def _score(indicator, period, row, by_start, schedule) -> bool:
    """Set the row's derived fields; True if any of them changed."""
    before = [getattr(row, name) for name in ROW_FIELDS]
    previous_row = by_start.get(previous_period_start(row.period_start, period))
    row.previous = previous_row.value if previous_row else None
    row.change = _finite(row.value - row.previous) if row.previous is not None else None
    row.target = in_force(schedule.targets, row.period_start)
    row.progress = progress(row.value, indicator.baseline_value, row.target)
    row.benchmark = in_force(schedule.benchmarks, row.period_start)
    band = in_force(schedule.bands, row.period_start)
    row.band_low, row.band_high = (band.low, band.high) if band else (None, None)
    row.position = band_position(row.value, row.band_low, row.band_high) or ""
    row.assessment = assessment(row.position or None, indicator.direction) or ""
    return [getattr(row, name) for name in ROW_FIELDS] != before


def _finite(number: float) -> float | None:
    """None instead of an infinity: values near the float limit can overflow a difference."""
    return number if math.isfinite(number) else None


def sync_deviations(
    *, indicator: Indicator, rows: dict[date, "Row"], starts, schedule: "Schedule"
) -> None:
    """Open a deviation for each out-of-band value among `starts`; resolve by data the ones
    whose value came back into the band or is gone. Each state this changes is kept as a
    `DeviationChange` by nobody (the recompute), written in one statement with the new
    deviations in another; nothing is written when nothing changed."""
    if not starts:
        return
    # Raw: on the hot path of every bucket, building the ORM query cost more than running it.
    between = Deviation.objects.raw(
        "SELECT * FROM indicators_deviation WHERE indicator_id = %s AND period = %s"
        " AND period_start BETWEEN %s AND %s",
        [indicator.pk, indicator.period, min(starts), max(starts)],
    )
    existing = {d.period_start: d for d in between if d.period_start in starts}
    now = timezone.now()
    new, changes = [], []
    for start in sorted(starts):
        row, deviation = rows.get(start), existing.get(start)
        if row is not None and row.position in ("below", "above"):
            band = in_force(schedule.bands, start)
            opened = _open_deviation(indicator, row, deviation, band, now)
            if deviation is None:
                new.append(opened)
            elif opened is not None:
                changes.append(_change(deviation, opened, now))
        elif deviation is not None and deviation.state in OPEN_STATES:
            before = deviation.state
            deviation.state = DeviationState.RESOLVED_BY_DATA
            if row is not None:
                deviation.value, deviation.miss = row.value, 0.0
            deviation.save(update_fields=["state", "value", "miss", "updated_at"])
            changes.append(_change(deviation, before, now))
    if new:
        Deviation.objects.bulk_create(new)
        changes += [_change(deviation, "", now) for deviation in new]
    if changes:
        DeviationChange.objects.bulk_create(changes)


def _open_deviation(
    indicator: Indicator,
    row: "Row",
    deviation: Deviation | None,
    band: "BandVersion",
    now: datetime,
) -> Deviation | str | None:
    """The new deviation (unsaved) for an out-of-band value; or, for an existing one, save what
    changed and return its state before when it reopened by data (else None)."""
    kind = DeviationKind.LEARNING if row.assessment == "better" else DeviationKind.CORRECTIVE
    action = band.action_below if row.position == "below" else band.action_above
    fields = {
        "kind": kind,
        "value": row.value,
        "band_low": row.band_low,
        "band_high": row.band_high,
        "action": action,
        "miss": miss(row.value, row.band_low, row.band_high),
    }
    owner_id = band.owner_id or indicator.owner_user_id
    if deviation is None:
        return Deviation(
            indicator=indicator,
            period=indicator.period,
            period_start=row.period_start,
            owner_id=owner_id,
            opened_at=now,
            **fields,
        )
    reopened = deviation.state == DeviationState.RESOLVED_BY_DATA
    if reopened:
        fields.update(state=DeviationState.OPEN, opened_at=now, notified_at=None)
        fields["owner_id"] = deviation.owner_id or owner_id
    changed = {k: v for k, v in fields.items() if getattr(deviation, k) != v}
    if changed:
        for name, value in changed.items():
            setattr(deviation, name, value)
        deviation.save(update_fields=[*changed, "updated_at"])
    return DeviationState.RESOLVED_BY_DATA if reopened else None


def _change(deviation: Deviation, old_state: str, now: datetime) -> DeviationChange:
    return DeviationChange(
        deviation=deviation,
        at=now,
        old_state=old_state,
        new_state=deviation.state,
        old_owner_id=deviation.owner_id,
        new_owner_id=deviation.owner_id,
    )


def miss(value: float, low: float | None, high: float | None) -> float:
    """How far `value` lies outside [low, high], in band widths: (low - value) / (high - low)
    below, (value - high) / (high - low) above; a one-sided (or zero-width) band divides by
    |limit| (1 when the limit is 0). 0 inside the band."""
    if low is not None and value < low:
        distance, limit = low - value, low
    elif high is not None and value > high:
        distance, limit = value - high, high
    else:
        return 0.0
    if low is not None and high is not None and high > low:
        return distance / (high - low)
    return distance / (abs(limit) or 1.0)


@dataclass(frozen=True, slots=True)
class BandVersion:
    """A band version as the recompute uses it (neither limit: no band from its date)."""

    low: float | None
    high: float | None
    action_below: str
    action_above: str
    owner_id: int | None


@dataclass
class Schedule:
    """An indicator's targets, benchmarks and bands as (from, value), each in force until the
    next."""

    targets: list[tuple[date, float]] = field(default_factory=list)
    benchmarks: list[tuple[date, float]] = field(default_factory=list)
    bands: list[tuple[date, BandVersion]] = field(default_factory=list)


SCHEDULES_SQL = """
SELECT indicator_id, valid_from, value, 't', CAST(NULL AS double precision),
       CAST(NULL AS text), CAST(NULL AS text), CAST(NULL AS bigint)
FROM indicators_target WHERE indicator_id IN ({ids})
UNION ALL
SELECT indicator_id, valid_from, value, 'b', NULL, NULL, NULL, NULL
FROM indicators_benchmark WHERE indicator_id IN ({ids})
UNION ALL
SELECT indicator_id, valid_from, low, 'n', high, action_below, action_above, owner_id
FROM indicators_band WHERE indicator_id IN ({ids})
"""


def schedules_of(indicator_ids: list[int]) -> dict[int, Schedule]:
    """Targets, benchmarks and bands of these indicators, in one query (raw: it runs for every
    bucket, and building the ORM union cost more than running it)."""
    schedules: dict[int, Schedule] = defaultdict(Schedule)
    if not indicator_ids:
        return schedules
    ids = ", ".join(str(int(pk)) for pk in indicator_ids)
    with connection.cursor() as cursor:
        cursor.execute(SCHEDULES_SQL.format(ids=ids))
        tagged = cursor.fetchall()
    for indicator_id, valid_from, value, kind, high, below, above, owner_id in tagged:
        schedule = schedules[indicator_id]
        if kind == "n":
            band = BandVersion(value, high, below or "", above or "", owner_id)
            schedule.bands.append((valid_from, band))
        else:
            (schedule.targets if kind == "t" else schedule.benchmarks).append((valid_from, value))
    return schedules
