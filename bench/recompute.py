"""Recompute bench: one dirty bucket, push-to-visible with one worker, and a full rebuild.

    .venv/bin/python bench/recompute.py

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/oc_bench) is created and migrated here and its
measurement tables are emptied. One gunicorn (2 workers) and ONE Celery worker are started on
127.0.0.1 with a Redis queue of the bench's own (BENCH_REDIS_URL, default database 13).
"""

from __future__ import annotations

import io
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec  # noqa: E402

from bench import common  # noqa: E402

ROWS = int(os.environ.get("BENCH_REBUILD_ROWS", "1000000"))
BUCKET_TRIALS = int(os.environ.get("BENCH_BUCKET_TRIALS", "200"))
VISIBLE_TRIALS = int(os.environ.get("BENCH_VISIBLE_TRIALS", "30"))
CODES = [f"rebuild_{n}" for n in range(10)]
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 3 * 365 * 86400
COPY_COLUMNS = (
    "indicator_id, natural_key, key, segment, observed_at, local_date, value, numerator,"
    " denominator, comment, created_at, updated_at"
)
GROUP_BY = """
    SELECT indicator_id, date_trunc('month', local_date)::date AS period_start,
           avg(value), count(*)
    FROM indicators_measurement WHERE indicator_id = ANY(%s)
    GROUP BY 1, 2
"""
# The same pass at the grain a rebuild needs: one row per (indicator, day, segment combination).
GROUP_BY_PARTS = """
    SELECT indicator_id, local_date, segment, count(value), sum(value)
    FROM indicators_measurement WHERE indicator_id = ANY(%s)
    GROUP BY 1, 2, 3
"""
PERIOD_VALUE_COLUMNS = (
    "indicator_id, period, segment, period_start, value, count, numerator, denominator,"
    " computed_at, target, progress, band_low, band_high, position, assessment, previous,"
    " change, benchmark"
)
GROUP_BY_ALL = """
    SELECT indicator_id, p.period, p.start, s.segment, avg(value), count(*)
    FROM indicators_measurement m
    CROSS JOIN LATERAL (VALUES
        ('day', m.local_date),
        ('week', date_trunc('week', m.local_date)::date),
        ('month', date_trunc('month', m.local_date)::date),
        ('quarter', date_trunc('quarter', m.local_date)::date),
        ('year', date_trunc('year', m.local_date)::date)) AS p(period, start)
    CROSS JOIN LATERAL (VALUES (''), ('channel:' || (m.segment ->> 'channel'))) AS s(segment)
    WHERE indicator_id = ANY(%s)
    GROUP BY 1, 2, 3, 4
"""


def copy_measurements(indicators: dict, tz) -> float:
    """COPY ROWS synthetic measurements straight into the product table; returns seconds."""
    from django.db import connection

    from indicators.compute.periods import local_date
    from indicators.services.items import natural_key_of

    rng = random.Random(7)
    step = SPAN_SECONDS / (ROWS / len(CODES))
    now = datetime.now(UTC).isoformat()
    out = io.StringIO()
    for n in range(ROWS):
        indicator = indicators[CODES[n % len(CODES)]]
        observed_at = START + timedelta(seconds=int((n // len(CODES)) * step))
        segment = {"channel": common.CHANNELS[rng.randrange(len(common.CHANNELS))]}
        segment_text = msgspec.json.encode(segment).decode()
        out.write(
            f"{indicator.pk}\t{natural_key_of(None, segment, observed_at)}\t\\N\t{segment_text}\t"
            f"{observed_at.isoformat()}\t{local_date(observed_at, tz)}\t{rng.random() * 100!r}"
            f"\t\\N\t\\N\t\t{now}\t{now}\n"
        )
    data = out.getvalue().encode()
    elapsed = common.copy_text_into("indicators_measurement", COPY_COLUMNS, data)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE indicators_measurement")
    return elapsed


def time_group_by(query: str, ids: list[int]) -> tuple[float, int]:
    """Best of three runs of `query` (the first also warms the cache), and its row count."""
    from django.db import connection

    best, rows = float("inf"), 0
    for _ in range(3):
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(query, [ids])
            rows = len(cursor.fetchall())
            best = min(best, time.perf_counter() - started)
    return best, rows


def score_like_a_user(indicators: dict) -> None:
    """A baseline, a band, two targets and a benchmark each: a rebuild computes every derived
    field, as it would for a real scorecard."""
    from indicators.models import Band, Benchmark, Indicator, Target

    for indicator in indicators.values():
        Indicator.objects.filter(pk=indicator.pk).update(baseline_value=60.0)
        Band.objects.update_or_create(
            indicator=indicator,
            defaults={"low": 40.0, "high": 55.0, "action_below": "fix", "action_above": "learn"},
        )
        for valid_from, value in ((date(2023, 1, 1), 50.0), (date(2024, 7, 1), 45.0)):
            Target.objects.update_or_create(
                indicator=indicator, valid_from=valid_from, defaults={"value": value}
            )
        Benchmark.objects.update_or_create(
            indicator=indicator, valid_from=date(2024, 1, 1), defaults={"value": 48.0}
        )
        indicator.refresh_from_db()


def time_write_floor(ids: list[int]) -> float:
    """Seconds to INSERT the rebuilt period values, as they are, into an empty table shaped like
    the product's (same columns and indexes): what writing the result costs by itself."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_period_value, bench_period_value_rows")
        cursor.execute(
            "CREATE TABLE bench_period_value (LIKE indicators_periodvalue INCLUDING ALL)"
        )
        cursor.execute(
            "CREATE TABLE bench_period_value_rows AS SELECT * FROM indicators_periodvalue"
            " WHERE indicator_id = ANY(%s)",
            [ids],
        )
        cursor.execute("VACUUM ANALYZE bench_period_value_rows")
        started = time.perf_counter()
        with transaction.atomic():
            cursor.execute(
                f"INSERT INTO bench_period_value ({PERIOD_VALUE_COLUMNS})"
                f" SELECT {PERIOD_VALUE_COLUMNS} FROM bench_period_value_rows"
            )
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_period_value, bench_period_value_rows")
    return elapsed


def mark(indicator_id: int, day: date) -> None:
    from django.utils import timezone

    from indicators.models import DirtyMark

    DirtyMark.objects.update_or_create(
        indicator_id=indicator_id, day=day, defaults={"marked_at": timezone.now()}
    )


def bucket_trials(indicator, days: list[date]) -> list[float]:
    """Seconds of recompute_dirty() for one dirty (indicator, day), BUCKET_TRIALS times."""
    from indicators.services import recompute_dirty

    rng = random.Random(11)
    samples = []
    for _ in range(BUCKET_TRIALS):
        mark(indicator.pk, rng.choice(days))
        started = time.perf_counter()
        done = recompute_dirty()
        samples.append(time.perf_counter() - started)
        assert done == 1, done
    return samples


def visible_trials(port: int, api_key: str, code: str, first_day: date, trials: int) -> list:
    """Seconds from a push's 200 until the values endpoint shows the day's new mean."""
    from django.db import connection

    client = common.Client(port, api_key)
    samples = []
    for n in range(trials):
        day = first_day + timedelta(days=n)
        item = {"indicator": code, "observed_at": f"{day}T12:00:00+00:00", "value": 1000.0 + n}
        status, data = client.post("/api/v1/measurements/", common.body_of([item]))
        assert status == 200, data
        acknowledged = time.perf_counter()
        with connection.cursor() as cursor:  # what the value must now be, from the rows
            cursor.execute(
                "SELECT avg(m.value) FROM indicators_measurement m"
                " JOIN indicators_indicator i ON i.id = m.indicator_id"
                " WHERE i.code = %s AND m.local_date = %s",
                [code, day],
            )
            expected = cursor.fetchone()[0]
        path = f"/api/v1/indicators/{code}/values/?period=day&from={day}&to={day}"
        deadline = acknowledged + 60
        while True:
            status, body = client.get_json(path)
            assert status == 200, body
            results = body["results"]
            value = results[0]["value"] if results else None
            if value is not None and abs(value - expected) <= 1e-9 * max(1.0, abs(expected)):
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"value of {day} not visible after 60 s")
            time.sleep(0.005)
        samples.append(time.perf_counter() - acknowledged)
    client.close()
    return samples


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def main() -> int:
    started = common.start("recompute")
    if started is None:
        return 2
    database_url, redis_url, queue, overall = started
    organisation, indicators, api_key = common.bench_organisation(CODES)
    _org, live, _key = common.bench_organisation(["live_day"], period="day")
    ids = [indicators[code].pk for code in CODES]

    from indicators.models import DirtyMark, PeriodValue
    from indicators.services import mark_indicator_dirty, recompute_dirty

    score_like_a_user(indicators)
    copy_seconds = copy_measurements(indicators, organisation.tz)
    print(f"{ROWS:,} measurements of {len(CODES)} indicators copied in {copy_seconds:.1f} s")

    # Full rebuild against one GROUP BY over the same rows.
    group_seconds, group_rows = time_group_by(GROUP_BY, ids)
    parts_seconds, parts_rows = time_group_by(GROUP_BY_PARTS, ids)
    group_all_seconds, group_all_rows = time_group_by(GROUP_BY_ALL, ids)
    print(
        f"GROUP BY month: {group_seconds:.2f} s ({group_rows} rows); by day and segment:"
        f" {parts_seconds:.2f} s ({parts_rows} rows); all periods and segments:"
        f" {group_all_seconds:.2f} s ({group_all_rows} rows)"
    )
    started = time.perf_counter()
    marked = sum(mark_indicator_dirty(indicator=indicators[code]) for code in CODES)
    mark_seconds = time.perf_counter() - started
    started = time.perf_counter()
    done = recompute_dirty()
    rebuild_seconds = time.perf_counter() - started
    assert not DirtyMark.objects.exists(), "the rebuild left dirty marks"
    values = PeriodValue.objects.filter(indicator_id__in=ids).count()
    print(
        f"rebuild: marked {marked} days in {mark_seconds:.2f} s, recomputed {done} marks in"
        f" {rebuild_seconds:.2f} s, {values} period values"
    )
    # Once more over the same measurements: parallel sums differ in their last bits from the
    # first rebuild's, and no row may be rewritten for that.
    for code in CODES:
        mark_indicator_dirty(indicator=indicators[code])
    from django.utils import timezone

    again_at, started = timezone.now(), time.perf_counter()
    recompute_dirty()
    again_seconds = time.perf_counter() - started
    rewritten = PeriodValue.objects.filter(indicator_id__in=ids, computed_at__gte=again_at).count()
    write_seconds = time_write_floor(ids)
    print(
        f"rebuild again: {again_seconds:.2f} s, {rewritten} of {values} rows rewritten;"
        f" INSERT of the {values} rows alone: {write_seconds:.2f} s"
    )

    # One dirty (indicator, day) bucket, on an indicator with ~{ROWS/10} measurements.
    days = sorted(
        {
            d
            for d in PeriodValue.objects.filter(
                indicator_id=ids[0], period="day", segment=""
            ).values_list("period_start", flat=True)
        }
    )
    samples = bucket_trials(indicators[CODES[0]], days)
    bucket_p50, bucket_p95 = common.median(samples), common.percentile(samples, 95)
    print(f"bucket: p50 {ms(bucket_p50)}, p95 {ms(bucket_p95)} over {len(samples)} trials")
    # The same on an indicator with a few measurements only.
    light = common.bench_organisation(["light_month"])[1]["light_month"]
    from indicators.services import ingest_measurements

    ingest_measurements(
        organisation=organisation,
        items=[
            {"indicator": "light_month", "observed_at": f"2024-03-{d:02d}", "value": float(d)}
            for d in range(1, 29)
        ],
    )
    recompute_dirty()
    light_samples = bucket_trials(light, [date(2024, 3, d) for d in range(1, 29)])
    light_p50, light_p95 = common.median(light_samples), common.percentile(light_samples, 95)

    # Push to visible, with one real worker.
    log_dir = Path(tempfile.gettempdir())
    env = common.server_env(database_url=database_url, redis_url=redis_url, queue=queue)
    worker = common.start_worker(env, queue, log=log_dir / f"{queue}-worker.log")
    gunicorn, port = common.start_gunicorn(env, workers=2, log=log_dir / f"{queue}-gunicorn.log")
    try:
        visible_trials(port, api_key, "live_day", date(2020, 1, 1), 3)  # warm up
        visible = visible_trials(port, api_key, "live_day", date(2021, 1, 1), VISIBLE_TRIALS)
        heavy = visible_trials(
            port, api_key, CODES[1], date(2025, 6, 1), max(5, VISIBLE_TRIALS // 3)
        )
    finally:
        common.stop(gunicorn)
        common.stop(worker)
        common.purge_queue(redis_url, queue)
    visible_p50, visible_p95 = common.median(visible), common.percentile(visible, 95)
    heavy_p50, heavy_p95 = common.median(heavy), common.percentile(heavy, 95)
    del live

    ratio = rebuild_seconds / group_seconds
    rows = [
        ("measure", "result", "goal", "verdict"),
        (
            f"one dirty bucket, indicator with {ROWS // len(CODES):,} rows (n={len(samples)})",
            f"p50 {ms(bucket_p50)}, p95 {ms(bucket_p95)}",
            "p95 <= 20 ms",
            common.verdict(bucket_p95 <= 0.020),
        ),
        (
            f"one dirty bucket, indicator with 28 rows (n={len(light_samples)})",
            f"p50 {ms(light_p50)}, p95 {ms(light_p95)}",
            "p95 <= 20 ms",
            common.verdict(light_p95 <= 0.020),
        ),
        (
            f"push 200 -> visible, 1 worker, light indicator (n={len(visible)})",
            f"p50 {ms(visible_p50)}, p95 {ms(visible_p95)}",
            "p95 <= 2 s",
            common.verdict(visible_p95 <= 2.0),
        ),
        (
            f"push 200 -> visible, 1 worker, {ROWS // len(CODES):,}-row indicator (n={len(heavy)})",
            f"p50 {ms(heavy_p50)}, p95 {ms(heavy_p95)}",
            "p95 <= 2 s",
            common.verdict(heavy_p95 <= 2.0),
        ),
        (
            f"GROUP BY (indicator, month) over {ROWS:,} rows",
            f"{group_seconds:.2f} s",
            "baseline",
            "-",
        ),
        (
            "GROUP BY (indicator, day, segment), the grain of a rebuild",
            f"{parts_seconds:.2f} s",
            "-",
            "-",
        ),
        ("GROUP BY all 5 periods x (total, channel)", f"{group_all_seconds:.2f} s", "-", "-"),
        (f"INSERT of the {values:,} period values alone", f"{write_seconds:.2f} s", "-", "-"),
        (
            f"full rebuild of {ROWS:,} measurements ({values:,} period values)",
            f"{rebuild_seconds:.2f} s (+ {mark_seconds:.1f} s marking)",
            "-",
            "-",
        ),
        ("    rebuild / GROUP BY", f"{ratio:.1f}x", "<= 1.5x", common.verdict(ratio <= 1.5)),
        (
            "    rebuild / (GROUP BY by day and segment + INSERT alone)",
            f"{rebuild_seconds / (parts_seconds + write_seconds):.1f}x",
            "-",
            "-",
        ),
        (
            "    rebuild / GROUP BY all periods and segments",
            f"{rebuild_seconds / group_all_seconds:.1f}x",
            "-",
            "-",
        ),
        (
            "rebuild again over unchanged measurements",
            f"{again_seconds:.2f} s, {rewritten:,} of {values:,} rows rewritten",
            "0 rows rewritten",
            common.verdict(rewritten == 0),
        ),
    ]
    common.print_table(f"Recompute bench ({time.perf_counter() - overall:.0f} s in all)", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
