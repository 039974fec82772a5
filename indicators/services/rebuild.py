"""Rebuild every period value of raw indicators in set-based SQL (PostgreSQL).

When most of an indicator's days are dirty (a rebuild, a backfill, a changed definition), the
incremental path would read and rescore nearly every stored row in Python. Here the database does
it in two statements for all such indicators of an organisation at once:

1. `CREATE TEMP TABLE … AS` one GROUP BY (indicator, day, segment combination) over their
   measurements, with only the partial aggregates their aggregations need: the only pass over the
   raw rows, and one PostgreSQL runs with parallel workers;
2. each combination counts in the total and in each of its `dimension:member` series, days roll up
   into weeks, months, quarters and years (sum, mean, min, max, last, count and ratio all
   decompose over time); previous, change, target, benchmark, progress, band and assessment come
   from window functions and range joins with the rules of `compute.scoring`; rows are upserted
   only where something changed, and rows whose bucket has no data left are deleted.

Parallel workers sum in no fixed order, so the same measurements give sums that differ in their
last bits from one rebuild to the next. A stored value, numerator and denominator equal to the
rebuilt ones up to `REL_TOL` (relative), with the same count, are kept before anything is scored
from them: previous, change and progress then come out exactly as stored, and an unchanged
rebuild writes no row (nor wakes a values-changed hook).

A median does not decompose, so a median indicator takes the incremental path. Values are
refused beyond ±1e300 at ingest, so no sum here comes near the float limit; the halving in
`change` and `progress` keeps even those differences and quotients finite.
"""

import functools
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction

from ..compute.scoring import POSITIONS, assessment
from ..models import Indicator, PeriodValue
from .period_values import REL_TOL, Row, schedules_of, sync_deviations

logger = logging.getLogger(__name__)

# Rebuild the whole indicator when at least this many of its days are dirty, and at least a
# quarter of the days it has: below that, the incremental path touches fewer rows.
REBUILD_MIN_DAYS = 60
REBUILD_SHARE = 0.25
PARTS_TABLE = "oc_rebuild_parts"

# Partial aggregates of one (indicator, day, segment combination), by the aggregations that use
# them; the others are left out of the pass over the measurements.
_PAIRED = "numerator IS NOT NULL AND denominator IS NOT NULL"
_PARTIALS = {
    "n": ("count(value)", set()),
    "s": ("sum(value)", {"sum", "mean"}),
    "lo": ("min(value)", {"min"}),
    "hi": ("max(value)", {"max"}),
    "last_value": ("(array_agg(value ORDER BY observed_at DESC, id DESC))[1]", {"last"}),
    "last_at": ("max(observed_at)", {"last"}),
    "last_id": ("(array_agg(id ORDER BY observed_at DESC, id DESC))[1]", {"last"}),
    "pairs": (f"count(*) FILTER (WHERE {_PAIRED})", {"ratio"}),
    "num": (f"sum(numerator) FILTER (WHERE {_PAIRED})", {"ratio"}),
    "den": (f"sum(denominator) FILTER (WHERE {_PAIRED})", {"ratio"}),
}
_PARTS = """
CREATE TEMP TABLE {table} AS
SELECT indicator_id, local_date AS day, segment, {partials}
FROM indicators_measurement
WHERE indicator_id = ANY(%s)
GROUP BY indicator_id, local_date, segment
"""
# Partial aggregates of a longer bucket from those of its parts (rows of the level below).
_ROLL = {
    "n": "sum(n)",
    "s": "sum(s)",
    "lo": "min(lo)",
    "hi": "max(hi)",
    "last_value": "(array_agg(last_value ORDER BY last_at DESC, last_id DESC))[1]",
    "last_at": "max(last_at)",
    "last_id": "(array_agg(last_id ORDER BY last_at DESC, last_id DESC))[1]",
    "pairs": "sum(pairs)",
    "num": "sum(num)",
    "den": "sum(den)",
}
# The value of a bucket by aggregation, from its partial aggregates.
_VALUE = {
    "sum": "s",
    "mean": "s / nullif(n, 0)",
    "min": "lo",
    "max": "hi",
    "count": "nullif(n, 0)::float8",
    "last": "last_value",
    "ratio": "100 * num / nullif(den, 0)",
}
# Days from the parts, weeks and months from days, quarters and years from months.
_LEVELS = """
series AS (
    -- The series each segment combination counts in, once per combination, not per part.
    SELECT c.segment, k.seg
    FROM (SELECT DISTINCT segment FROM {parts}) AS c
    CROSS JOIN LATERAL (
        SELECT ''::text UNION ALL
        SELECT e.key || ':' || e.value FROM jsonb_each_text(c.segment) AS e
    ) AS k(seg)
),
days AS (
    SELECT p.indicator_id, k.seg, p.day AS start, {rolled}
    FROM {parts} AS p JOIN series AS k ON k.segment = p.segment
    GROUP BY p.indicator_id, k.seg, p.day
),
weeks AS ({week}),
months AS ({month}),
quarters AS ({quarter}),
years AS ({year}),
"""
_LEVEL = """
    SELECT indicator_id, seg, date_trunc('{period}', start::timestamp)::date AS start, {rolled}
    FROM {source} GROUP BY indicator_id, seg, 3
"""
_ROLLED = """
rolled AS (
    SELECT l.indicator_id, l.seg, l.period, l.start,
        CASE i.aggregation {values} END AS value, {counts}
    FROM (
        SELECT 'day' AS period, * FROM days UNION ALL
        SELECT 'week', * FROM weeks UNION ALL
        SELECT 'month', * FROM months UNION ALL
        SELECT 'quarter', * FROM quarters UNION ALL
        SELECT 'year', * FROM years
    ) AS l
    JOIN ind AS i ON i.id = l.indicator_id
),
"""
_COUNTS = "l.n AS n, NULL::float8 AS numerator, NULL::float8 AS denominator"
_RATIO_COUNTS = """CASE i.aggregation WHEN 'ratio' THEN l.pairs ELSE l.n END AS n,
        CASE i.aggregation WHEN 'ratio' THEN l.num END AS numerator,
        CASE i.aggregation WHEN 'ratio' THEN l.den END AS denominator"""
_PREVIOUS_START = """CASE r.period
    WHEN 'day' THEN r.start - 1
    WHEN 'week' THEN r.start - 7
    WHEN 'month' THEN (r.start - interval '1 month')::date
    WHEN 'quarter' THEN (r.start - interval '3 months')::date
    ELSE (r.start - interval '1 year')::date END"""
_SCHEDULE = """
SELECT indicator_id, valid_from, value,
       lead(valid_from) OVER (PARTITION BY indicator_id ORDER BY valid_from) AS until
FROM {table} WHERE indicator_id = ANY(%(ids)s)
"""
# Band versions in force from `valid_from` until the next one, like targets.
_BANDS = """
SELECT indicator_id, valid_from, low, high,
       lead(valid_from) OVER (PARTITION BY indicator_id ORDER BY valid_from) AS until
FROM indicators_band WHERE indicator_id = ANY(%(ids)s)
"""
_WRITE = f"""
WITH ind AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(aggregations)s::text[], %(baselines)s::float8[],
                         %(below)s::text[], %(within)s::text[], %(above)s::text[])
        AS i(id, aggregation, baseline, below, within, above)
),
{{levels}}
{{rolled}}
{{kept}}
targets AS ({_SCHEDULE.format(table="indicators_target")}),
benchmarks AS ({_SCHEDULE.format(table="indicators_benchmark")}),
bands AS ({_BANDS}),
scored AS (
    SELECT r.*, t.value AS target, bm.value AS benchmark, bd.low, bd.high,
           CASE WHEN lag(r.start) OVER w = {_PREVIOUS_START} THEN lag(r.value) OVER w END
               AS previous
    FROM {{scored_from}} AS r
    LEFT JOIN targets AS t ON t.indicator_id = r.indicator_id AND r.start >= t.valid_from
        AND (t.until IS NULL OR r.start < t.until)
    LEFT JOIN benchmarks AS bm ON bm.indicator_id = r.indicator_id AND r.start >= bm.valid_from
        AND (bm.until IS NULL OR r.start < bm.until)
    LEFT JOIN bands AS bd ON bd.indicator_id = r.indicator_id AND r.start >= bd.valid_from
        AND (bd.until IS NULL OR r.start < bd.until)
    WHERE r.value IS NOT NULL
    WINDOW w AS (PARTITION BY r.indicator_id, r.period COLLATE "C", r.seg COLLATE "C" ORDER BY r.start)
),
final AS (
    -- Halves cannot overflow, and halving both sides of a difference or a quotient is exact.
    SELECT s.*,
        CASE WHEN abs(s.value / 2 - s.previous / 2) < 8.98e307 THEN s.value - s.previous END
            AS change,
        CASE WHEN i.baseline IS NULL OR s.target IS NULL OR s.target = i.baseline THEN NULL
            WHEN abs(s.value / 2 - i.baseline / 2) >= abs(s.target / 2 - i.baseline / 2)
                THEN CASE WHEN sign(s.value - i.baseline) = sign(s.target - i.baseline)
                          THEN 1.0::float8 ELSE 0.0::float8 END
            ELSE greatest(0.0::float8, least(1.0::float8,
                (s.value / 2 - i.baseline / 2) / (s.target / 2 - i.baseline / 2)))
        END AS progress,
        pos.position,
        CASE pos.position WHEN 'below' THEN i.below WHEN 'within' THEN i.within
            WHEN 'above' THEN i.above ELSE '' END AS assessment
    FROM scored AS s
    JOIN ind AS i ON i.id = s.indicator_id
    CROSS JOIN LATERAL (SELECT CASE
        WHEN s.low IS NULL AND s.high IS NULL THEN ''
        WHEN s.value < s.low THEN 'below'
        WHEN s.value > s.high THEN 'above'
        ELSE 'within' END) AS pos(position)
),
written AS (
    INSERT INTO indicators_periodvalue AS pv
        (indicator_id, period, segment, period_start, value, count, numerator, denominator,
         computed_at, target, progress, band_low, band_high, position, assessment, previous,
         change, benchmark)
    SELECT indicator_id, period, seg, start, value, n, numerator, denominator,
           %(now)s::timestamptz, target, progress, low, high, position, assessment, previous,
           change, benchmark
    FROM final
    {{conflict}}
    RETURNING indicator_id, period, period_start
),
deleted AS (
    DELETE FROM indicators_periodvalue AS pv
    WHERE pv.indicator_id = ANY(%(ids)s) AND NOT EXISTS (
        SELECT 1 FROM final AS f
        WHERE f.indicator_id = pv.indicator_id AND f.period = pv.period
            AND f.seg = pv.segment AND f.start = pv.period_start
    )
    RETURNING pv.indicator_id, pv.period, pv.period_start
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM deleted), {{changed}}
"""
# The (indicator, period, start) of the rows written or deleted, once each, as three arrays;
# only asked for when someone listens (a hook), since it costs a pass over what was written.
_CHANGED = """c.* FROM (
    SELECT array_agg(indicator_id), array_agg(period), array_agg(period_start) FROM (
        SELECT indicator_id, period, period_start FROM written
        UNION SELECT indicator_id, period, period_start FROM deleted
    ) AS u
) AS c(ids, periods, starts)"""
# Equal up to REL_TOL relative, NULL only to NULL; halves, so the difference cannot overflow.
_SAME = (
    "({a} IS NULL AND {b} IS NULL"
    f" OR abs({{a}} / 2 - {{b}} / 2) <= {REL_TOL / 2!r} * greatest(abs({{a}}), abs({{b}})))"
)
# The stored numbers where the rebuilt ones differ from them only in the last bits.
_KEPT = f"""
kept AS (
    SELECT r.indicator_id, r.seg, r.period, r.start, r.n,
        CASE WHEN k.same THEN pv.value ELSE r.value END AS value,
        CASE WHEN k.same THEN pv.numerator ELSE r.numerator END AS numerator,
        CASE WHEN k.same THEN pv.denominator ELSE r.denominator END AS denominator
    FROM rolled AS r
    LEFT JOIN indicators_periodvalue AS pv ON pv.indicator_id = r.indicator_id
        AND pv.period = r.period AND pv.segment = r.seg AND pv.period_start = r.start
    CROSS JOIN LATERAL (SELECT pv.count = r.n
        AND {_SAME.format(a="pv.value", b="r.value")}
        AND {_SAME.format(a="pv.numerator", b="r.numerator")}
        AND {_SAME.format(a="pv.denominator", b="r.denominator")}) AS k(same)
),
"""
_COMPARED = ("value", "count", "numerator", "denominator", *PeriodValue.DERIVED_FIELDS)
# Rows that exist are rewritten only where something differs.
_CONFLICT = (
    "ON CONFLICT (indicator_id, period, segment, period_start) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in ("computed_at", *_COMPARED))
    + f" WHERE ({', '.join(f'pv.{name}' for name in _COMPARED)})"
    + f" IS DISTINCT FROM ({', '.join(f'EXCLUDED.{name}' for name in _COMPARED)})"
)


def _partials_used(aggregations: frozenset[str]) -> list[str]:
    return [name for name, (_sql, users) in _PARTIALS.items() if not users or users & aggregations]


@functools.cache
def write_sql(aggregations: frozenset[str], *, fresh: bool = False, changed: bool = True) -> str:
    """The statement that rolls the parts up, scores them and writes them: only the partial
    aggregates these aggregations use (an ordered `last` aggregate would stop the hashing).
    `fresh`: the indicators have no stored rows yet, so plain inserts, without conflict checks.
    `changed`: also answer the (indicator, period, start) written or deleted."""
    used = _partials_used(aggregations)
    rolled = ", ".join(f"{_ROLL[name]} AS {name}" for name in used)
    levels = _LEVELS.format(
        rolled=rolled,
        parts=PARTS_TABLE,
        week=_LEVEL.format(period="week", source="days", rolled=rolled),
        month=_LEVEL.format(period="month", source="days", rolled=rolled),
        quarter=_LEVEL.format(period="quarter", source="months", rolled=rolled),
        year=_LEVEL.format(period="year", source="months", rolled=rolled),
    )
    values = " ".join(f"WHEN '{a}' THEN {_VALUE[a]}" for a in sorted(aggregations))
    return _WRITE.format(
        levels=levels,
        rolled=_ROLLED.format(
            values=values, counts=_RATIO_COUNTS if "ratio" in aggregations else _COUNTS
        ),
        kept="" if fresh else _KEPT,
        scored_from="rolled" if fresh else "kept",
        conflict="" if fresh else _CONFLICT,
        changed=_CHANGED if changed else "NULL, NULL, NULL",
    )


def parts_sql(aggregations: frozenset[str]) -> str:
    """The pass over the measurements, with the partial aggregates `aggregations` need."""
    partials = ", ".join(f"{_PARTIALS[name][0]} AS {name}" for name in _partials_used(aggregations))
    return _PARTS.format(table=PARTS_TABLE, partials=partials)


def can_rebuild(indicator: Indicator) -> bool:
    return (
        connection.vendor == "postgresql"
        and not indicator.is_formula
        and indicator.aggregation != "median"
    )


def worth_rebuilding(indicator: Indicator, dirty_days: int) -> bool:
    """Whether so many days are dirty that one rebuild beats the incremental path."""
    if dirty_days < REBUILD_MIN_DAYS or not can_rebuild(indicator):
        return False
    known = PeriodValue.objects.filter(indicator=indicator, period="day", segment="").count()
    return dirty_days >= REBUILD_SHARE * known


def mostly_dirty(
    indicators: dict[int, Indicator], work: dict[int, set[date]], now: datetime
) -> list[Indicator]:
    """The indicators to rebuild whole: those whose claimed days make it worth it, and, once one
    is rebuilt, every other one whose free marks make it worth it too (one pass over the
    measurements for all, not one per round of claims)."""
    whole = [i for pk, days in work.items() if worth_rebuilding(i := indicators[pk], len(days))]
    if not whole:
        return []
    others = [i for i in indicators.values() if i not in whole and can_rebuild(i)]
    free = _free_marks(others, now)
    return whole + [
        i for i in others if worth_rebuilding(i, len(work.get(i.pk, ())) + free.get(i.pk, 0))
    ]


def _free_marks(indicators: list[Indicator], now: datetime) -> dict[int, int]:
    if not indicators:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indicator_id, count(*) FROM indicators_dirtymark"
            " WHERE indicator_id = ANY(%s) AND (claimed_until IS NULL OR claimed_until < %s)"
            " GROUP BY indicator_id",
            [[i.pk for i in indicators], now],
        )
        return dict(cursor.fetchall())


def take_over_marks(indicators: list[Indicator], now: datetime) -> dict[int, set[date]]:
    """Delete these indicators' free dirty marks, which the rebuild covers; returns their days
    by indicator id, in one statement.

    Run before the rebuild: every measurement whose mark is deleted here was committed with it,
    so the rebuild sees it. A push that marks one of these days again waits for this
    transaction, then leaves a new mark.
    """
    days: dict[int, set[date]] = defaultdict(set)
    if not indicators:
        return days
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DELETE FROM indicators_dirtymark WHERE id IN (
                SELECT id FROM indicators_dirtymark
                WHERE indicator_id = ANY(%s) AND (claimed_until IS NULL OR claimed_until < %s)
                FOR UPDATE SKIP LOCKED
            ) RETURNING indicator_id, day
            """,
            [[i.pk for i in indicators], now],
        )
        for indicator_id, day in cursor.fetchall():
            days[indicator_id].add(day)
    return days


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild wrote: rows inserted or changed, rows deleted, and the (indicator, period,
    period start) of all of them, once each (from the statement's RETURNING)."""

    written: int = 0
    deleted: int = 0
    changed: frozenset[tuple[int, str, date]] = frozenset()


def rebuild(indicators: list[Indicator], now: datetime, *, changed: bool = True) -> Rebuilt:
    """Rebuild every period value of `indicators` (raw, not median) inside the caller's
    transaction; returns what it wrote (`changed` False: without the pairs)."""
    if not indicators:
        return Rebuilt()
    with transaction.atomic(), connection.cursor() as cursor:
        # Enough memory to hash the parts instead of sorting them on disk; no JIT, whose
        # compile time is longer than these statements; and no nested loops: the planner
        # cannot know how many rows the CTEs make, and stale statistics of the period
        # values once made it nest a 65k-row anti join (minutes instead of milliseconds).
        cursor.execute(
            "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; SET LOCAL enable_nestloop = off"
        )
        ids = [indicator.pk for indicator in indicators]
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{PARTS_TABLE}")
        aggregations = frozenset(i.aggregation for i in indicators)
        cursor.execute(parts_sql(aggregations), [ids])
        cursor.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM indicators_periodvalue WHERE indicator_id = ANY(%s))",
            [ids],
        )
        fresh = cursor.fetchone()[0]
        sql = write_sql(aggregations, fresh=fresh, changed=changed)
        cursor.execute(sql, _write_params(indicators, now))
        written, deleted, changed_ids, changed_periods, changed_starts = cursor.fetchone()
        cursor.execute(f"DROP TABLE pg_temp.{PARTS_TABLE}")
        cursor.execute(
            "SET LOCAL work_mem TO DEFAULT; SET LOCAL jit TO DEFAULT;"
            " SET LOCAL enable_nestloop TO DEFAULT"
        )
    for indicator in indicators:
        _sync_all_deviations(indicator)
    logger.info("rebuilt indicators %s: %d rows written, %d deleted", ids, written, deleted)
    changed = zip(changed_ids or [], changed_periods or [], changed_starts or [], strict=True)
    return Rebuilt(written, deleted, frozenset(changed))


def _write_params(indicators: list[Indicator], now: datetime) -> dict:
    params = {
        "now": now,
        "ids": [i.pk for i in indicators],
        "aggregations": [i.aggregation for i in indicators],
        "baselines": [i.baseline_value for i in indicators],
    }
    for position in POSITIONS:
        params[position] = [assessment(position, i.direction) for i in indicators]
    return params


def _sync_all_deviations(indicator: Indicator) -> None:
    own = PeriodValue.objects.filter(indicator=indicator, period=indicator.period, segment="")
    rows = {values[4]: Row(*values) for values in own.values_list(*Row.COLUMNS)}
    known = indicator.deviations.filter(period=indicator.period).values_list(
        "period_start", flat=True
    )
    schedule = schedules_of([indicator.pk])[indicator.pk]
    sync_deviations(
        indicator=indicator, rows=rows, starts=set(rows) | set(known), schedule=schedule
    )
