"""Turn dirty (indicator, day) marks into PeriodValue rows.

For each claimed indicator: aggregate every period (day .. year) and series (the total and each
segment member) that contains a dirty day, formulas after their inputs; then rescore the touched
series (target, progress, band, assessment, previous, change, benchmark, XmR signal) and keep the
deviations of the metric pipe in step. After each organisation's transaction commits, the
values-changed hooks (`indicators.hooks`) get the (indicator, period, start) whose stored values
changed; a recompute that changed nothing calls none.
"""

import logging
import math
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..compute.aggregate import EMPTY, Aggregate
from ..compute.formula import evaluate_formula, formula_inputs, topological_order
from ..compute.periods import PERIODS, period_start
from ..hooks import has_values_changed_handlers, values_changed_on_commit
from ..models import DirtyMark, Indicator, Measurement, PeriodValue
from .deviation_notices import wake_if_awaiting
from .dirty import mark_dirty
from .period_values import BandVersion, Schedule, rows_around, schedules_of, store_and_rescore
from .rebuild import mostly_dirty, rebuild, take_over_marks
from .rollup import parts_ranges, raw_buckets

# How long a worker may hold dirty marks before another may take them over (a dead worker).
CLAIM_SECONDS = settings.RECOMPUTE_CLAIM_SECONDS
logger = logging.getLogger(__name__)
ADVISORY_NAMESPACE = 0x0C0C


# Claims and recomputes commit without waiting for the WAL flush (set_config(..., true) is
# SET LOCAL): a crash may lose the last few of them, and then it loses them whole, claims,
# values and released marks together, so the marks come back and are recomputed. What must
# never be lost, the measurements and their marks, commits with the server's setting.
ASYNC_COMMIT = "(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit"
CLAIM_SQL = f"""
UPDATE indicators_dirtymark AS d SET claimed_until = %s
FROM indicators_indicator AS i, {ASYNC_COMMIT}
WHERE i.id = d.indicator_id AND d.id IN (
    SELECT id FROM indicators_dirtymark
    WHERE claimed_until IS NULL OR claimed_until < %s
    ORDER BY marked_at LIMIT %s FOR UPDATE SKIP LOCKED
)
RETURNING d.id, d.indicator_id, i.organisation_id, d.day, d.marked_at
"""
RELEASE_SQL = """
WITH gone AS (
    DELETE FROM indicators_dirtymark AS d
    USING unnest(%s::bigint[], %s::timestamptz[]) AS t(id, marked_at)
    WHERE d.id = t.id AND d.marked_at = t.marked_at
    RETURNING d.id
)
UPDATE indicators_dirtymark SET claimed_until = NULL
WHERE id = ANY(%s::bigint[]) AND id NOT IN (SELECT id FROM gone)
"""
LOCK_SQL = f"""
SELECT i.*, t.target_from, t.target_value, b.benchmark_from, b.benchmark_value,
       n.band_from, n.band_low, n.band_high, n.band_below, n.band_above, n.band_owner
FROM indicators_indicator AS i
CROSS JOIN (SELECT pg_advisory_xact_lock(%s, %s)) AS locked
CROSS JOIN {ASYNC_COMMIT}
LEFT JOIN LATERAL (
    SELECT array_agg(valid_from ORDER BY valid_from), array_agg(value ORDER BY valid_from)
    FROM indicators_target WHERE indicator_id = i.id
) AS t(target_from, target_value) ON true
LEFT JOIN LATERAL (
    SELECT array_agg(valid_from ORDER BY valid_from), array_agg(value ORDER BY valid_from)
    FROM indicators_benchmark WHERE indicator_id = i.id
) AS b(benchmark_from, benchmark_value) ON true
LEFT JOIN LATERAL (
    SELECT array_agg(valid_from ORDER BY valid_from), array_agg(low ORDER BY valid_from),
           array_agg(high ORDER BY valid_from), array_agg(action_below ORDER BY valid_from),
           array_agg(action_above ORDER BY valid_from), array_agg(owner_id ORDER BY valid_from)
    FROM indicators_band WHERE indicator_id = i.id
) AS n(band_from, band_low, band_high, band_below, band_above, band_owner) ON true
WHERE i.organisation_id = %s
FOR NO KEY UPDATE OF i
"""
MARK_FIELDS = ("id", "indicator_id", "indicator__organisation_id", "day", "marked_at")


def recompute_dirty(*, limit: int = 5000, max_rounds: int = 50) -> int:
    """Claim dirty marks and recompute their buckets until none are left; returns marks done.

    One organisation whose recompute fails does not hold back the others. A failed organisation's
    marks are unclaimed at once, so the task's retry (or the sweep) takes them up again; a
    database outage still raises, for the task's retry with back-off.
    """
    done = 0
    for _round in range(max_rounds):
        marks = _claim(limit)
        finished = _recompute_marks(marks) if marks else []
        done += len(finished)
        # A short round took all there was; a failure is left to the retry, not spun on now.
        if len(marks) < limit or len(finished) < len(marks):
            break
    return done


def _recompute_marks(marks: list[dict]) -> list[dict]:
    """Recompute each organisation in its own transaction, which also releases its marks."""
    by_organisation = defaultdict(list)
    for mark in marks:
        by_organisation[mark["indicator__organisation_id"]].append(mark)
    finished, failed = [], []
    try:
        for organisation_id, own in by_organisation.items():
            try:
                with transaction.atomic():
                    _recompute_organisation(organisation_id, _work_of(own))
                    _release(own)
                finished += own
            except (OperationalError, InterfaceError):
                failed = [m for m in marks if m not in finished]
                raise
            except Exception:
                logger.exception("recompute failed organisation=%s", organisation_id)
                failed += own
    finally:
        _unclaim(failed)
    return finished


def _unclaim(marks: list[dict]) -> None:
    """Give marks back for another try now; if the database is down, their claim runs out."""
    if not marks:
        return
    try:
        DirtyMark.objects.filter(id__in=[m["id"] for m in marks]).update(claimed_until=None)
    except DatabaseError:
        logger.warning("could not unclaim %d dirty marks; their claim will expire", len(marks))


def _claim(limit: int) -> list[dict]:
    """Take up to `limit` free marks, oldest first, for CLAIM_SECONDS (one statement on PostgreSQL;
    SKIP LOCKED lets concurrent workers take different marks)."""
    now = timezone.now()
    until = now + timedelta(seconds=CLAIM_SECONDS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(CLAIM_SQL, [until, now, limit])
            return [dict(zip(MARK_FIELDS, row, strict=True)) for row in cursor.fetchall()]
    with transaction.atomic():
        free = DirtyMark.objects.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        marks = list(free.order_by("marked_at").values(*MARK_FIELDS)[:limit])
        DirtyMark.objects.filter(id__in=[m["id"] for m in marks]).update(claimed_until=until)
    return marks


def _release(marks: list[dict]) -> None:
    """Delete the marks nobody marked again meanwhile; free the others for the next round."""
    ids = [m["id"] for m in marks]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(RELEASE_SQL, [ids, [m["marked_at"] for m in marks], ids])
        return
    ids_by_version = defaultdict(list)
    for mark in marks:
        ids_by_version[mark["marked_at"]].append(mark["id"])
    for marked_at, same in ids_by_version.items():
        DirtyMark.objects.filter(id__in=same, marked_at=marked_at).delete()
    DirtyMark.objects.filter(id__in=ids).update(claimed_until=None)


def _work_of(marks: list[dict]) -> dict[int, set[date]]:
    work: dict[int, set[date]] = defaultdict(set)
    for mark in marks:
        work[mark["indicator_id"]].add(mark["day"])
    return work


def _lock_organisation(organisation_id: int) -> tuple[dict[int, Indicator], dict]:
    """Serialise recomputes of one organisation, so a formula never reads half-written inputs;
    return its indicators, locked against deletion until the values written here are committed
    (period values have no foreign-key check of their own), and their target/benchmark
    schedules."""
    if connection.vendor != "postgresql":
        indicators = {i.pk: i for i in Indicator.objects.filter(organisation_id=organisation_id)}
        return indicators, schedules_of(list(indicators))
    # One statement, raw: it runs for every bucket. Pushes (FOR KEY SHARE by their foreign key)
    # go on; a delete or an edit of an indicator waits.
    rows = Indicator.objects.raw(LOCK_SQL, [ADVISORY_NAMESPACE, organisation_id, organisation_id])
    indicators, schedules = {}, {}
    for indicator in rows:
        indicators[indicator.pk] = indicator
        schedules[indicator.pk] = Schedule(
            targets=list(
                zip(indicator.target_from or [], indicator.target_value or [], strict=True)
            ),
            benchmarks=list(
                zip(indicator.benchmark_from or [], indicator.benchmark_value or [], strict=True)
            ),
            bands=_bands_of(indicator),
        )
    return indicators, schedules


def _bands_of(indicator) -> list[tuple[date, BandVersion]]:
    """The band versions LOCK_SQL gathered as parallel arrays."""
    columns = [
        getattr(indicator, name) or []
        for name in ("band_from", "band_low", "band_high", "band_below", "band_above", "band_owner")
    ]
    return [
        (valid_from, BandVersion(low, high, below, above, owner))
        for valid_from, low, high, below, above, owner in zip(*columns, strict=True)
    ]


def _recompute_organisation(organisation_id: int, work: dict[int, set[date]]) -> None:
    """Recompute one organisation inside the caller's transaction, under its advisory lock;
    after the commit, the values-changed hooks get the (indicator, period, start) it changed,
    and the notifier wakes for the deviations it opened."""
    indicators, schedules = _lock_organisation(organisation_id)
    rebuilt, changed, rewrote = _rebuild_mostly_dirty(indicators, work)
    for indicator in _in_dependency_order(indicators.values(), work):
        days = work.get(indicator.pk)
        if not days or indicator.pk in rebuilt:
            continue
        schedule = schedules.get(indicator.pk, Schedule())
        if indicator.is_formula:
            changed |= _compute_formula(indicator, days, indicators, schedule)
        else:
            changed |= _compute_raw(indicator, days, schedule)
    values_changed_on_commit(organisation_id=organisation_id, changed=changed)
    if changed or rewrote:
        # A deviation opens only where a period value changed; the notifier tells of it (it
        # claims the deviations; the periodic run catches up on a lost wake-up).
        transaction.on_commit(wake_if_awaiting)


def _rebuild_mostly_dirty(
    indicators: dict, work: dict[int, set[date]]
) -> tuple[set[int], set[tuple], bool]:
    """Rebuild at once, in SQL, the raw indicators with most of their days dirty; their other
    free marks are covered too, and their days passed on to the formulas that use them.
    Returns the rebuilt indicator ids, the (indicator, period, start) the rebuild changed (only
    collected when a values-changed handler listens) and whether it wrote or deleted a row."""
    now = timezone.now()
    whole = mostly_dirty(indicators, work, now)
    for indicator_id, days in take_over_marks(whole, now).items():
        work[indicator_id] |= days
    if not whole:
        return set(), set(), False
    rebuilt = rebuild(whole, now, changed=has_values_changed_handlers())
    wrote = bool(rebuilt.written or rebuilt.deleted)
    return {indicator.pk for indicator in whole}, set(rebuilt.changed), wrote


def _in_dependency_order(indicators, work: dict[int, set[date]]) -> list[Indicator]:
    """Every indicator after its formula inputs; dependants inherit their inputs' dirty days."""
    by_code = {i.code: i for i in indicators}
    graph = {
        i.code: {c for c in formula_inputs(i.formula) if c in by_code} if i.is_formula else set()
        for i in indicators
    }
    ordered = [by_code[code] for code in topological_order(graph)]
    for indicator in ordered:
        for code in graph[indicator.code]:
            work[indicator.pk] = work.get(indicator.pk, set()) | work.get(by_code[code].pk, set())
    return ordered


def _buckets(days: set[date]) -> dict[str, set[date]]:
    return {p: {period_start(d, p) for d in days} for p in PERIODS}


def _compute_raw(indicator: Indicator, days: set[date], schedule: Schedule) -> set[tuple]:
    buckets = _buckets(days)
    # One read of the stored values: the parts to roll up from and the rows to rescore.
    stored = rows_around(indicator, buckets, extra=parts_ranges(buckets))
    computed = raw_buckets(indicator, buckets, stored)
    finite = {key: _finite(result) for key, result in computed.items()}
    return _store(indicator, buckets, finite, schedule, stored)


def _finite(result: Aggregate) -> Aggregate:
    """No value when an aggregate does not fit a float (sums of values near 1e308)."""
    if result.value is not None and not math.isfinite(result.value):
        return EMPTY
    return result


def _compute_formula(
    indicator: Indicator, days: set[date], indicators: dict, schedule: Schedule
) -> set[tuple]:
    buckets = _buckets(days)
    codes = formula_inputs(indicator.formula)
    inputs = [i for i in indicators.values() if i.code in codes]
    computed = {}
    if len(inputs) == len(codes):
        values = defaultdict(dict)
        counts = defaultdict(list)
        for row in PeriodValue.objects.filter(indicator__in=inputs).filter(_in_buckets(buckets)):
            code = indicators[row.indicator_id].code
            values[(row.period, row.segment, row.period_start)][code] = row.value
            counts[(row.period, row.segment, row.period_start)].append(row.count)
        for bucket, inputs_of_bucket in values.items():
            result = evaluate_formula(indicator.formula, inputs_of_bucket)
            if result is not None:
                computed[bucket] = Aggregate(result, min(counts[bucket]), None, None)
    return _store(indicator, buckets, computed, schedule)


def _in_buckets(buckets: dict[str, set[date]]) -> Q:
    condition = Q(pk__in=[])
    for period, starts in buckets.items():
        condition |= Q(period=period, period_start__in=starts)
    return condition


def _store(indicator: Indicator, buckets, computed: dict, schedule, stored=None) -> set[tuple]:
    """Upsert the computed values, delete rows of these buckets that no longer have data;
    returns the (indicator, period, start) changed."""
    return store_and_rescore(
        indicator=indicator,
        buckets=buckets,
        computed=computed,
        schedule=schedule,
        now=timezone.now(),
        rows=stored,
    )


def mark_indicator_dirty(*, indicator: Indicator) -> int:
    """Mark every day that has (or had) data for `indicator`, so all its values are rebuilt."""
    if indicator.is_formula:
        codes = formula_inputs(indicator.formula)
        source = PeriodValue.objects.filter(
            indicator__organisation=indicator.organisation_id,
            indicator__code__in=codes,
            period="day",
        ).values_list("period_start", flat=True)
    else:
        source = Measurement.objects.filter(indicator=indicator).values_list(
            "local_date", flat=True
        )
    own = PeriodValue.objects.filter(indicator=indicator, period="day").values_list(
        "period_start", flat=True
    )
    days = set(source.distinct()) | set(own)
    mark_dirty({(indicator.pk, day) for day in days}, timezone.now())
    return len(days)


def recompute_all(*, indicators) -> int:
    """Mark and recompute every value of `indicators` now, in this process."""
    for indicator in indicators:
        mark_indicator_dirty(indicator=indicator)
    return recompute_dirty()
