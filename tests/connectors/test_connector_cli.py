"""`outcome-chain-push` against a live server: chunks with their own Idempotency-Keys, replays,
retries with back-off, dry runs, the error report by file row, XLSX, JSON and survey responses.

The CLI runs in-process (`main([...])`); where a test must see or disturb the requests, the
recording `http_server` sits in front of the live server and forwards to it with `requests`.
"""

import json
import socket
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
import requests

from connectors.cli import main
from connectors.cli import push as cli_push
from indicators import services as indicator_services
from indicators.models import Measurement, MeasurementRevision
from surveys.models import Response
from surveys.services import create_survey

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Answer:
    """What the `http_server` fixture answers (its own Answer has these three fields)."""

    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)


MEASUREMENTS = "/api/v1/measurements/"
KPI = {"kind": "kpi", "direction": "higher_is_better", "period": "month"}
# Nordic Excel's CSV: semicolons, decimal commas; a blank line (line 5) the reader skips.
FIVE_ROWS = (
    "indicator;observed_at;value;numerator;denominator;segment;key;comment\r\n"
    "fast_quote;2026-03-02;41,5;;;channel:web;;\r\n"
    'fast_quote;2026-03-03;"1 234,5";;;channel:web;;first\r\n'
    "fast_quote;2026-03-04;-2;;;channel:phone;q-4;\r\n"
    "\r\n"
    "conversion;2026-03-02;;87;100;;;\r\n"
    "conversion;2026-03-03T14:00:00+02:00;;3;4;region:north;;late\r\n"
)


@pytest.fixture
def server(live_server, transactional_db, organisation):
    """The live server's URL and an API key of `organisation`, which has two indicators."""
    from accounts.services import create_api_key

    indicator_services.create_indicator(
        organisation=organisation,
        data={**KPI, "code": "fast_quote", "name": "Fast quote", "aggregation": "mean"},
    )
    indicator_services.create_indicator(
        organisation=organisation,
        data={**KPI, "code": "conversion", "name": "Conversion", "aggregation": "ratio"},
    )
    key = create_api_key(organisation=organisation, name="integrator")[1]
    return live_server.url, key


@pytest.fixture
def no_waiting(monkeypatch):
    """The back-off delays the CLI asked for, without waiting them."""
    delays = []
    monkeypatch.setattr(cli_push, "_sleep", delays.append)
    return delays


def forward_to(url: str, *, first: list[Answer] = ()):
    """An `http_server` answer: the answers `first`, one per request, then the live server's."""
    seen = []

    def respond(request):
        seen.append(request)
        if len(seen) <= len(first):
            return first[len(seen) - 1]
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in {"authorization", "idempotency-key", "content-type", "accept"}
        }
        got = requests.request(
            request.method, url + request.path, data=request.body, headers=headers, timeout=30
        )
        headers = {"Content-Type": "application/json"}
        if "Idempotent-Replayed" in got.headers:
            headers["Idempotent-Replayed"] = got.headers["Idempotent-Replayed"]
        return Answer(got.status_code, got.content, headers)

    return respond


def push(file: Path, server_url: str, key: str, *args: str) -> int:
    return main([str(file), "--server", server_url, "--api-key", key, *args])


def keys_of(http_server) -> list[str]:
    return [r.headers["Idempotency-Key"] for r in http_server.requests if r.method == "POST"]


def stored(organisation) -> list[tuple]:
    rows = Measurement.objects.filter(indicator__organisation=organisation).order_by(
        "indicator__code", "observed_at"
    )
    return [
        (
            m.indicator.code,
            m.observed_at,
            m.local_date,
            m.value,
            m.numerator,
            m.denominator,
            m.segment,
            m.key,
            m.comment,
        )
        for m in rows
    ]


# Both pushes of the five rows store exactly these (observed_at in UTC; Helsinki is UTC+2 in March).
FIVE_STORED = [
    ("conversion", datetime(2026, 3, 1, 22, tzinfo=UTC), date(2026, 3, 2), None, 87, 100, {}, None, ""),
    ("conversion", datetime(2026, 3, 3, 12, tzinfo=UTC), date(2026, 3, 3), None, 3, 4, {"region": "north"}, None, "late"),
    ("fast_quote", datetime(2026, 3, 1, 22, tzinfo=UTC), date(2026, 3, 2), 41.5, None, None, {"channel": "web"}, None, ""),
    ("fast_quote", datetime(2026, 3, 2, 22, tzinfo=UTC), date(2026, 3, 3), 1234.5, None, None, {"channel": "web"}, None, "first"),
    ("fast_quote", datetime(2026, 3, 3, 22, tzinfo=UTC), date(2026, 3, 4), -2.0, None, None, {"channel": "phone"}, "q-4", ""),
]  # fmt: skip


def test_five_rows_in_chunks_of_two_are_three_requests_and_a_rerun_replays_them(
    server, organisation, http_server, tmp_path, capsys
):
    live_url, key = server
    http_server.answers[MEASUREMENTS] = forward_to(live_url)
    file = tmp_path / "measurements.csv"
    file.write_bytes(FIVE_ROWS.encode("utf-8-sig"))

    assert push(file, http_server.url, key, "--chunk-size", "2") == 0
    first_keys = keys_of(http_server)
    assert len(first_keys) == 3 and len(set(first_keys)) == 3
    bodies = [json.loads(r.body) for r in http_server.requests]
    assert [len(b["measurements"]) for b in bodies] == [2, 2, 1]
    assert bodies[0]["measurements"][0] == {
        "indicator": "fast_quote",
        "observed_at": "2026-03-02",
        "value": 41.5,
        "segment": {"channel": "web"},
    }
    assert stored(organisation) == FIVE_STORED
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "chunk 1/3: 2 items, created 2, updated 0, unchanged 0",
        "chunk 2/3: 2 items, created 2, updated 0, unchanged 0",
        "chunk 3/3: 1 item, created 1, updated 0, unchanged 0",
        "total: 5 items in 3 chunks, created 5, updated 0, unchanged 0",
    ]

    # The same command again (after a crash, say): the same keys, the first answers replayed.
    assert push(file, http_server.url, key, "--chunk-size", "2") == 0
    assert keys_of(http_server)[3:] == first_keys
    again = " (the first answer again: this chunk was pushed before, nothing new)"
    assert capsys.readouterr().out.splitlines() == [
        "chunk 1/3: 2 items, created 2, updated 0, unchanged 0" + again,
        "chunk 2/3: 2 items, created 2, updated 0, unchanged 0" + again,
        "chunk 3/3: 1 item, created 1, updated 0, unchanged 0" + again,
        "total: 5 items in 3 chunks, created 5, updated 0, unchanged 0",
    ]
    # Pushed another way (one chunk: a new key), the server compares: nothing changes.
    assert push(file, http_server.url, key, "--chunk-size", "5") == 0
    assert keys_of(http_server)[6] not in first_keys
    assert capsys.readouterr().out.splitlines()[-1] == (
        "total: 5 items in 1 chunk, created 0, updated 0, unchanged 5"
    )
    assert stored(organisation) == FIVE_STORED
    assert not MeasurementRevision.objects.exists()


def test_two_503s_are_retried_with_back_off_and_the_third_attempt_writes(
    server, organisation, http_server, tmp_path, capsys, no_waiting, monkeypatch
):
    live_url, key = server
    monkeypatch.setattr(cli_push, "BACKOFF_BASE_SECONDS", 1.0)
    busy = [Answer(503, b"{}", {"Retry-After": "7"}), Answer(503, b"{}")]
    http_server.answers[MEASUREMENTS] = forward_to(live_url, first=busy)
    file = tmp_path / "measurements.csv"
    file.write_text(FIVE_ROWS)

    assert push(file, http_server.url, key) == 0
    assert len(http_server.requests) == 3
    assert len(set(keys_of(http_server))) == 1  # a retry is the same request
    assert no_waiting == [7.0, 2.0]  # the server's Retry-After, then base x 2 (second retry)
    assert len(stored(organisation)) == 5
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "chunk 1/1: the server answered 503; retrying in 7 s (attempt 2 of 6).",
        "chunk 1/1: the server answered 503; retrying in 2 s (attempt 3 of 6).",
    ]
    assert captured.out.splitlines()[-1] == (
        "total: 5 items in 1 chunk, created 5, updated 0, unchanged 0"
    )


def test_back_off_doubles_from_the_base_up_to_the_cap_and_honours_retry_after(monkeypatch):
    monkeypatch.setattr(cli_push, "BACKOFF_BASE_SECONDS", 1.0)
    assert [cli_push.backoff_delay(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert cli_push.backoff_delay(3, "2") == 2.0
    assert cli_push.backoff_delay(0, "Wed, 21 Oct 2026 07:28:00 GMT") == 1.0  # a date: ours


def test_giving_up_at_a_chunk_says_which_and_what_is_already_written(
    http_server, tmp_path, capsys, no_waiting, monkeypatch
):
    monkeypatch.setattr(cli_push, "BACKOFF_BASE_SECONDS", 1.0)
    written = json.dumps({"created": 2, "updated": 0, "unchanged": 0}).encode()
    http_server.answers[MEASUREMENTS] = [Answer(200, written), Answer(502)]
    file = tmp_path / "measurements.csv"
    file.write_text(FIVE_ROWS)

    assert push(file, http_server.url, "oc_key", "--chunk-size", "2", "--retries", "2") == 2
    assert len(http_server.requests) == 4  # chunk 1, then chunk 2 three times; chunk 3 never
    assert no_waiting == [1.0, 2.0]
    err = capsys.readouterr().err
    assert (
        "chunk 2/3 failed after 3 attempts: the server answered 502. Written before it: "
        "1 chunk, 2 items. Running the same command again is safe"
    ) in err
    assert "oc_key" not in err


def test_a_refused_connection_is_retried_then_named(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli_push, "BACKOFF_BASE_SECONDS", 0.01)
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    file = tmp_path / "measurements.csv"
    file.write_text(FIVE_ROWS)

    assert push(file, f"http://127.0.0.1:{port}", "oc_key", "--retries", "2") == 2
    err = capsys.readouterr().err
    assert err.count("retrying in") == 2
    assert (
        f"chunk 1/1 failed after 3 attempts: cannot connect to http://127.0.0.1:{port}. "
        "Written before it: 0 chunks, 0 items."
    ) in err


def test_a_dry_run_writes_nothing_and_says_what_would_change(
    server, organisation, tmp_path, capsys
):
    live_url, key = server
    file = tmp_path / "measurements.csv"
    file.write_text(FIVE_ROWS)

    assert push(file, live_url, key, "--dry-run", "--chunk-size", "3") == 0
    assert stored(organisation) == []
    assert capsys.readouterr().out.splitlines() == [
        "chunk 1/2 (dry run): 3 items, would create 3, update 0, leave 0 unchanged",
        "chunk 2/2 (dry run): 2 items, would create 2, update 0, leave 0 unchanged",
        "dry run, nothing written: 5 items in 2 chunks would create 5, update 0, leave 0 unchanged",
    ]


def test_a_refused_row_is_reported_by_file_row_and_stops_unless_keep_going(
    server, organisation, http_server, tmp_path, capsys
):
    live_url, key = server
    http_server.answers[MEASUREMENTS] = forward_to(live_url)
    file = tmp_path / "measurements.csv"
    # Line 6 (the 4th item, after the blank line 5) names no indicator of the organisation.
    file.write_text(FIVE_ROWS.replace("conversion;2026-03-02", "convertion;2026-03-02"))

    assert push(file, http_server.url, key, "--chunk-size", "2") == 1
    assert len(http_server.requests) == 2  # chunk 3 is not sent
    assert [row[3] for row in stored(organisation)] == [41.5, 1234.5]
    err = capsys.readouterr().err
    assert "chunk 2/3 refused, nothing of it written (1 error):" in err
    assert "  row 6 (item 4), field indicator: " in err
    assert "convertion" in err
    assert "Written before it: 1 chunk, 2 items." in err

    assert push(file, http_server.url, key, "--chunk-size", "2", "--keep-going") == 1
    assert len(http_server.requests) == 5
    assert [row[0] for row in stored(organisation)] == ["conversion", "fast_quote", "fast_quote"]
    captured = capsys.readouterr()
    assert "row 6 (item 4), field indicator" in captured.err
    assert captured.out.splitlines()[-1] == (
        "total: 3 items in 3 chunks, created 3, updated 0, unchanged 0; "
        "refused: 1 chunk with 2 items, nothing of them written"
    )


def test_cells_that_cannot_be_read_are_reported_and_nothing_is_sent(http_server, tmp_path, capsys):
    file = tmp_path / "measurements.csv"
    file.write_text(
        "indicator,observed_at,value\n"
        "fast_quote,2026-03-02,41.5\n"
        "fast_quote,2026-03-03,abc\n"
        "fast_quote,2026-03-02,40\n"
    )
    assert push(file, http_server.url, "oc_key") == 1
    assert http_server.requests == []
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "measurements.csv cannot be pushed as it is (2 problems); nothing was sent:",
        "  row 3 (item 2), field value: Not a number: “abc”.",
        "  row 4 (item 3), field observed_at: Same measurement as row 2 (same indicator, key "
        "or time and segment).",
    ]


def test_an_xlsx_file_is_read_from_its_measurements_sheet(server, organisation, tmp_path, capsys):
    live_url, key = server
    workbook = openpyxl.Workbook()
    workbook.active.title = "help"
    workbook.active.append(["One row per measurement."])
    sheet = workbook.create_sheet("measurements")
    sheet.append(
        ["Indicator", "observed_at", "value", "segment", "key", "numerator", "denominator"]
    )
    sheet.append(["fast_quote", datetime(2026, 3, 2), 12.25, "channel:web;region:north", 1001])
    sheet.append(["fast_quote", datetime(2026, 3, 3, 14, 30), 7, None, None])
    sheet.append(["conversion", "2026-03-04", None, None, None, 1, 3])
    file = tmp_path / "measurements.xlsx"
    workbook.save(file)

    assert push(file, live_url, key, "--time-zone", "Europe/Helsinki") == 0
    assert stored(organisation) == [
        ("conversion", datetime(2026, 3, 3, 22, tzinfo=UTC), date(2026, 3, 4), None, 1, 3, {}, None, ""),
        ("fast_quote", datetime(2026, 3, 1, 22, tzinfo=UTC), date(2026, 3, 2), 12.25, None, None, {"channel": "web", "region": "north"}, "1001", ""),
        ("fast_quote", datetime(2026, 3, 3, 12, 30, tzinfo=UTC), date(2026, 3, 3), 7.0, None, None, {}, None, ""),
    ]  # fmt: skip
    capsys.readouterr()

    # Without --time-zone a spreadsheet time has no offset: said before anything is sent.
    assert push(file, live_url, key) == 1
    assert "row 3 (item 2), field observed_at: The cell holds a time without a time zone " in (
        capsys.readouterr().err
    )


def test_a_json_file_is_sent_as_it_is_and_errors_name_the_item(
    server, organisation, tmp_path, capsys
):
    live_url, key = server
    items = [
        {"indicator": "fast_quote", "observed_at": "2026-03-02", "value": 3},
        {"indicator": "fast_quote", "observed_at": "2026-03-03", "value": "4"},
        {"indicator": "conversion", "observed_at": "2026-03-03", "numerator": 1, "denominator": 2},
    ]
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"measurements": items}))
    assert push(wrapped, live_url, key) == 1  # "4" is a string: refused, nothing written
    assert "item 2 (index 1), field value: " in capsys.readouterr().err
    assert stored(organisation) == []

    items[1]["value"] = 4
    plain = tmp_path / "list.json"
    plain.write_text(json.dumps(items))
    assert push(plain, live_url, key, "--chunk-size", "2") == 0
    assert [(row[0], row[3], row[4], row[5]) for row in stored(organisation)] == [
        ("conversion", None, 1, 2),
        ("fast_quote", 3.0, None, None),
        ("fast_quote", 4.0, None, None),
    ]


def test_survey_responses_go_to_the_survey_with_the_upload_columns(
    server, organisation, tmp_path, capsys
):
    live_url, key = server
    questions = [
        {"code": "nps", "text": "Recommend us?", "type": "nps"},
        {"code": "why", "text": "Why?", "type": "text"},
    ]
    survey = create_survey(organisation, {"code": "rel", "name": "Rel", "questions": questions})
    file = tmp_path / "responses.csv"
    file.write_text(
        "respondent;submitted_at;NPS;why;unit\n"
        "r1;2026-03-02T10:00:00+02:00;9;Fast;north\n"
        "r2;2026-03-03;;;\n"
    )

    assert push(file, live_url, key, "--survey", "rel") == 0
    answers = {
        r.respondent: (r.submitted_at, r.answers, r.attributes)
        for r in Response.objects.filter(survey=survey)
    }
    assert answers == {
        "r1": (datetime(2026, 3, 2, 8, tzinfo=UTC), {"nps": 9, "why": "Fast"}, {"unit": "north"}),
        "r2": (datetime(2026, 3, 2, 22, tzinfo=UTC), {"nps": None, "why": None}, {}),
    }  # fmt: skip
    assert capsys.readouterr().out.splitlines()[-1] == (
        "total: 2 items in 1 chunk, created 2, updated 0, unchanged 0"
    )


def test_a_wrong_key_and_an_unknown_survey_are_clear_messages(server, tmp_path, capsys):
    live_url, key = server
    file = tmp_path / "measurements.csv"
    file.write_text(FIVE_ROWS)
    assert push(file, live_url, "oc_0000_wrong") == 2
    err = capsys.readouterr().err
    assert "chunk 1/1: the server answered 401" in err
    assert "The server refused the API key. Check --api-key" in err
    assert "oc_0000_wrong" not in err

    assert push(file, live_url, key, "--survey", "nope") == 2
    assert "There is no survey “nope” in the API key's organisation. Check --survey." in (
        capsys.readouterr().err
    )


def test_the_package_declares_the_console_script_and_the_module_runs_without_django():
    with (ROOT / "pyproject.toml").open("rb") as file:
        scripts = tomllib.load(file)["project"]["scripts"]
    assert scripts["outcome-chain-push"] == "connectors.cli:main"
    done = subprocess.run(
        [sys.executable, "-m", "connectors.cli", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "usage: outcome-chain-push" in done.stdout and "--chunk-size N" in done.stdout
    # Of the project only core's two plain modules (the uploads' cell rules, the messages).
    probe = "import sys, connectors.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'indicators', 'accounts', 'core', 'config'}))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "['core', 'core.cells', 'core.messages']", done.stderr


def test_a_refusal_for_a_missing_indicator_is_remembered_until_pushed_with_fresh(
    server, organisation, http_server, tmp_path, capsys
):
    live_url, key = server
    http_server.answers[MEASUREMENTS] = forward_to(live_url)
    file = tmp_path / "measurements.csv"
    file.write_text(
        "indicator,observed_at,value\n"
        "fast_quote,2026-03-02,1\n"
        "fast_quote,2026-03-03,2\n"
        "churn,2026-03-02,3\n"
        "churn,2026-03-03,4\n"
    )
    assert push(file, http_server.url, key, "--chunk-size", "2") == 1
    err = capsys.readouterr().err
    assert "chunk 2/2 refused, nothing of it written (2 errors):\n" in err
    assert "  row 4 (item 3), field indicator: " in err and "churn" in err
    assert "remembered" not in err

    # The server is fixed; the same command gets the same keys and the server's remembered 400.
    indicator_services.create_indicator(
        organisation=organisation,
        data={**KPI, "code": "churn", "name": "Churn", "aggregation": "mean"},
    )
    assert push(file, http_server.url, key, "--chunk-size", "2") == 1
    assert keys_of(http_server)[2:] == keys_of(http_server)[:2]
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "chunk 1/2: 2 items, created 2, updated 0, unchanged 0 "
        "(the first answer again: this chunk was pushed before, nothing new)"
    ]
    assert (
        "chunk 2/2 refused, nothing of it written (2 errors). This is the server's remembered "
        "answer from an earlier push of the same chunk (it keeps answers for 24 hours), not a "
        "new check:\n"
    ) in captured.err
    assert (
        "If you have fixed this on the server since (created the indicator, say), push again "
        "with --fresh: new keys, so the server checks the chunk anew."
    ) in captured.err
    assert [row[0] for row in stored(organisation)] == ["fast_quote", "fast_quote"]

    # --fresh: new keys, the server works both chunks out anew.
    assert push(file, http_server.url, key, "--chunk-size", "2", "--fresh") == 0
    fresh_keys = keys_of(http_server)[4:]
    assert len(fresh_keys) == 2 and not set(fresh_keys) & set(keys_of(http_server)[:4])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("--fresh: new Idempotency-Keys for this push (salt ")
    assert out[1:] == [
        "chunk 1/2: 2 items, created 0, updated 0, unchanged 2",
        "chunk 2/2: 2 items, created 2, updated 0, unchanged 0",
        "total: 4 items in 2 chunks, created 2, updated 0, unchanged 2",
    ]
    assert [(row[0], row[3]) for row in stored(organisation)] == [
        ("churn", 3.0),
        ("churn", 4.0),
        ("fast_quote", 1.0),
        ("fast_quote", 2.0),
    ]


def test_a_corrected_time_zone_is_a_new_body_and_a_new_key_not_a_409(
    server, organisation, http_server, tmp_path, capsys
):
    live_url, key = server
    http_server.answers[MEASUREMENTS] = forward_to(live_url)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "measurements"
    sheet.append(["indicator", "observed_at", "value", "key"])
    sheet.append(["fast_quote", datetime(2026, 3, 2, 9), 5, "a"])
    sheet.append(["fast_quote", datetime(2026, 3, 3, 9), 6, "b"])
    file = tmp_path / "measurements.xlsx"
    workbook.save(file)

    assert push(file, http_server.url, key, "--time-zone", "America/New_York") == 0
    assert push(file, http_server.url, key, "--time-zone", "Europe/Helsinki") == 0
    first, second = keys_of(http_server)
    assert first != second
    assert capsys.readouterr().out.splitlines()[-1] == (
        "total: 2 items in 1 chunk, created 0, updated 2, unchanged 0"
    )
    # 09:00 in Helsinki (UTC+2 in March) is 07:00 UTC; the keys identify the measurements.
    assert [(row[1], row[7]) for row in stored(organisation)] == [
        (datetime(2026, 3, 2, 7, tzinfo=UTC), "a"),
        (datetime(2026, 3, 3, 7, tzinfo=UTC), "b"),
    ]


def test_after_a_crash_the_same_command_replays_the_written_chunks_and_writes_the_rest(
    server, organisation, http_server, tmp_path, capsys, no_waiting
):
    live_url, key = server
    forward = forward_to(live_url)
    seen = []

    def respond(request):  # chunk 1 reaches the server, then it goes away for chunk 2
        seen.append(request)
        return Answer(502) if len(seen) in (2, 3) else forward(request)

    http_server.answers[MEASUREMENTS] = respond
    file = tmp_path / "measurements.csv"
    file.write_text(FIVE_ROWS)
    assert push(file, http_server.url, key, "--chunk-size", "2", "--retries", "1") == 2
    assert len(stored(organisation)) == 2
    assert "Written before it: 1 chunk, 2 items." in capsys.readouterr().err

    assert push(file, http_server.url, key, "--chunk-size", "2", "--retries", "1") == 0
    keys = keys_of(http_server)  # A, B, B (retried), then A, B again and C
    assert len(keys) == 6 and keys[1] == keys[2] and keys[3:5] == keys[:2]
    assert keys[5] not in keys[:5]
    assert capsys.readouterr().out.splitlines() == [
        "chunk 1/3: 2 items, created 2, updated 0, unchanged 0 "
        "(the first answer again: this chunk was pushed before, nothing new)",
        "chunk 2/3: 2 items, created 2, updated 0, unchanged 0",
        "chunk 3/3: 1 item, created 1, updated 0, unchanged 0",
        "total: 5 items in 3 chunks, created 5, updated 0, unchanged 0",
    ]
    assert stored(organisation) == FIVE_STORED


def test_a_chunk_key_follows_the_exact_body_the_target_and_the_salt():
    target = cli_push.Target(url="http://x/api/v1/surveys/rel/responses/", wrapper="responses")
    body = b'{"responses":[{"respondent":"r1","answers":{"nps":9}}],"dry_run":false}'
    key = cli_push.chunk_key(body, content_sha="f" * 64, target=target, index=0)
    assert key == cli_push.chunk_key(body, content_sha="f" * 64, target=target, index=0)
    assert key.startswith("oc-push-") and len(key) == 72  # within the server's 200 characters
    others = {
        # survey questions that changed map a column another way: another body
        cli_push.chunk_key(body.replace(b'"nps":9', b'"nps":"9"'), content_sha="f" * 64, target=target, index=0),
        cli_push.chunk_key(body, content_sha="e" * 64, target=target, index=0),
        cli_push.chunk_key(body, content_sha="f" * 64, target=target, index=1),
        cli_push.chunk_key(body, content_sha="f" * 64, target=cli_push.Target(target.url, "responses", "rel"), index=0),
        cli_push.chunk_key(body, content_sha="f" * 64, target=target, index=0, salt="0a1b"),
    }  # fmt: skip
    assert len(others) == 5 and key not in others
