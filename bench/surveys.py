"""Survey bench: the responses push against raw COPY, and the results against one GROUP BY.

    .venv/bin/python bench/surveys.py

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/oc_bench) is created and migrated here and
the bench survey's responses are emptied. Two measures, both ratios from this one run:

(a) pushing BENCH_RESPONSES (default 100,000) responses of 12 answers in 10,000-item batches over
    HTTP (gunicorn, 2 workers, 2 client threads) against a raw COPY of the same rows into a table
    of the same shape (goal >= 0.3x);
(b) the results of one question over all responses, overall and cut by an attribute, against one
    `GROUP BY` over the same answers in SQL (goal <= 3x): the selector in this process, and the
    results API through Django's test client.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec  # noqa: E402

from bench import common  # noqa: E402
from bench.ingest import push_all, totals  # noqa: E402

RESPONSES = int(os.environ.get("BENCH_RESPONSES", "100000"))
BATCH = 10_000
SURVEY = "bench_rel"
UNITS = [f"unit-{n:02d}" for n in range(12)]
LIKERT = [f"q{n}" for n in range(1, 10)]
QUESTIONS = [
    {"code": "nps", "text": "How likely are you to recommend us?", "type": "nps"},
    {"code": "csat", "text": "How satisfied are you?", "type": "csat"},
    {"code": "ces", "text": "How easy was it?", "type": "ces"},
    *(
        {
            "code": code,
            "text": f"Statement {code}",
            "type": "likert",
            "scale_min": 1,
            "scale_max": 5,
        }
        for code in LIKERT
    ),
]
COPY_COLUMNS = (
    "survey_id, respondent, submitted_at, local_date, attributes, answers, created_at, updated_at"
)
REPEATS = 7
GROUP_SQL = (
    "SELECT (answers->>%s)::int, count(*) FROM surveys_response WHERE survey_id = %s"
    " AND jsonb_typeof(answers->%s) = 'number' GROUP BY 1"
)
GROUP_BY_SQL = (
    "SELECT attributes->>%s, (answers->>%s)::int, count(*) FROM surveys_response"
    " WHERE survey_id = %s AND jsonb_typeof(answers->%s) = 'number' GROUP BY 1, 2"
)


def response(i: int) -> dict:
    """Response `i`: 12 answers, one in 25 skipped, three background variables."""
    day = common.observed_at_of(i * 3)
    answers = {"nps": (i * 7) % 11, "csat": 1 + (i * 3) % 5, "ces": 1 + (i * 5) % 7}
    answers |= {code: 1 + (i * (n + 2)) % 5 for n, code in enumerate(LIKERT)}
    if i % 25 == 0:
        answers["q1"] = None
    return {
        "respondent": f"r{i:07d}",
        "submitted_at": day.isoformat(),
        "attributes": {
            "unit": UNITS[i % len(UNITS)],
            "customer_contact": "yes" if i % 3 else "no",
            "tenure": (i % 20) + 1,
        },
        "answers": answers,
    }


def copy_text(items: list[dict], survey_id: int, tz) -> bytes:
    """The rows the API stores (attributes as text, canonical sorted JSON), as COPY text."""
    from indicators.compute.periods import local_date, parse_observed_at

    now = common.EPOCH.isoformat()
    out = io.StringIO()
    for raw in items:
        submitted = parse_observed_at(raw["submitted_at"], tz)
        attributes = {k: str(v) for k, v in raw["attributes"].items()}
        attributes_text = msgspec.json.encode(attributes, order="sorted").decode()
        answers_text = msgspec.json.encode(raw["answers"], order="sorted").decode()
        out.write(
            f"{survey_id}\t{raw['respondent']}\t{submitted.isoformat()}\t"
            f"{local_date(submitted, tz)}\t{attributes_text}\t{answers_text}\t{now}\t{now}\n"
        )
    return out.getvalue().encode()


def raw_copy(data: bytes) -> float:
    """Seconds for COPY of `data` into bench_copy, a table of the response table's shape."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TABLE bench_copy (LIKE surveys_response INCLUDING ALL)")
        cursor.execute("CHECKPOINT")
    elapsed = common.copy_text_into("bench_copy", COPY_COLUMNS, data)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_copy")
        assert cursor.fetchone()[0] == data.count(b"\n")
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


def bench_survey(organisation):
    from surveys import services
    from surveys.models import Response, ResponseRevision, Survey

    survey = Survey.objects.filter(organisation=organisation, code=SURVEY).first()
    if survey is None:
        survey = services.create_survey(
            organisation, {"code": SURVEY, "name": "Bench survey", "questions": QUESTIONS}
        )
    ResponseRevision.objects.filter(response__survey=survey).delete()
    Response.objects.filter(survey=survey).delete()
    return survey


def best_of(run) -> float:
    """The median of REPEATS timed runs of `run()`, in seconds, after one warm-up."""
    run()
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return common.median(samples)


def sql_group(survey_id: int, by: str | None) -> float:
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            if by:
                cursor.execute(GROUP_BY_SQL, [by, "nps", survey_id, "nps"])
            else:
                cursor.execute(GROUP_SQL, ["nps", survey_id, "nps"])
            cursor.fetchall()

    return best_of(run)


def selector_time(survey, by: str | None) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from surveys import selectors

    question = survey.questions.get(code="nps")
    seconds = best_of(lambda: selectors.question_results(survey, question, by=by))
    with CaptureQueriesContext(connection) as captured:
        selectors.question_results(survey, question, by=by)
    queries = len(captured)
    return seconds, queries


def api_time(api_key: str, by: str | None) -> tuple[float, int, dict]:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {api_key}", HTTP_HOST="127.0.0.1")
    path = f"/api/v1/surveys/{SURVEY}/results/?question=nps" + (f"&by={by}" if by else "")
    answer = {}

    def run():
        response = client.get(path)
        assert response.status_code == 200, response.content[:300]
        answer.update(response.json())

    return best_of(run), 0, answer


def push(port: int, api_key: str, bodies: list[bytes]) -> tuple[float, dict]:
    seconds, answers = push_all(port, api_key, f"/api/v1/surveys/{SURVEY}/responses/", bodies)
    return seconds, totals(answers)


def main() -> int:
    started = common.start("surveys")
    if started is None:
        return 2
    database_url, redis_url, queue, overall = started
    from django.db import connection

    organisation, _indicators, api_key = common.bench_organisation([])
    survey = bench_survey(organisation)
    items = [response(i) for i in range(RESPONSES)]
    bodies = [
        msgspec.json.encode({"responses": items[s : s + BATCH]}) for s in range(0, RESPONSES, BATCH)
    ]
    print(f"{RESPONSES:,} responses of 12 answers in {len(bodies)} batches of {BATCH:,}")

    copy_seconds = raw_copy(copy_text(items, survey.pk, organisation.tz))
    copy_rate = RESPONSES / copy_seconds
    print(f"(a) COPY: {copy_seconds:.2f} s, {copy_rate:,.0f} rows/s")
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")

    log = Path(tempfile.gettempdir()) / f"{queue}-gunicorn.log"
    env = common.server_env(database_url=database_url, redis_url=redis_url, queue=queue)
    gunicorn, port = common.start_gunicorn(env, workers=2, log=log)
    try:
        warm = [msgspec.json.encode({"responses": [response(RESPONSES + n)]}) for n in range(4)]
        push(port, api_key, warm)
        push_seconds, first = push(port, api_key, bodies)
        push_rate = RESPONSES / push_seconds
        print(f"(a) push: {push_seconds:.2f} s, {push_rate:,.0f} rows/s, answers {first}")
        replay_seconds, replayed = push(port, api_key, bodies)
        print(f"    replay: {replay_seconds:.2f} s, answers {replayed}")
    finally:
        common.stop(gunicorn)
    common.purge_queue(redis_url, queue)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE surveys_response")

    measured = {}
    for by in (None, "unit"):
        sql_seconds = sql_group(survey.pk, by)
        selector_seconds, queries = selector_time(survey, by)
        api_seconds, _q, answer = api_time(api_key, by)
        measured[by] = (sql_seconds, selector_seconds, api_seconds, queries, answer)
        label = by or "overall"
        print(
            f"(b) {label}: GROUP BY {sql_seconds * 1000:.1f} ms, selector"
            f" {selector_seconds * 1000:.1f} ms ({queries} queries), API {api_seconds * 1000:.1f} ms"
        )

    total = RESPONSES + 4
    rows = [
        ("measure", "result", "goal", "verdict"),
        ("(a) raw COPY into bench_copy", f"{copy_rate:,.0f} rows/s ({copy_seconds:.2f} s)", "baseline", "-"),
        ("    bulk POST 10k batches, gunicorn -w 2, 2 clients", f"{push_rate:,.0f} rows/s ({push_seconds:.2f} s)", "-", "-"),
        ("    push / COPY", f"{push_rate / copy_rate:.2f}x", ">= 0.3x", common.verdict(push_rate / copy_rate >= 0.3)),
        ("    first push answers", f"{first}", f"created={RESPONSES}", common.verdict(first["created"] == RESPONSES)),
        ("    replay answers", f"{replayed}", f"unchanged={RESPONSES}", common.verdict(replayed["unchanged"] == RESPONSES)),
        ("    replay time / first push", f"{replay_seconds / push_seconds:.2f}x", "<= 1.0x", common.verdict(replay_seconds <= push_seconds)),
    ]  # fmt: skip
    for by, (sql_seconds, selector_seconds, api_seconds, queries, answer) in measured.items():
        label = f"by {by}" if by else "overall"
        n = answer["overall"]["n"]
        rows += [
            (f"(b) results {label}: one GROUP BY in SQL", f"{sql_seconds * 1000:.1f} ms", "baseline", "-"),
            ("    selector / GROUP BY", f"{selector_seconds / sql_seconds:.2f}x ({queries} queries)", "<= 3x", common.verdict(selector_seconds <= 3 * sql_seconds)),
            ("    results API / GROUP BY", f"{api_seconds / sql_seconds:.2f}x ({api_seconds * 1000:.1f} ms)", "<= 3x", common.verdict(api_seconds <= 3 * sql_seconds)),
            ("    n of the answer", f"{n:,}", f"{total:,}", common.verdict(n == total)),
        ]  # fmt: skip
    common.print_table(f"Survey bench ({time.perf_counter() - overall:.0f} s in all)", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
