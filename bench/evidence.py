"""Evidence bench: recomputing 100 hypotheses over 60 monthly periods against reading their series,
and the time from a push's 200 until the hypothesis's new evidence shows in the API.

    .venv/bin/python bench/evidence.py

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/oc_bench) is created and migrated here and
its measurement tables are emptied (hypotheses of the bench organisation too). One gunicorn
(2 workers) and ONE Celery worker (`--pool=solo`) are started on 127.0.0.1 with a Redis queue of
the bench's own (BENCH_REDIS_URL, default database 13).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

HYPOTHESES = int(os.environ.get("BENCH_HYPOTHESES", "100"))
MONTHS = int(os.environ.get("BENCH_MONTHS", "60"))
VISIBLE_TRIALS = int(os.environ.get("BENCH_EVIDENCE_TRIALS", "20"))
MAX_LAG = 3
PER_MONTH = 3  # measurements per indicator and month
ROUNDS = 5
FIRST_MONTH = date(2021, 1, 1)


def month(n: int) -> date:
    index = FIRST_MONTH.year * 12 + FIRST_MONTH.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def series_items(rng: random.Random) -> list[dict]:
    """A cause per hypothesis (a random walk) and an effect following it one month later."""
    items = []
    for h in range(HYPOTHESES):
        level = 100.0
        causes = []
        for _ in range(MONTHS):
            level += rng.gauss(0, 5)
            causes.append(level)
        for m in range(MONTHS):
            effect = 500 - 2 * causes[m - 1] + rng.gauss(0, 10) if m else 300.0
            for k in range(PER_MONTH):
                day = month(m).replace(day=1 + 9 * k)
                for code, value in ((f"cause_{h}", causes[m]), (f"effect_{h}", effect)):
                    items.append(
                        {
                            "indicator": code,
                            "observed_at": f"{day}T12:00:00+00:00",
                            "value": round(value + rng.gauss(0, 1), 3),
                            "key": f"{code}-{m}-{k}",
                        }
                    )
    return items


def load(organisation) -> list:
    """The indicators, their measurements and period values, and the hypotheses."""
    from cpi.models import Hypothesis
    from cpi.services import create_hypothesis
    from indicators.services import ingest_measurements, recompute_dirty

    Hypothesis.objects.filter(organisation=organisation).delete()
    items = series_items(random.Random(12))
    for start in range(0, len(items), 10_000):
        ingest_measurements(organisation=organisation, items=items[start : start + 10_000])
    recompute_dirty()
    from indicators import selectors

    hypotheses = []
    for h in range(HYPOTHESES):
        hypotheses.append(
            create_hypothesis(
                organisation=organisation,
                data={
                    "cause": selectors.indicator_by_code(
                        organisation=organisation, code=f"cause_{h}"
                    ),
                    "effect": selectors.indicator_by_code(
                        organisation=organisation, code=f"effect_{h}"
                    ),
                    "expected_sign": "negative",
                    "max_lag": MAX_LAG,
                    "period": "month",
                    "statement": f"bench {h}",
                },
            )
        )
    return hypotheses


def best_of(rounds: int, run) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return min(samples)


def time_reads(hypotheses: list) -> tuple[float, float]:
    """(one query for every series, one query per hypothesis) in seconds, best of ROUNDS."""
    from cpi.selectors import series_of
    from indicators.selectors import total_series

    ids = sorted({i for h in hypotheses for i in (h.cause_id, h.effect_id)})
    one = best_of(ROUNDS, lambda: total_series(indicator_ids=ids, period="month"))
    each = best_of(ROUNDS, lambda: [series_of(h) for h in hypotheses])
    return one, each


def time_recompute(organisation) -> tuple[float, int, int]:
    """Seconds (best of ROUNDS) and SQL statements to recompute every hypothesis's evidence;
    the marking UPDATE before each round (what the hook does) is not timed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from cpi.models import Hypothesis
    from cpi.services import recompute_wanted

    def mark() -> None:
        Hypothesis.objects.filter(organisation=organisation).update(wanted_at=timezone.now())

    samples = []
    for _ in range(ROUNDS):
        mark()
        started = time.perf_counter()
        recompute_wanted(organisation_id=organisation.pk, limit=100_000)
        samples.append(time.perf_counter() - started)
    mark()
    with CaptureQueriesContext(connection) as queries:
        done = recompute_wanted(organisation_id=organisation.pk, limit=100_000)
    return min(samples), len(queries), done


def visible_trials(
    port: int, api_key: str, hypothesis_id: int, trials: int, first: int = 0
) -> list[float]:
    """Seconds from the 200 of a push that changes the cause series until the API answers the
    hypothesis's evidence recomputed after it (a newer computed_at)."""
    client = common.Client(port, api_key)
    path = f"/api/v1/hypotheses/{hypothesis_id}/"
    samples = []
    for n in range(first, first + trials):  # a new key each time: a resend would change nothing
        status, body = client.get_json(path)
        assert status == 200, body
        before = body["evidence"]["computed_at"]
        item = {
            "indicator": "cause_0",
            "observed_at": f"{month(n % MONTHS)}T13:00:00+00:00",
            "value": 50.0 + n,
            "key": f"visible-{n}",
        }
        status, data = client.post("/api/v1/measurements/", common.body_of([item]))
        assert status == 200, data
        acknowledged = time.perf_counter()
        while True:
            status, body = client.get_json(path)
            assert status == 200, body
            if body["evidence"]["computed_at"] != before:
                break
            if time.perf_counter() - acknowledged > 60:
                raise RuntimeError("evidence not recomputed 60 s after the push")
            time.sleep(0.01)
        samples.append(time.perf_counter() - acknowledged)
    client.close()
    return samples


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def main() -> int:
    started = common.start("evidence")
    if started is None:
        return 2
    database_url, redis_url, queue, overall = started
    codes = [f"{side}_{h}" for h in range(HYPOTHESES) for side in ("cause", "effect")]
    organisation, _indicators, api_key = common.bench_organisation(codes)
    load_started = time.perf_counter()
    hypotheses = load(organisation)
    supported = sum(h.status == "supported" for h in hypotheses)
    print(
        f"{HYPOTHESES} hypotheses over {MONTHS} months loaded in"
        f" {time.perf_counter() - load_started:.1f} s; {supported} supported"
    )

    read_one, read_each = time_reads(hypotheses)
    recompute_seconds, statements, done = time_recompute(organisation)
    assert done == HYPOTHESES, done
    print(
        f"read once {ms(read_one)}, per hypothesis {ms(read_each)};"
        f" recompute {ms(recompute_seconds)} ({statements} statements)"
    )

    log_dir = Path(tempfile.gettempdir())
    env = common.server_env(database_url=database_url, redis_url=redis_url, queue=queue)
    worker = common.start_worker(env, queue, log=log_dir / f"{queue}-worker.log")
    gunicorn, port = common.start_gunicorn(env, workers=2, log=log_dir / f"{queue}-gunicorn.log")
    try:
        visible_trials(port, api_key, hypotheses[0].pk, 2)  # warm up
        visible = visible_trials(port, api_key, hypotheses[0].pk, VISIBLE_TRIALS, first=2)
    finally:
        common.stop(gunicorn)
        common.stop(worker)
        common.purge_queue(redis_url, queue)
    p50, p95 = common.median(visible), common.percentile(visible, 95)

    ratio = recompute_seconds / read_one
    common.print_table(
        f"evidence bench ({time.perf_counter() - overall:.0f} s in all)",
        [
            ("measure", "result", "goal", "verdict"),
            (
                f"read the {2 * HYPOTHESES} series once (one query)",
                ms(read_one),
                "baseline",
                "-",
            ),
            (
                f"read them hypothesis by hypothesis ({HYPOTHESES} queries)",
                ms(read_each),
                "-",
                "-",
            ),
            (
                f"recompute {HYPOTHESES} hypotheses x {MONTHS} months (lags 0..{MAX_LAG})",
                f"{ms(recompute_seconds)} = {ratio:.1f}x the read,"
                f" {recompute_seconds / read_each:.1f}x the per-hypothesis reads;"
                f" {statements} statements",
                "<= 10x",
                common.verdict(ratio <= 10),
            ),
            (
                f"push 200 -> evidence in the API, 1 worker (n={len(visible)})",
                f"p50 {ms(p50)}, p95 {ms(p95)}",
                "p95 <= 5 s",
                common.verdict(p95 <= 5.0),
            ),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
