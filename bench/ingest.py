"""Ingest bench: the push path against raw COPY and a naive DRF baseline, in one run.

    .venv/bin/python bench/ingest.py

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/oc_bench) is created and migrated here and its
measurement tables are emptied. BENCH_REDIS_URL (default redis://127.0.0.1:6379/13) only receives the
wake-up messages on a queue of the bench's own, which nobody consumes and which is deleted at the end.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec  # noqa: E402

from bench import common  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "200000"))
BATCH = 10_000
NAIVE_ROWS = int(os.environ.get("BENCH_NAIVE_ROWS", "5000"))
NAIVE_BATCH = 500
THREADS = 2
CODES = [f"bench_{n}" for n in range(10)]
COPY_COLUMNS = (
    "indicator_id, natural_key, key, segment, observed_at, local_date, value, numerator,"
    " denominator, comment, created_at, updated_at"
)


def copy_text(items: list[dict], indicators: dict, tz) -> bytes:
    """The same rows the API would store, in COPY text format."""
    from indicators.compute.periods import local_date, parse_observed_at
    from indicators.services.items import natural_key_of

    now = common.EPOCH.isoformat()
    out = io.StringIO()
    for raw in items:
        observed_at = parse_observed_at(raw["observed_at"], tz)
        segment = raw["segment"]
        segment_text = msgspec.json.encode(segment).decode()
        out.write(
            f"{indicators[raw['indicator']].pk}\t{natural_key_of(None, segment, observed_at)}\t\\N\t"
            f"{segment_text}\t{observed_at.isoformat()}\t{local_date(observed_at, tz)}\t"
            f"{raw['value']!r}\t\\N\t\\N\t\t{now}\t{now}\n"
        )
    return out.getvalue().encode()


def raw_copy(data: bytes, *, foreign_key: bool) -> float:
    """Seconds for COPY of `data` into bench_copy, a copy of the measurement table's shape.

    LIKE ... INCLUDING ALL copies columns, identity primary key and indexes, not foreign keys;
    `foreign_key` adds the indicator foreign key the product table has.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TABLE bench_copy (LIKE indicators_measurement INCLUDING ALL)")
        if foreign_key:
            cursor.execute(
                "ALTER TABLE bench_copy ADD FOREIGN KEY (indicator_id)"
                " REFERENCES indicators_indicator (id) DEFERRABLE INITIALLY DEFERRED"
            )
        cursor.execute("CHECKPOINT")
    elapsed = common.copy_text_into("bench_copy", COPY_COLUMNS, data)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_copy")
        assert cursor.fetchone()[0] == data.count(b"\n")
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


def push_all(port: int, api_key: str, path: str, bodies: list[bytes]) -> tuple[float, list]:
    """POST every body with THREADS client threads; returns seconds and the decoded answers."""
    clients = [common.Client(port, api_key) for _ in range(THREADS)]

    def run(n: int) -> list:
        answers = []
        for body in bodies[n::THREADS]:
            status, data = clients[n].post(path, body)
            if status != 200:
                raise RuntimeError(f"POST {path} answered {status}: {data[:500]!r}")
            answers.append(msgspec.json.decode(data))
        return answers

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        answers = [a for part in pool.map(run, range(THREADS)) for a in part]
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    return elapsed, answers


def totals(answers: list[dict]) -> dict:
    return {k: sum(a.get(k, 0) for a in answers) for k in ("created", "updated", "unchanged")}


def table_stats() -> tuple[int, int, int]:
    """(n_tup_ins, n_tup_upd, n_tup_del) of the measurement table, flushed by every backend."""
    from django.db import connection

    # An idle backend flushes its pending statistics within PGSTAT_IDLE_INTERVAL (10 s).
    time.sleep(11)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables"
            " WHERE relname = 'indicators_measurement'"
        )
        return cursor.fetchone()


def current_xid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current() % 4294967296")
        return cursor.fetchone()[0]


def rows_written_since(xid: int) -> int:
    """Measurement row versions written by transactions newer than `xid` (xmin)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM indicators_measurement WHERE xmin::text::bigint > %s", [xid]
        )
        return cursor.fetchone()[0]


def revisions() -> int:
    from indicators.models import MeasurementRevision

    return MeasurementRevision.objects.count()


def queries_per_request(api_key: str, items: list[dict]) -> tuple[int, int, list[str]]:
    """(SQL queries, status) of one push through Django's test client in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {api_key}", HTTP_HOST="127.0.0.1")
    client.post("/api/v1/measurements/", b'{"measurements": []}', content_type="application/json")
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/api/v1/measurements/", common.body_of(items), content_type="application/json"
        )
    return len(captured), response.status_code, [q["sql"][:90] for q in captured]


def main() -> int:
    started = common.start("ingest")
    if started is None:
        return 2
    database_url, redis_url, queue, overall = started
    from django.db import connection

    organisation, indicators, api_key = common.bench_organisation(CODES + ["bench_warmup"])
    tz = organisation.tz

    items = [common.item(i, CODES) for i in range(ROWS)]
    batches = [items[start : start + BATCH] for start in range(0, ROWS, BATCH)]
    bodies = [common.body_of(batch) for batch in batches]
    print(f"{ROWS:,} rows in {len(bodies)} batches of {BATCH:,}, {THREADS} client threads")

    # (a) the physical limit: COPY of the same rows into the same table shape.
    data = copy_text(items, indicators, tz)
    copy_seconds = raw_copy(data, foreign_key=False)
    copy_rate = ROWS / copy_seconds
    copy_fk_seconds = raw_copy(data, foreign_key=True)
    copy_fk_rate = ROWS / copy_fk_seconds
    print(f"(a) COPY: {copy_seconds:.2f} s, {copy_rate:,.0f} rows/s; with FK {copy_fk_rate:,.0f}")
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")

    log = Path(tempfile.gettempdir()) / f"{queue}-gunicorn.log"
    env = common.server_env(database_url=database_url, redis_url=redis_url, queue=queue)
    gunicorn, port = common.start_gunicorn(env, workers=2, log=log)
    try:
        # Warm both workers (imports, connections) on an indicator outside the measured data.
        warm = [
            {"indicator": "bench_warmup", "observed_at": f"2024-01-0{n}", "value": n}
            for n in range(1, 5)
        ]
        push_all(port, api_key, "/api/v1/measurements/", [common.body_of(warm[:2])] * 2)
        push_all(port, api_key, "/api/v1/measurements/", [common.body_of(warm[2:])] * 2)

        # (b) the product's bulk push, end to end over HTTP.
        push_seconds, answers = push_all(port, api_key, "/api/v1/measurements/", bodies)
        push_rate = ROWS / push_seconds
        first = totals(answers)
        print(f"(b) push: {push_seconds:.2f} s, {push_rate:,.0f} rows/s, answers {first}")

        # (d) replaying the same batches.
        stats_before, xid, revisions_before = table_stats(), current_xid(), revisions()
        replay_seconds, answers = push_all(port, api_key, "/api/v1/measurements/", bodies)
        replayed = totals(answers)
        stats_after = table_stats()
        rewritten = rows_written_since(xid)
        stat_writes = sum(
            after - before for after, before in zip(stats_after, stats_before, strict=True)
        )
        replay_revisions = revisions() - revisions_before
        print(f"(d) replay: {replay_seconds:.2f} s, answers {replayed}")

        # (e) half new, half changed.
        half = BATCH // 2
        mixed = [{**raw, "value": raw["value"] + 1} for raw in batches[0][:half]] + [
            common.item(i, CODES) for i in range(ROWS, ROWS + half)
        ]
        revisions_before = revisions()
        mixed_seconds, answers = push_all(
            port, api_key, "/api/v1/measurements/", [common.body_of(mixed)]
        )
        mixed_counts = totals(answers)
        mixed_revisions = revisions() - revisions_before
        print(f"(e) half new/half changed: {mixed_seconds:.2f} s, answers {mixed_counts}")

        # (c) the naive per-row DRF baseline, same server, same threads.
        naive_items = [common.item(i, CODES) for i in range(10 * ROWS, 10 * ROWS + NAIVE_ROWS)]
        naive_bodies = [
            common.body_of(naive_items[s : s + NAIVE_BATCH])
            for s in range(0, NAIVE_ROWS, NAIVE_BATCH)
        ]
        naive_seconds, _ = push_all(port, api_key, "/bench/naive/measurements/", naive_bodies)
        naive_rate = NAIVE_ROWS / naive_seconds
        print(f"(c) naive: {naive_seconds:.2f} s, {naive_rate:,.0f} rows/s")
    finally:
        common.stop(gunicorn)

    # (f) SQL queries per request, in this process.
    small = [common.item(i, CODES) for i in range(20 * ROWS, 20 * ROWS + 10)]
    large = [common.item(i, CODES) for i in range(21 * ROWS, 21 * ROWS + BATCH)]
    q_small, s_small, sql_small = queries_per_request(api_key, small)
    q_large, s_large, _ = queries_per_request(api_key, large)
    q_replay, s_replay, _ = queries_per_request(api_key, large)
    assert (s_small, s_large, s_replay) == (200, 200, 200), (s_small, s_large, s_replay)
    common.purge_queue(redis_url, queue)

    expected_mixed = {"created": half, "updated": half, "unchanged": 0}
    rows = [
        ("measure", "result", "goal", "verdict"),
        (
            "(a) raw COPY into bench_copy (PK + indexes)",
            f"{copy_rate:,.0f} rows/s ({copy_seconds:.2f} s)",
            "baseline",
            "-",
        ),
        (
            "    same, plus the indicator foreign key",
            f"{copy_fk_rate:,.0f} rows/s ({copy_fk_seconds:.2f} s)",
            "-",
            "-",
        ),
        (
            "(b) bulk POST 10k batches, gunicorn -w 2, 2 clients",
            f"{push_rate:,.0f} rows/s ({push_seconds:.2f} s)",
            "-",
            "-",
        ),
        (
            "    push / COPY",
            f"{push_rate / copy_rate:.2f}x",
            ">= 0.4x (aim 0.6x)",
            common.verdict(push_rate / copy_rate >= 0.4),
        ),
        ("    push / COPY with foreign key", f"{push_rate / copy_fk_rate:.2f}x", "-", "-"),
        ("(c) naive DRF per-row", f"{naive_rate:,.0f} rows/s ({NAIVE_ROWS:,} rows)", "-", "-"),
        (
            "    push / naive",
            f"{push_rate / naive_rate:.1f}x",
            ">= 30x",
            common.verdict(push_rate / naive_rate >= 30),
        ),
        ("(d) replay: rows rewritten (xmin)", f"{rewritten}", "0", common.verdict(rewritten == 0)),
        (
            "    replay: n_tup_ins+upd+del delta",
            f"{stat_writes}",
            "0",
            common.verdict(stat_writes == 0),
        ),
        (
            "    replay: revisions written",
            f"{replay_revisions}",
            "0",
            common.verdict(replay_revisions == 0),
        ),
        (
            "    replay answers",
            f"{replayed}",
            f"unchanged={ROWS}",
            common.verdict(replayed == {"created": 0, "updated": 0, "unchanged": ROWS}),
        ),
        (
            "    replay time / first push",
            f"{replay_seconds / push_seconds:.2f}x ({ROWS / replay_seconds:,.0f} rows/s)",
            "<= 1.0x",
            common.verdict(replay_seconds <= push_seconds),
        ),
        (
            "(e) half new / half changed",
            f"{mixed_counts}",
            f"{expected_mixed}",
            common.verdict(mixed_counts == expected_mixed),
        ),
        (
            "    revisions kept",
            f"{mixed_revisions}",
            f"{half}",
            common.verdict(mixed_revisions == half),
        ),
        ("    time", f"{mixed_seconds:.2f} s ({BATCH / mixed_seconds:,.0f} rows/s)", "-", "-"),
        ("(f) SQL queries, batch of 10", f"{q_small}", "<= 10", common.verdict(q_small <= 10)),
        (
            "    SQL queries, batch of 10,000",
            f"{q_large}",
            "<= 10, = batch of 10",
            common.verdict(q_large <= 10 and q_large == q_small),
        ),
        (
            "    SQL queries, replay of 10,000",
            f"{q_replay}",
            "<= 10",
            common.verdict(q_replay <= 10),
        ),
    ]
    common.print_table(f"Ingest bench ({time.perf_counter() - overall:.0f} s in all)", rows)
    print("\nqueries of a push of 10:")
    for sql in sql_small:
        print(f"  {sql}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
