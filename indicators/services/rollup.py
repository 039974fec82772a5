"""Period aggregates of a raw indicator, computed incrementally.

Dirty days are aggregated from their raw measurements (one set-based statement on PostgreSQL);
weeks and months are rolled up from the day values and quarters and years from the month values,
since sum, mean, min, max, last, count and ratio all decompose over time. The median does not, so a median indicator's longer
periods are aggregated from the raw measurements of each bucket.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import msgspec
from django.db import connection

from core.db import binary_cursor

from ..compute.aggregate import Aggregate, aggregate
from ..compute.periods import PERIODS, next_period_start, period_start
from ..models import Indicator, Measurement

Key = tuple[str, str, date]  # (period, segment, period start)

_VALUE_SQL = {
    "sum": "sum(value)",
    "mean": "sum(value) / count(value)",  # not avg: PostgreSQL's also sums squares
    "median": "percentile_cont(0.5) WITHIN GROUP (ORDER BY value)",
    "min": "min(value)",
    "max": "max(value)",
    "last": "(array_agg(value ORDER BY observed_at DESC, id DESC))[1]",
    "count": "count(value)::float8",
    "ratio": "NULL::float8",
}
_BUCKET_SQL = """
SELECT {start} AS start, s.seg, {value},
       count(*) FILTER (WHERE {counted}),
       sum(numerator) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL),
       sum(denominator) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL)
FROM indicators_measurement AS m
CROSS JOIN LATERAL (
    SELECT '' AS seg
    UNION ALL
    SELECT e.key || ':' || e.value FROM jsonb_each_text(m.segment) AS e
) AS s
WHERE m.indicator_id = %b AND {where}
GROUP BY 1, 2
"""
_TRUNC = "date_trunc('{unit}', local_date::timestamp)::date"


def raw_buckets(indicator: Indicator, buckets: dict[str, set[date]], stored: dict) -> dict:
    """Aggregates of every (period, segment) series for the given bucket starts.

    `stored` holds the stored period values around the buckets (`parts_ranges` says which),
    by series and start: the days and months the longer periods roll up from.
    """
    result = {
        ("day", seg, day): agg
        for (seg, day), agg in _day_aggregates(indicator, buckets["day"]).items()
    }
    longer = [p for p in PERIODS if p != "day" and buckets[p]]
    if indicator.aggregation == "median":
        for period in longer:
            result.update(_from_raw(indicator, period, buckets[period]))
        return result
    # Weeks and months from days; quarters and years from months (twelve rows, not 365).
    days = _parts("day", buckets, stored, result)
    _roll_up_into(result, indicator.aggregation, days, ("week", "month"), buckets)
    months = _parts("month", buckets, stored, result)
    _roll_up_into(result, indicator.aggregation, months, ("quarter", "year"), buckets)
    return result


def _roll_up_into(result: dict, method: str, parts: dict, periods, buckets) -> None:
    in_time_order = sorted(parts.items(), key=lambda kv: kv[0][1])
    part_starts = {start for _seg, start in parts}
    for period in periods:
        bucket_of = {start: period_start(start, period) for start in part_starts}
        grouped = defaultdict(list)
        for (seg, start), agg in in_time_order:
            bucket = bucket_of[start]
            if bucket in buckets[period]:
                grouped[(seg, bucket)].append(agg)
        for (seg, bucket), aggs in grouped.items():
            result[(period, seg, bucket)] = roll_up(method, aggs)


def roll_up(method: str, days: list[Aggregate]) -> Aggregate:
    """Combine day (or month) aggregates, in time order, into one longer period's aggregate.

    sum/count: sum of the days; mean: sum(mean_d * n_d) / sum(n_d); min/max: of the days;
    last: the last day's; ratio: 100 * sum(numerators) / sum(denominators).
    """
    count = sum(d.count for d in days)
    if method == "ratio":
        numerator = math.fsum(d.numerator for d in days if d.numerator is not None)
        denominator = math.fsum(d.denominator for d in days if d.denominator is not None)
        value = 100 * numerator / denominator if denominator else None
        return Aggregate(value, count, numerator, denominator)
    values = [d.value for d in days if d.value is not None]
    if not values:
        return Aggregate(None, count, None, None)
    if method == "mean":
        value = math.fsum(d.value * d.count for d in days if d.value is not None) / count
    elif method in ("sum", "count"):
        value = math.fsum(values)
    else:
        value = {"min": min, "max": max, "last": lambda xs: xs[-1]}[method](values)
    return Aggregate(float(value), count, None, None)


ROLLED_UP_FROM = {"day": ("week", "month"), "month": ("quarter", "year")}


def parts_ranges(buckets: dict[str, set[date]]) -> dict[str, tuple[date, date]]:
    """For days and months: the span of the longer buckets that roll up from them."""
    ranges = {}
    for part, periods in ROLLED_UP_FROM.items():
        starts = [start for period in periods for start in buckets[period]]
        if starts:
            # An ISO week can start in December and end in January: take every touched bucket.
            high = max(next_period_start(start, p) for p in periods for start in buckets[p])
            ranges[part] = (min(starts), high)
    return ranges


def _parts(part: str, buckets, stored: dict, fresh: dict[Key, Aggregate]) -> dict:
    """The `part` aggregates (days or months) of the touched longer buckets: fresh ones where
    just computed, stored ones elsewhere (never a stored one of a recomputed part)."""
    parts = {
        (seg, start): Aggregate(row.value, row.count, row.numerator, row.denominator)
        for (period, seg), by_start in stored.items()
        if period == part
        for start, row in by_start.items()
        if start not in buckets[part]
    }
    parts.update({(seg, start): agg for (p, seg, start), agg in fresh.items() if p == part})
    return parts


def _day_aggregates(indicator: Indicator, days: set[date]) -> dict[tuple[str, date], Aggregate]:
    if not days:
        return {}
    if connection.vendor == "postgresql" and indicator.aggregation != "median":
        return _days_from_combinations(indicator, days)
    if connection.vendor == "postgresql":
        rows = _run_bucket_sql(indicator, "local_date", "local_date = ANY(%b)", [sorted(days)])
        return {(seg, start): agg for (start, seg), agg in rows.items()}
    rows = Measurement.objects.filter(indicator=indicator, local_date__in=days)
    return {
        (seg, day): agg for (day, seg), agg in _aggregate_in_python(indicator, rows, "day").items()
    }


_COMBINATIONS_SQL = """
SELECT local_date, segment::text, count(value), sum(value), min(value), max(value), {last},
       count(*) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL),
       sum(numerator) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL),
       sum(denominator) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL)
FROM indicators_measurement
WHERE indicator_id = %b AND local_date = ANY(%b)
GROUP BY local_date, segment
"""
_LAST_SQL = (
    "(array_agg(value ORDER BY observed_at DESC, id DESC))[1],"
    " (array_agg(observed_at ORDER BY observed_at DESC, id DESC))[1],"
    " (array_agg(id ORDER BY observed_at DESC, id DESC))[1]"
)


@dataclass
class _Partial:
    """Day aggregates of one segment combination, which combine into any series it counts in."""

    count: int = 0
    sums: list = field(default_factory=list)
    low: float | None = None
    high: float | None = None
    last: tuple = ()  # (observed_at, id, value) of the latest measurement
    pairs: int = 0
    numerators: list = field(default_factory=list)
    denominators: list = field(default_factory=list)

    def add(self, count, total, low, high, last, pairs, numerator, denominator) -> None:
        self.count += count
        if count:
            self.sums.append(total)
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)
            self.last = max(self.last, last) if last else self.last
        self.pairs += pairs
        if pairs:
            self.numerators.append(numerator)
            self.denominators.append(denominator)

    def aggregate(self, method: str) -> Aggregate:
        if method == "ratio":
            numerator, denominator = math.fsum(self.numerators), math.fsum(self.denominators)
            value = 100 * numerator / denominator if denominator else None
            return Aggregate(value, self.pairs, numerator, denominator)
        if not self.count:
            return Aggregate(None, 0, None, None)
        total = math.fsum(self.sums)
        value = {
            "sum": total,
            "mean": total / self.count,
            "min": self.low,
            "max": self.high,
            "count": float(self.count),
            "last": self.last[2] if self.last else None,
        }[method]
        return Aggregate(float(value), self.count, None, None)


def _days_from_combinations(indicator: Indicator, days: set[date]) -> dict:
    """Day aggregates from one GROUP BY (day, segment combination): each combination then counts
    in the total and in each of its `dimension:member` series. Four times faster than expanding
    every measurement into its series in SQL."""
    last = _LAST_SQL if indicator.aggregation == "last" else "NULL, NULL, NULL"
    with binary_cursor() as cursor:
        cursor.execute(_COMBINATIONS_SQL.format(last=last), [indicator.pk, sorted(days)])
        rows = cursor.fetchall()
    partials: dict[tuple[str, date], _Partial] = defaultdict(_Partial)
    segments: dict[str, list[str]] = {}
    for (
        day,
        segment,
        count,
        total,
        low,
        high,
        last_value,
        last_at,
        last_id,
        pairs,
        num,
        den,
    ) in rows:
        if segment not in segments:
            segments[segment] = series_keys(msgspec.json.decode(segment))
        latest = (last_at, last_id, last_value) if last_at is not None else ()
        for key in segments[segment]:
            partials[(key, day)].add(count, total, low, high, latest, pairs, num, den)
    return {key: partial.aggregate(indicator.aggregation) for key, partial in partials.items()}


def _from_raw(indicator: Indicator, period: str, starts: set[date]) -> dict[Key, Aggregate]:
    low, high = min(starts), next_period_start(max(starts), period)
    if connection.vendor == "postgresql":
        rows = _run_bucket_sql(
            indicator,
            _TRUNC.format(unit=period),
            "local_date >= %b AND local_date < %b",
            [low, high],
        )
    else:
        raw = Measurement.objects.filter(
            indicator=indicator, local_date__gte=low, local_date__lt=high
        )
        rows = _aggregate_in_python(indicator, raw, period)
    return {(period, seg, start): agg for (start, seg), agg in rows.items() if start in starts}


def _run_bucket_sql(indicator, start_sql: str, where: str, params: list) -> dict:
    ratio = indicator.aggregation == "ratio"
    sql = _BUCKET_SQL.format(
        start=start_sql,
        value=_VALUE_SQL[indicator.aggregation],
        counted="numerator IS NOT NULL AND denominator IS NOT NULL"
        if ratio
        else "value IS NOT NULL",
        where=where,
    )
    with binary_cursor() as cursor:
        cursor.execute(sql, [indicator.pk, *params])
        rows = cursor.fetchall()
    result = {}
    for start, seg, value, count, numerator, denominator in rows:
        if ratio:
            value = 100 * numerator / denominator if denominator else None
        else:
            numerator = denominator = None
        result[(start, seg)] = Aggregate(
            float(value) if value is not None else None, count, numerator, denominator
        )
    return result


def series_keys(segment: dict) -> list[str]:
    """The series a measurement counts in: the total ("") and each `dimension:member`."""
    return ["", *(f"{dim}:{member}" for dim, member in segment.items())]


def _aggregate_in_python(indicator: Indicator, rows, period: str) -> dict:
    grouped = defaultdict(lambda: ([], [], []))
    for day, segment, value, numerator, denominator in rows.order_by(
        "observed_at", "id"
    ).values_list("local_date", "segment", "value", "numerator", "denominator"):
        start = period_start(day, period)
        for seg in series_keys(segment):
            values, numerators, denominators = grouped[(start, seg)]
            values.append(value)
            numerators.append(numerator)
            denominators.append(denominator)
    return {
        key: aggregate(indicator.aggregation, values, numerators, denominators)
        for key, (values, numerators, denominators) in grouped.items()
    }
