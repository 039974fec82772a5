"""File pull: a CSV / XLSX file from a URL read as an upload of it would be, skipped when
unchanged (ETag, Last-Modified, content hash), written completely or not at all."""

import gzip
import hashlib
import io
import socket
from datetime import UTC, datetime

import openpyxl
import pytest

from connectors.models import Connector, ConnectorKind, Feed, RunStatus, RunTrigger, Target
from connectors.pull.files import validate_config
from connectors.services import run_connector
from indicators.models import Measurement
from surveys.models import Response
from surveys.services import create_survey
from tests.connectors.conftest import Answer
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

HEADER = "indicator,observed_at,value,numerator,denominator,segment,key,comment\n"
ROWS = [
    "fast_quote,2026-03-02,41.5,,,channel:web,,\n",
    'fast_quote,2026-03-03,"38,5",,,channel:web,,\n',
    "ftr,2026-03-02,,87,100,,k1,first\n",
]
TOKEN = "Bearer s3cret-token-4711"


def csv_of(rows=ROWS) -> bytes:
    return (HEADER + "".join(rows)).encode()


@pytest.fixture
def indicators(organisation):
    return [
        IndicatorFactory(organisation=organisation, code="fast_quote", period="day"),
        IndicatorFactory(
            organisation=organisation, code="ftr", aggregation="ratio", unit="%", period="day"
        ),
    ]


@pytest.fixture
def file_connector(make_connector, http_server, indicators):
    def make(path="/kpi.csv", **fields):
        fields.setdefault("config", {"url": http_server.url + path})
        return make_connector(ConnectorKind.FILE, **fields)

    return make


def pull(connector, *, dry_run=False):
    run = run_connector(connector, trigger=RunTrigger.MANUAL, dry_run=dry_run)
    connector.refresh_from_db()
    return run


def counts(run) -> tuple:
    return (run.rows, run.created, run.updated, run.unchanged)


def values() -> dict:
    return {
        (m.indicator.code, m.local_date.isoformat()): (m.value, m.numerator, m.denominator)
        for m in Measurement.objects.select_related("indicator")
    }


def xlsx(sheets: dict) -> bytes:
    """A workbook with one sheet per name (the first one active), each a list of rows."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_csv_file_is_delivered_with_its_numbers_and_its_state_kept(file_connector, http_server):
    body = csv_of()
    http_server.answers["/kpi.csv"] = Answer(200, body)
    connector = file_connector()
    run = pull(connector)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert counts(run) == (3, 3, 0, 0)
    assert values() == {
        ("fast_quote", "2026-03-02"): (41.5, None, None),
        ("fast_quote", "2026-03-03"): (38.5, None, None),  # decimal comma, as an upload reads it
        ("ftr", "2026-03-02"): (None, 87.0, 100.0),
    }
    quote = Measurement.objects.get(indicator__code="fast_quote", local_date="2026-03-02")
    assert quote.segment == {"channel": "web"}
    # A bare date is the start of that day in Helsinki (UTC+2 in March).
    assert quote.observed_at == datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
    assert Measurement.objects.get(indicator__code="ftr").comment == "first"
    assert connector.file_state == {
        "etag": "",
        "last_modified": "",
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    assert Feed.objects.filter(connector=connector).count() == 2
    first = http_server.requests[0].headers
    assert "If-None-Match" not in first and "If-Modified-Since" not in first


def test_an_xlsx_file_is_read_from_the_sheet_the_connector_names(file_connector, http_server):
    http_server.answers["/kpi.xlsx"] = Answer(
        200,
        xlsx(
            {
                "about": [["This workbook is exported nightly."]],
                "data": [
                    ["indicator", "observed_at", "value", "numerator", "denominator"],
                    ["fast_quote", datetime(2026, 3, 2), 12.25, None, None],
                    ["ftr", datetime(2026, 3, 2), None, 45, 50],
                ],
            }
        ),
    )
    connector = file_connector(config={"url": http_server.url + "/kpi.xlsx", "sheet": "data"})
    run = pull(connector)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert counts(run) == (2, 2, 0, 0)
    assert values() == {
        ("fast_quote", "2026-03-02"): (12.25, None, None),
        ("ftr", "2026-03-02"): (None, 45.0, 50.0),
    }


def test_a_sheet_the_workbook_lacks_fails_naming_the_sheets_it_has(file_connector, http_server):
    http_server.answers["/kpi.xlsx"] = Answer(
        200, xlsx({"measurements": [["indicator", "observed_at", "value"]]})
    )
    connector = file_connector(config={"url": http_server.url + "/kpi.xlsx", "sheet": "data"})
    run = pull(connector)
    assert run.status == RunStatus.FAILED
    assert "“data”" in run.message and "“measurements”" in run.message
    assert run.retry_at is None


def test_an_etag_makes_the_next_request_conditional_and_a_304_is_a_skipped_run(
    file_connector, http_server
):
    def answer(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Answer(304)
        return Answer(200, csv_of(), {"ETag": '"v1"'})

    http_server.answers["/kpi.csv"] = answer
    connector = file_connector()
    assert pull(connector).status == RunStatus.SUCCEEDED
    assert connector.file_state["etag"] == '"v1"'
    written = list(Measurement.objects.values_list("id", "updated_at"))
    run = pull(connector)
    assert http_server.requests[1].headers["If-None-Match"] == '"v1"'
    assert run.status == RunStatus.SKIPPED
    assert "unchanged since the last run (ETag)" in run.message
    assert counts(run) == (0, 0, 0, 0)
    assert list(Measurement.objects.values_list("id", "updated_at")) == written
    assert connector.failures_in_row == 0


def test_last_modified_makes_the_next_request_conditional(file_connector, http_server):
    stamp = "Mon, 02 Mar 2026 06:00:00 GMT"

    def answer(request):
        if request.headers.get("If-Modified-Since") == stamp:
            return Answer(304)
        return Answer(200, csv_of(), {"Last-Modified": stamp})

    http_server.answers["/kpi.csv"] = answer
    connector = file_connector()
    assert pull(connector).status == RunStatus.SUCCEEDED
    run = pull(connector)
    assert http_server.requests[1].headers["If-Modified-Since"] == stamp
    assert "If-None-Match" not in http_server.requests[1].headers
    assert run.status == RunStatus.SKIPPED
    assert "(Last-Modified)" in run.message
    assert Measurement.objects.count() == 3


def test_the_same_bytes_from_a_server_without_validators_are_skipped_by_their_hash(
    file_connector, http_server
):
    http_server.answers["/kpi.csv"] = Answer(200, csv_of())
    connector = file_connector()
    pull(connector)
    run = pull(connector)
    assert len(http_server.requests) == 2
    assert run.status == RunStatus.SKIPPED
    assert "same content as the last run" in run.message
    assert counts(run) == (0, 0, 0, 0)


def test_a_changed_file_updates_exactly_the_changed_row_and_same_rows_change_nothing(
    file_connector, http_server
):
    changed = [ROWS[0], ROWS[1].replace('"38,5"', "39"), ROWS[2]]
    http_server.answers["/kpi.csv"] = [
        Answer(200, csv_of()),
        Answer(200, csv_of(changed)),
        # Other bytes (a blank line, CRLF endings), the same rows: nothing to change.
        Answer(200, csv_of(changed).replace(b"\n", b"\r\n") + b"\r\n"),
    ]
    connector = file_connector()
    assert counts(pull(connector)) == (3, 3, 0, 0)
    second = pull(connector)
    assert second.status == RunStatus.SUCCEEDED
    assert counts(second) == (3, 0, 1, 2)
    assert values()[("fast_quote", "2026-03-03")] == (39.0, None, None)
    third = pull(connector)
    assert third.status == RunStatus.SUCCEEDED
    assert counts(third) == (3, 0, 0, 3)
    assert (
        connector.file_state["sha256"]
        == hashlib.sha256(csv_of(changed).replace(b"\n", b"\r\n") + b"\r\n").hexdigest()
    )


def test_a_server_answering_503_fails_the_run_for_a_retry_and_writes_nothing(
    file_connector, http_server
):
    http_server.answers["/kpi.csv"] = Answer(503, b"maintenance")
    connector = file_connector()
    run = pull(connector)
    assert run.status == RunStatus.FAILED
    assert "503" in run.message and "retried" in run.message
    assert run.retry_at is not None
    assert Measurement.objects.count() == 0
    assert connector.file_state == {}


def test_a_server_answering_429_is_retried_too(file_connector, http_server):
    http_server.answers["/kpi.csv"] = Answer(429, b"slow down")
    run = pull(file_connector())
    assert run.status == RunStatus.FAILED and run.retry_at is not None


def test_a_refused_connection_fails_the_run_for_a_retry(make_connector, indicators):
    port = closed_port()
    connector = make_connector(
        ConnectorKind.FILE, config={"url": f"http://127.0.0.1:{port}/kpi.csv"}
    )
    run = pull(connector)
    assert run.status == RunStatus.FAILED
    assert run.message == (
        "Could not reach 127.0.0.1 (Connection refused); the run will be retried."
    )
    assert run.retry_at is not None


def test_a_missing_file_fails_for_good_in_plain_words(file_connector, http_server):
    run = pull(file_connector("/nothing-here.csv"))
    assert run.status == RunStatus.FAILED
    assert run.message == "There is no file at that URL (404 Not Found). Check the URL."
    assert run.retry_at is None
    assert run.connector.failures_in_row == 1


def test_a_refusal_names_the_headers(file_connector, http_server):
    http_server.answers["/kpi.csv"] = Answer(401, b"who are you")
    run = pull(file_connector())
    assert run.status == RunStatus.FAILED and run.retry_at is None
    assert "refused" in run.message and "Authorization" in run.message


def test_a_file_declared_over_the_size_limit_is_refused_naming_it(
    file_connector, http_server, monkeypatch
):
    monkeypatch.setattr("indicators.upload.MAX_FILE_BYTES", 1000)
    http_server.answers["/kpi.csv"] = Answer(200, csv_of(ROWS * 20))
    assert len(csv_of(ROWS * 20)) > 1000
    connector = file_connector()
    run = pull(connector)
    assert run.status == RunStatus.FAILED
    assert "larger than the upload limit of 1000\xa0bytes" in run.message  # no-break space
    assert run.retry_at is None
    assert Measurement.objects.count() == 0
    assert connector.file_state == {}


def test_a_compressed_body_is_counted_as_it_unpacks(file_connector, http_server, monkeypatch):
    # A small Content-Length, a body that unpacks past the limit: stopped while reading.
    monkeypatch.setattr("indicators.upload.MAX_FILE_BYTES", 1000)
    body = csv_of([ROWS[0]] * 200)
    http_server.answers["/kpi.csv"] = Answer(200, gzip.compress(body), {"Content-Encoding": "gzip"})
    assert len(gzip.compress(body)) < 1000 < len(body)
    run = pull(file_connector())
    assert run.status == RunStatus.FAILED
    assert "1000\xa0bytes" in run.message
    assert Measurement.objects.count() == 0


def test_unreadable_cells_fail_the_run_by_line_and_column_and_write_nothing(
    file_connector, http_server
):
    rows = [ROWS[0], "fast_quote,2026-03-03,lots,,,,,\n", ROWS[2], "ftr,2026-03-04,,abc,100,,,\n"]
    http_server.answers["/kpi.csv"] = Answer(200, csv_of(rows))
    connector = file_connector()
    run = pull(connector)
    assert run.status == RunStatus.FAILED
    assert run.rows == 4
    assert [(e["index"], e["field"]) for e in run.errors] == [(3, "value"), (5, "numerator")]
    assert "lots" in run.errors[0]["message"]
    assert run.error_count == 2
    assert Measurement.objects.count() == 0
    assert connector.file_state == {}


def test_items_refused_in_a_later_batch_write_nothing_and_name_their_file_lines(
    file_connector, http_server, settings
):
    settings.INGEST_MAX_ITEMS = 2
    rows = [*ROWS, "nobody_knows,2026-03-02,1,,,,,\n"]
    http_server.answers["/kpi.csv"] = Answer(200, csv_of(rows))
    connector = file_connector()
    run = pull(connector)
    assert run.status == RunStatus.FAILED
    assert run.rows == 4
    assert (run.created, run.updated, run.unchanged) == (0, 0, 0)
    # The fourth row is line 5 of the file (the header is line 1), item 1 of the second batch.
    assert [(e["index"], e["field"]) for e in run.errors] == [(5, "indicator")]
    assert "nobody_knows" in run.errors[0]["message"]
    assert Measurement.objects.count() == 0  # the first batch was rolled back with the second
    assert connector.file_state == {}


def test_survey_responses_are_read_with_the_survey_uploads_columns(
    make_connector, organisation, http_server
):
    survey = create_survey(
        organisation,
        {
            "code": "rel",
            "name": "Relationship",
            "questions": [
                {"code": "nps", "text": "Recommend us?", "type": "nps"},
                {"code": "why", "text": "Why?", "type": "text"},
            ],
        },
    )
    http_server.answers["/responses.csv"] = Answer(
        200,
        b"respondent,submitted_at,NPS,why,unit\n"
        b"r1,2026-03-02T09:30:00+02:00,9,fast,north\n"
        b"r2,2026-03-02,,,south\n"
        b"r3,2026-03-03T12:00:00Z,4,slow,\n",
    )
    connector = make_connector(
        ConnectorKind.FILE,
        target=Target.RESPONSES,
        survey=survey,
        config={"url": http_server.url + "/responses.csv"},
    )
    run = pull(connector)
    assert run.status == RunStatus.SUCCEEDED, (run.message, run.errors)
    assert counts(run) == (3, 3, 0, 0)
    got = {r.respondent: (r.answers, r.attributes) for r in Response.objects.all()}
    assert got == {
        "r1": ({"nps": 9, "why": "fast"}, {"unit": "north"}),
        "r2": ({"nps": None, "why": None}, {"unit": "south"}),
        "r3": ({"nps": 4, "why": "slow"}, {}),
    }
    assert Response.objects.get(respondent="r2").submitted_at == datetime(
        2026, 3, 1, 22, tzinfo=UTC
    )


def test_a_survey_answer_off_the_scale_names_its_line_and_question_column(
    make_connector, organisation, http_server
):
    survey = create_survey(
        organisation,
        {"code": "rel", "name": "Rel", "questions": [{"code": "nps", "text": "?", "type": "nps"}]},
    )
    http_server.answers["/responses.csv"] = Answer(
        200, b"respondent,submitted_at,nps\nr1,2026-03-02,9\nr2,2026-03-02,11\n"
    )
    connector = make_connector(
        ConnectorKind.FILE,
        target=Target.RESPONSES,
        survey=survey,
        config={"url": http_server.url + "/responses.csv"},
    )
    run = pull(connector)
    assert run.status == RunStatus.FAILED
    assert [(e["index"], e["field"]) for e in run.errors] == [(3, "nps")]
    assert Response.objects.count() == 0


def test_the_secret_header_reaches_the_server_and_never_the_run_log(file_connector, http_server):
    def answer(request):
        if request.headers.get("Authorization") != TOKEN:
            return Answer(401)
        # A cell that holds the token: the refusal that quotes the cell must not show it.
        return Answer(200, csv_of([ROWS[0], f"{TOKEN},2026-03-02,1,,,,,\n"]))

    http_server.answers["/kpi.csv"] = answer
    connector = file_connector(secrets={"headers": {"Authorization": TOKEN}})
    run = pull(connector)
    assert http_server.requests[0].headers["Authorization"] == TOKEN
    assert run.status == RunStatus.FAILED
    assert [(e["index"], e["field"]) for e in run.errors] == [(3, "indicator")]
    assert "••••" in run.errors[0]["message"]
    logged = run.message + repr(run.errors)
    assert TOKEN not in logged and "s3cret-token-4711" not in logged


def test_the_secret_headers_do_not_follow_a_redirect_to_another_host(file_connector, http_server):
    port = http_server.url.rsplit(":", 1)[1]
    http_server.answers["/moved.csv"] = Answer(
        302, headers={"Location": f"http://localhost:{port}/kpi.csv"}
    )
    http_server.answers["/kpi.csv"] = Answer(200, csv_of())
    connector = file_connector(
        "/moved.csv", secrets={"headers": {"Authorization": TOKEN, "X-Api-Key": "k-123456"}}
    )
    run = pull(connector)
    assert run.status == RunStatus.SUCCEEDED, run.message
    first, second = http_server.requests
    assert first.headers["X-Api-Key"] == "k-123456"
    assert "X-Api-Key" not in second.headers and "Authorization" not in second.headers


def test_a_redirect_loop_fails_after_five_redirects(file_connector, http_server):
    http_server.answers["/loop.csv"] = Answer(302, headers={"Location": "/loop.csv"})
    run = pull(file_connector("/loop.csv"))
    assert run.status == RunStatus.FAILED
    assert "more than 5 times" in run.message
    assert len(http_server.requests) == 6  # the first request and five redirects


def test_a_dry_run_counts_writes_nothing_and_keeps_the_file_state(file_connector, http_server):
    http_server.answers["/kpi.csv"] = Answer(200, csv_of(), {"ETag": '"v1"'})
    connector = file_connector()
    run = pull(connector, dry_run=True)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert counts(run) == (3, 3, 0, 0)
    assert Measurement.objects.count() == 0
    assert connector.file_state == {}
    # The next real run is not skipped: it reads and writes the file.
    run = pull(connector)
    assert "If-None-Match" not in http_server.requests[1].headers
    assert counts(run) == (3, 3, 0, 0)
    assert Measurement.objects.count() == 3


@pytest.mark.parametrize(
    ("config", "secrets", "field", "words"),
    [
        ({}, {}, "url", "Give the URL"),
        ({"url": "ftp://files.example.com/kpi.csv"}, {}, "url", "“ftp”"),
        ({"url": "files.example.com/kpi.csv"}, {}, "url", "https://"),
        ({"url": "https:///kpi.csv"}, {}, "url", "names no server"),
        ({"url": "https://files.example.com:port/kpi.csv"}, {}, "url", "cannot be read"),
        ({"url": "https://me:pw@files.example.com/kpi.csv"}, {}, "url", "Authorization header"),
        ({"url": "https://x.example/a.xlsx", "sheet": "s" * 32}, {}, "sheet", "31"),
        ({"url": "https://x.example/a.csv"}, {"headers": ["Authorization"]}, "headers", "names"),
        ({"url": "https://x.example/a.csv"}, {"headers": {"Bad Name": "v"}}, "headers", "“Bad"),
        (
            {"url": "https://x.example/a.csv"},
            {"headers": {"Authorization": "Bearer abc\r\nX-Evil: 1"}},
            "headers",
            "Authorization must be one line",
        ),
    ],
)
def test_settings_are_checked_with_a_reason(config, secrets, field, words):
    errors = validate_config(config, secrets, target=Target.MEASUREMENTS)
    assert list(errors) == [field]
    assert words in errors[field]
    assert "abc" not in errors[field]  # a header's value is never quoted


def test_good_settings_pass():
    config = {"url": "https://files.example.com/kpi/measurements.xlsx", "sheet": "data"}
    secrets = {"headers": {"Authorization": "Bearer abc", "X-Api-Key": "k"}}
    assert validate_config(config, secrets, target=Target.RESPONSES) == {}
    assert validate_config({"url": "http://127.0.0.1:8000/f.csv"}, {}, target="measurements") == {}


def test_a_connector_is_saved_only_with_good_settings(organisation):
    from django.core.exceptions import ValidationError

    from connectors.services import create_connector

    with pytest.raises(ValidationError) as refused:
        create_connector(
            organisation=organisation,
            kind=ConnectorKind.FILE,
            code="kpi",
            name="KPI file",
            config={"url": "ftp://x.example/a.csv"},
        )
    assert "url" in refused.value.message_dict
    assert not Connector.objects.exists()


def test_a_304_to_a_request_that_was_not_conditional_fails(file_connector, http_server):
    http_server.answers["/kpi.csv"] = Answer(304)
    run = pull(file_connector())
    assert run.status == RunStatus.FAILED
    assert "not conditional" in run.message


def test_a_connector_saved_without_a_url_fails_saying_so(make_connector, indicators):
    run = pull(make_connector(ConnectorKind.FILE, config={}))
    assert run.status == RunStatus.FAILED
    assert run.message == "Give the URL of the file, starting with https:// or http://."
