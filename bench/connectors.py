"""Connector bench: a SQL pull of 1,000,000 rows against the REST push of the same rows.

    .venv/bin/python bench/connectors.py

BENCH_CONNECTORS_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/oc_bench_connectors) is
created, migrated and its measurement tables emptied here; BENCH_SOURCE_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/oc_bench_source) is the client's database the pull reads: a
table `source_rows` of BENCH_PULL_ROWS (default 1,000,000) rows, made once by generate_series and
kept while it has the right size. Both are ratios from this one run:

(a) the REST push of the rows: 10,000-item batches over HTTP (gunicorn, 2 workers, 2 client
    threads), as bench/ingest.py does;
(b) the SQL pull of the same rows into the emptied tables: one run of the connector (read-only
    transaction, server-side cursor, 10,000-row batches through the sink) in a subprocess of
    its own (started through a small launcher), so its peak RSS (ru_maxrss) is the pull's; then the pull of BENCH_SMALL_ROWS
    (100,000) rows in another, to show the peak does not grow with the rows. Goal: pull rate
    >= 0.5x the push rate.
(c) the SQL statements of one pull batch on our database: a pull of 10,000 rows and one of
    20,000 under CaptureQueriesContext; the difference is one batch.

REDIS_URL is set for the server and the pulls and no worker runs, so both only enqueue the
recompute. Measurements are emptied before each timed step, so each one creates every row.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench import common  # noqa: E402
from bench.ingest import push_all, totals  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/oc_bench_connectors"
DEFAULT_SOURCE_URL = "postgres://postgres@127.0.0.1:5432/oc_bench_source"
ROWS = int(os.environ.get("BENCH_PULL_ROWS", "1000000"))
SMALL_ROWS = int(os.environ.get("BENCH_SMALL_ROWS", "100000"))
BATCH = 10_000
CODES = [f"pull_{n}" for n in range(10)]
MEASUREMENTS = "/api/v1/measurements/"


def database_urls() -> tuple[str, str]:
    return (
        os.environ.get("BENCH_CONNECTORS_DATABASE_URL", DEFAULT_DATABASE_URL),
        os.environ.get("BENCH_SOURCE_DATABASE_URL", DEFAULT_SOURCE_URL),
    )


def make_source(source_url: str, rows: int) -> float:
    """`source_rows`: row i is common.item(i, CODES), the push's row i. Seconds spent (0: kept)."""
    import psycopg

    with psycopg.connect(source_url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('source_rows') IS NOT NULL").fetchone()[0]
        if exists and conn.execute("SELECT count(*) FROM source_rows").fetchone()[0] == rows:
            return 0.0
        started = time.perf_counter()
        conn.execute("DROP TABLE IF EXISTS source_rows")
        conn.execute(
            "CREATE TABLE source_rows (id bigint PRIMARY KEY, indicator text NOT NULL,"
            " observed_at timestamptz NOT NULL, value double precision, channel text NOT NULL)"
        )
        codes = "ARRAY[" + ", ".join(f"'{code}'" for code in CODES) + "]"
        channels = "ARRAY[" + ", ".join(f"'{c}'" for c in common.CHANNELS) + "]"
        conn.execute(
            f"INSERT INTO source_rows SELECT i, ({codes})[i % {len(CODES)} + 1],"
            f" timestamptz '{common.EPOCH.isoformat()}' + i * interval '{common.STEP_SECONDS} s',"
            " ((i * 7919) % 1000)::float8 / 10,"
            f" ({channels})[(i / {len(CODES)}) % {len(common.CHANNELS)} + 1]"
            f" FROM generate_series(0::bigint, {rows - 1}) AS i"
        )
        conn.execute("VACUUM ANALYZE source_rows")
        return time.perf_counter() - started


def pull_connector(organisation, source_url: str, rows: int):
    """The bench's SQL connector for the first `rows` rows, made through the service."""
    from connectors.models import Connector
    from connectors.services.connectors import create_connector

    code = f"bench-pull-{rows}"
    Connector.objects.filter(organisation=organisation, code=code).delete()
    connector, _token = create_connector(
        organisation=organisation,
        kind="sql",
        code=code,
        name=f"Bench pull of {rows:,} rows",
        config={
            "query": f"SELECT * FROM source_rows WHERE id < {rows}",
            "indicator": "",
            "columns": {"indicator": "indicator", "observed_at": "observed_at", "value": "value"},
            "segments": {"channel": "channel"},
            "watermark_column": "id",
            "timeout_seconds": 300,
        },
        secrets={"dsn": source_url},
    )
    return connector


def run_pull(connector):
    """One run of the connector, as "run now" starts it."""
    from connectors.models import RunTrigger
    from connectors.services.runs import run_connector

    return run_connector(connector, trigger=RunTrigger.MANUAL)


def pull_child(connector_id: int) -> int:
    """Subprocess mode: set up Django, run one pull, print JSON with its time and peak RSS."""
    database_url, _source = database_urls()
    redis_url = os.environ.get("BENCH_REDIS_URL", common.DEFAULT_REDIS_URL)
    queue = os.environ["BENCH_QUEUE"]
    # Like common.setup_django without the migrate (done by the parent), so that the RSS after
    # set-up is what a worker holds before its task, and the peak is the pull's own.
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_QUEUE=queue,
        DJANGO_SETTINGS_MODULE="bench.settings",
    )
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from connectors.models import Connector

    connector = Connector.objects.select_related("organisation").get(pk=connector_id)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    run = run_pull(connector)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    answer = {
        "status": run.status,
        "message": run.message,
        "rows": run.rows,
        "created": run.created,
        "seconds": seconds,
        "rss_before_kb": before,
        "rss_peak_kb": peak,
    }
    print(json.dumps(answer))
    return 0


def pull_in_subprocess(connector, queue: str) -> dict:
    env = {**os.environ, "BENCH_QUEUE": queue, "LOG_LEVEL": "WARNING"}
    # Linux keeps a process's peak RSS across fork and exec: a direct child would report this
    # process's peak (the push's bodies). A small launcher in between gives the pull its own.
    launcher = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"
    done = subprocess.run(
        [sys.executable, "-c", launcher, sys.executable, __file__, "--pull", str(connector.pk)],
        cwd=common.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the pull subprocess failed:\n{done.stderr[-3000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    if answer["status"] != "succeeded":
        raise RuntimeError(f"the pull did not succeed: {answer}")
    return answer


def push_bodies(rows: int) -> list[bytes]:
    """The rows as 10,000-item request bodies; the items are made batch by batch."""
    return [
        common.body_of([common.item(i, CODES) for i in range(start, min(start + BATCH, rows))])
        for start in range(0, rows, BATCH)
    ]


def queries_of_pulls(organisation, source_url: str) -> dict[int, int]:
    """SQL statements on our database of a pull of 10,000 and of 20,000 rows (tables emptied)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    found = {}
    for rows in (BATCH, 2 * BATCH):
        common.reset_measurements()
        connector = pull_connector(organisation, source_url, rows)
        with CaptureQueriesContext(connection) as captured:
            run = run_pull(connector)
        assert run.created == rows, run.message
        found[rows] = len(captured.captured_queries)
    return found


def mib(kb: int) -> str:
    return f"{kb / 1024:,.0f} MiB"


def main() -> int:
    overall = time.perf_counter()
    database_url, source_url = database_urls()
    for url in (database_url, source_url):
        if not url.startswith(("postgres://", "postgresql://")):
            print("bench/connectors.py needs PostgreSQL URLs")
            return 2
        common.ensure_database(url)
    redis_url = os.environ.get("BENCH_REDIS_URL", common.DEFAULT_REDIS_URL)
    queue = common.new_queue_name()
    os.environ["BENCH_CONNECTORS_DATABASE_URL"] = database_url
    common.setup_django(database_url=database_url, redis_url=redis_url, queue=queue)
    common.reset_measurements()
    organisation, _indicators, api_key = common.bench_organisation(CODES)
    made = make_source(source_url, ROWS)
    print(f"source: {ROWS:,} rows in source_rows" + (f" (made in {made:.1f} s)" if made else ""))

    bodies = push_bodies(ROWS)
    log = Path(tempfile.gettempdir()) / f"{queue}-gunicorn.log"
    env = common.server_env(database_url=database_url, redis_url=redis_url, queue=queue)
    gunicorn, port = common.start_gunicorn(env, workers=2, log=log)
    try:
        warm = [common.body_of([common.item(ROWS + n, CODES)]) for n in range(4)]
        push_all(port, api_key, MEASUREMENTS, warm)
        push_seconds, answers = push_all(port, api_key, MEASUREMENTS, bodies)
    finally:
        common.stop(gunicorn)
    pushed = totals(answers)
    del bodies
    push_rate = ROWS / push_seconds
    print(f"(a) push: {push_seconds:.2f} s, {push_rate:,.0f} rows/s, answers {pushed}")

    pulls = {}
    for rows in (ROWS, SMALL_ROWS):
        common.reset_measurements()
        connector = pull_connector(organisation, source_url, rows)
        pulls[rows] = pull_in_subprocess(connector, queue)
        answer = pulls[rows]
        print(
            f"(b) pull of {rows:,}: {answer['seconds']:.2f} s,"
            f" {rows / answer['seconds']:,.0f} rows/s, created {answer['created']:,},"
            f" peak RSS {mib(answer['rss_peak_kb'])} (after set-up {mib(answer['rss_before_kb'])})"
        )
    queries = queries_of_pulls(organisation, source_url)
    per_batch = queries[2 * BATCH] - queries[BATCH]
    common.reset_measurements()
    common.purge_queue(redis_url, queue)

    big, small = pulls[ROWS], pulls[SMALL_ROWS]
    pull_rate = ROWS / big["seconds"]
    ratio = pull_rate / push_rate
    growth = big["rss_peak_kb"] / small["rss_peak_kb"]
    rows = [
        ("measure", "result", "goal", "verdict"),
        (f"(a) REST push of {ROWS:,} rows, 10k batches, gunicorn -w 2, 2 clients", f"{push_rate:,.0f} rows/s ({push_seconds:.2f} s)", "baseline", "-"),
        ("    push answers", f"{pushed}", f"created={ROWS}", common.verdict(pushed["created"] == ROWS)),
        (f"(b) SQL pull of the same {ROWS:,} rows, one process", f"{pull_rate:,.0f} rows/s ({big['seconds']:.2f} s)", "-", "-"),
        ("    pull / push", f"{ratio:.2f}x", ">= 0.5x", common.verdict(ratio >= 0.5)),
        ("    pull created", f"{big['created']:,}", f"{ROWS:,}", common.verdict(big["created"] == ROWS)),
        (f"    peak RSS, pull of {ROWS:,}", mib(big["rss_peak_kb"]), "-", "-"),
        (f"    peak RSS, pull of {SMALL_ROWS:,} ({SMALL_ROWS / small['seconds']:,.0f} rows/s)", mib(small["rss_peak_kb"]), "-", "-"),
        ("    peak RSS 1M / 100k", f"{growth:.2f}x", "flat (<= 1.1x)", common.verdict(growth <= 1.1)),
        ("(c) statements of one pull batch (20k pull - 10k pull)", f"{per_batch} ({queries[BATCH]} for a 10k run, {queries[2 * BATCH]} for 20k)", "-", "-"),
    ]  # fmt: skip
    common.print_table(f"Connector bench ({time.perf_counter() - overall:.0f} s in all)", rows)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--pull":
        sys.exit(pull_child(int(sys.argv[2])))
    sys.exit(main())
