"""POST /hooks/<token>/: the webhook endpoint from the raw call to the stored rows and the run log.

A generic measurements mapping (no preset) signed the way many CRMs sign: HMAC-SHA256 in hex
over "<timestamp>.<body>", with the Unix time in its own header.
"""

import hashlib
import hmac
import io
import json
import logging
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from config.logging import GunicornLogger, WebhookTokenFilter
from connectors import secrets as connector_secrets
from connectors.models import Connector, ConnectorKind, Run, RunStatus, RunTrigger, Target
from indicators.models import Measurement
from tests.connectors.connector_pages_data import make_admin, webhook_data
from tests.factories import IndicatorFactory
from tests.surveys.survey_data import make_survey

SECRET = "whsec-7d2f-kept-on-both-sides"
TOKEN = "test-token-measurements-0001"
URL = f"/hooks/{TOKEN}/"
CONFIG = {
    "items": "readings",
    "fields": {
        "indicator": "'calls'",
        "observed_at": "at",
        "value": "count",
        "key": "id",
        "comment": "note",
    },
    "segments": {"team": "team.name"},
    "signature": {
        "header": "X-Signature",
        "algorithm": "sha256",
        "encoding": "hex",
        "prefix": "v1=",
        "timestamp_header": "X-Timestamp",
        "tolerance_seconds": 300,
        "signed": "timestamp.body",
    },
}
PAYLOAD = {
    "sent_by": "crm",
    "readings": [
        {"id": "r-1", "at": "2026-11-02T09:00:00+02:00", "count": 14, "team": {"name": "north"}},
        {
            "id": "r-2",
            "at": "2026-11-02T10:00:00+02:00",
            "count": 3.5,
            "team": {"name": "south"},
            "note": "half day",
        },
    ],
}


@pytest.fixture
def calls(organisation):
    return IndicatorFactory(organisation=organisation, code="calls", aggregation="sum")


@pytest.fixture
def hook(make_connector, calls):
    return make_connector(
        ConnectorKind.WEBHOOK,
        code="crm-calls",
        secrets={"signing_secret": SECRET},
        config=CONFIG,
        target=Target.MEASUREMENTS,
        token_hash=connector_secrets.hash_token(TOKEN),
        token_hint=TOKEN[-4:],
        notify_after=100,
    )


def signed(body: bytes, *, timestamp=None, secret=SECRET) -> dict:
    """Headers of a call signed as CONFIG says, computed here with hmac directly."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return {"HTTP_X_SIGNATURE": "v1=" + mac.hexdigest(), "HTTP_X_TIMESTAMP": timestamp}


def post(client, body, headers=None, url=URL):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(url, raw, content_type="application/json", **(headers or {}))


def runs(connector) -> list[Run]:
    return list(Run.objects.filter(connector=connector).order_by("pk"))


def test_a_signed_call_stores_its_measurements_and_logs_a_run(client, hook, calls):
    body = json.dumps(PAYLOAD).encode()
    response = post(client, body, signed(body))
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    stored = {m.key: m for m in Measurement.objects.filter(indicator=calls)}
    assert set(stored) == {"r-1", "r-2"}
    assert stored["r-1"].value == 14.0
    assert stored["r-1"].segment == {"team": "north"}
    assert stored["r-1"].comment == ""
    assert stored["r-2"].value == 3.5
    assert stored["r-2"].segment == {"team": "south"}
    assert stored["r-2"].comment == "half day"
    assert stored["r-1"].observed_at.isoformat() == "2026-11-02T07:00:00+00:00"
    [run] = runs(hook)
    assert (run.trigger, run.status) == (RunTrigger.WEBHOOK, RunStatus.SUCCEEDED)
    assert (run.rows, run.created, run.updated, run.unchanged) == (2, 2, 0, 0)
    hook.refresh_from_db()
    assert hook.last_success_at is not None


def test_a_resend_within_the_tolerance_is_accepted_and_changes_nothing(client, hook, calls):
    body = json.dumps(PAYLOAD).encode()
    headers = signed(body, timestamp=int(time.time()) - 200)  # 200 s old, 300 s allowed
    assert post(client, body, headers).json() == {"created": 2, "updated": 0, "unchanged": 0}
    again = post(client, body, headers)
    assert again.status_code == 200
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert Measurement.objects.filter(indicator=calls).count() == 2


def test_one_changed_reading_updates_one_and_leaves_the_other(client, hook, calls):
    body = json.dumps(PAYLOAD).encode()
    post(client, body, signed(body))
    changed = json.loads(body)
    changed["readings"][1]["count"] = 4
    body = json.dumps(changed).encode()
    assert post(client, body, signed(body)).json() == {"created": 0, "updated": 1, "unchanged": 1}
    assert Measurement.objects.get(indicator=calls, key="r-2").value == 4.0


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({}, "The X-Signature header is missing"),
        ({"HTTP_X_SIGNATURE": "v1=00ff"}, "The X-Timestamp header is missing"),
        ({"HTTP_X_SIGNATURE": "v1=00ff", "HTTP_X_TIMESTAMP": "now"}, "is not a Unix time"),
        ({"HTTP_X_TIMESTAMP": "{now}", "HTTP_X_SIGNATURE": "v1=00ff"}, "does not match the body"),
    ],
)
def test_a_call_without_a_valid_signature_is_refused_with_401(client, hook, calls, headers, says):
    now = str(int(time.time()))
    headers = {name: value.replace("{now}", now) for name, value in headers.items()}
    response = post(client, PAYLOAD, headers)
    assert response.status_code == 401
    assert says in response.json()["message"]
    assert says in response.json()["errors"][0]["message"]
    assert Measurement.objects.count() == 0
    [run] = runs(hook)
    assert run.status == RunStatus.FAILED
    assert says in run.message
    assert SECRET not in response.content.decode()


def test_a_body_signed_with_another_secret_is_refused(client, hook, calls):
    body = json.dumps(PAYLOAD).encode()
    response = post(client, body, signed(body, secret="someone-elses-secret"))
    assert response.status_code == 401
    assert "does not match the body" in response.json()["message"]
    assert Measurement.objects.count() == 0


def test_a_body_changed_after_signing_is_refused(client, hook, calls):
    body = json.dumps(PAYLOAD).encode()
    headers = signed(body)
    tampered = body.replace(b'"count": 14', b'"count": 41')
    assert tampered != body
    assert post(client, tampered, headers).status_code == 401
    assert Measurement.objects.count() == 0


@pytest.mark.parametrize(
    ("offset", "says"),
    [(-330, "The call is too old"), (+330, "The call is in the future")],
)
def test_a_timestamp_outside_the_tolerance_is_refused(client, hook, calls, offset, says):
    body = json.dumps(PAYLOAD).encode()
    response = post(client, body, signed(body, timestamp=int(time.time()) + offset))
    assert response.status_code == 401
    assert says in response.json()["message"]
    assert "300 s allowed" in response.json()["message"]
    assert Measurement.objects.count() == 0


def test_a_payload_the_mapping_cannot_read_names_the_expression_and_the_item(client, hook, calls):
    payload = json.loads(json.dumps(PAYLOAD))
    del payload["readings"][1]["at"]
    body = json.dumps(payload).encode()
    response = post(client, body, signed(body))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "index": 1,
            "field": "observed_at",
            "expression": "at",
            "message": "Item 1: the expression “at” for observed_at finds nothing.",
        }
    ]
    assert Measurement.objects.count() == 0  # item 0 was fine, and is not stored either
    [run] = runs(hook)
    assert run.status == RunStatus.FAILED
    assert run.errors == response.json()["errors"]
    assert run.error_count == 1


def test_an_items_expression_that_finds_nothing_is_a_400(client, hook, calls):
    body = json.dumps({"rows": []}).encode()
    response = post(client, body, signed(body))
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"], error["expression"]) == (None, "items", "readings")
    assert "finds nothing in the payload" in error["message"]


def test_values_the_ingest_refuses_answer_400_with_index_and_field(client, hook, calls):
    payload = json.loads(json.dumps(PAYLOAD))
    payload["readings"][1]["count"] = "3.5"  # a number as a string: refused as for a push
    body = json.dumps(payload).encode()
    response = post(client, body, signed(body))
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (1, "value")
    assert Measurement.objects.count() == 0
    [run] = runs(hook)
    assert run.status == RunStatus.FAILED
    assert [(e["index"], e["field"]) for e in run.errors] == [(1, "value")]


def test_a_body_that_is_not_json_is_a_400(client, hook, calls):
    body = b"readings=1&count=2"
    response = post(client, body, signed(body))
    assert response.status_code == 400
    assert "The body is not JSON" in response.json()["message"]
    assert runs(hook)[0].status == RunStatus.FAILED


def test_a_paused_connector_answers_503_with_retry_after(client, hook, calls):
    Connector.objects.filter(pk=hook.pk).update(paused=True)
    body = json.dumps(PAYLOAD).encode()
    response = post(client, body, signed(body))
    assert response.status_code == 503
    assert response["Retry-After"] == "600"
    assert "paused" in response.json()["message"]
    assert Measurement.objects.count() == 0
    [run] = runs(hook)
    assert run.status == RunStatus.SKIPPED
    hook.refresh_from_db()
    assert hook.failures_in_row == 0


def test_an_unknown_token_answers_404(client, hook):
    response = post(client, PAYLOAD, url="/hooks/no-such-token/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "token"
    assert Run.objects.count() == 0


def test_a_pull_connector_has_no_webhook_url(client, make_connector):
    make_connector(ConnectorKind.FILE, code="file", token_hash=connector_secrets.hash_token("f"))
    assert post(client, PAYLOAD, url="/hooks/f/").status_code == 404


def test_a_body_over_the_upload_limit_answers_413(client, hook, calls, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    body = json.dumps(PAYLOAD).encode()
    assert len(body) > 200
    response = post(client, body, signed(body))
    assert response.status_code == 413
    assert "over 200 bytes" in response.json()["message"]
    assert Measurement.objects.count() == 0
    assert runs(hook)[0].status == RunStatus.FAILED


def test_only_post_is_taken(client, hook):
    response = client.get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_without_a_signature_configured_the_token_alone_is_enough(client, hook, calls):
    Connector.objects.filter(pk=hook.pk).update(config={**CONFIG, "signature": {}})
    response = post(client, {"readings": PAYLOAD["readings"][0]})  # one object: one item
    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}


def test_every_attempt_is_in_the_run_log_and_none_shows_the_secret(client, hook, calls):
    body = json.dumps(PAYLOAD).encode()
    post(client, body)  # no signature
    post(client, body, signed(body, secret="wrong"))  # wrong signature
    post(client, b"{", signed(b"{"))  # not JSON
    broken = json.dumps({"readings": [{"id": "x"}]}).encode()
    post(client, broken, signed(broken))  # the mapping cannot read it
    post(client, body, signed(body))  # fine
    post(client, body, signed(body))  # a resend
    logged = runs(hook)
    assert [(r.status, r.created, r.unchanged) for r in logged] == [
        (RunStatus.FAILED, 0, 0),
        (RunStatus.FAILED, 0, 0),
        (RunStatus.FAILED, 0, 0),
        (RunStatus.FAILED, 0, 0),
        (RunStatus.SUCCEEDED, 2, 0),
        (RunStatus.SUCCEEDED, 0, 2),
    ]
    assert all(r.trigger == RunTrigger.WEBHOOK and r.finished_at for r in logged)
    assert "X-Signature header is missing" in logged[0].message
    assert "does not match" in logged[1].message
    assert "not JSON" in logged[2].message
    assert [(e["index"], e["field"]) for e in logged[3].errors] == [(0, "observed_at")]
    for run in logged:
        assert SECRET not in run.message
        assert SECRET not in json.dumps(run.errors)
    hook.refresh_from_db()
    assert hook.failures_in_row == 0  # the last runs succeeded


def test_the_form_refuses_a_timestamp_header_outside_the_signature(client, organisation):
    # "What is signed" starts at "the body": a timestamp header then needs timestamp.body, or
    # a captured call could be replayed for ever with a fresh timestamp.
    make_survey(organisation, code="rel", name="Relationship")
    client.force_login(make_admin(organisation))
    form = client.get(reverse("connector-create", args=["webhook"])).context["form"]
    assert form["signature_signed"].initial == "body"
    assert "must sign it with the body" in str(form.fields["signature_timestamp_header"].help_text)
    data = webhook_data(signature_timestamp_header="X-Timestamp")
    answer = client.post(reverse("connector-create", args=["webhook"]), data)
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert list(errors) == ["signature_signed"]
    assert "only when it is signed: choose timestamp.body" in errors["signature_signed"][0]
    assert not Connector.objects.exists()
    data["signature_signed"] = "timestamp.body"
    assert client.post(reverse("connector-create", args=["webhook"]), data).status_code == 302
    assert Connector.objects.get().config["signature"]["signed"] == "timestamp.body"


def clean_text(text: str) -> bool:
    return "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"readings": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested more than 100 deep"),
        (b'{"readings": ' + b"[" * 150 + b"]" * 150 + b"}", "nested more than 100 deep"),
        (b'"\\u0000"', "a NUL character (\\u0000) at the top level"),
        (
            b'{"readings": [{"id": "r-1", "at": "2026-11-02", "count": 1, "note": "\\ud800"}]}',
            "a lone surrogate (\\ud800) at readings[0].note",
        ),
        (
            b'{"readings": [{"id": "r-1", "at": "2026-11-02", "count": 1, "note": "a\\u0000b"}]}',
            "a NUL character (\\u0000) at readings[0].note",
        ),
        (b'{"readings": [], "\\udfff\\u0000": 1}', 'at ["\\udfff\\u0000"]'),
        (b'{"a\\u0000": {"b": ["x", "\\udc00"]}}', 'at ["a\\u0000"]'),
    ],
)
def test_json_that_cannot_be_stored_is_a_400_and_a_clean_failed_run(
    client, hook, calls, body, says
):
    response = post(client, body, signed(body))
    assert response.status_code == 400, response.content
    message = response.json()["message"]
    assert message.startswith("The body cannot be stored") or "not JSON" in message
    assert says in message, message
    assert response.json()["errors"] == [{"index": None, "field": "body", "message": message}]
    assert Measurement.objects.count() == 0
    [run] = runs(hook)
    assert (run.status, run.message) == (RunStatus.FAILED, message)
    assert clean_text(run.message) and clean_text(json.dumps(run.errors, ensure_ascii=False))


def test_a_timestamp_header_with_control_characters_is_quoted_without_them(client, hook, calls):
    headers = {"HTTP_X_SIGNATURE": "v1=00ff", "HTTP_X_TIMESTAMP": "17\x00\x1b[31m"}
    response = post(client, PAYLOAD, headers)
    assert response.status_code == 401
    message = response.json()["message"]
    assert message == "The X-Timestamp header is not a Unix time in seconds (got “17??[31m”)."
    [run] = runs(hook)
    assert (run.status, run.message) == (RunStatus.FAILED, message)


# -- the token is the credential: no log line carries it ----------------------------------------


@pytest.fixture
def console_lines():
    """What the configured handlers of the root logger write (LOGGING's console), as text."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    configured = [h for h in handlers if any(isinstance(f, WebhookTokenFilter) for f in h.filters)]
    assert configured, "LOGGING's console handler masks webhook tokens"
    buffer = io.StringIO()
    streams = [h.setStream(buffer) for h in configured]
    yield buffer
    for handler, stream in zip(configured, streams, strict=True):
        handler.setStream(stream)


def test_a_refused_or_unknown_token_leaves_no_token_in_any_log_line(
    client, hook, calls, caplog, console_lines
):
    caplog.set_level(logging.INFO)
    assert post(client, PAYLOAD).status_code == 401  # the right token, unsigned
    unknown = "guessed-token-9f8e7d6c"
    assert post(client, PAYLOAD, url=f"/hooks/{unknown}/").status_code == 404
    written = console_lines.getvalue()
    assert "Unauthorized: /hooks/••••/" in written
    assert "Not Found: /hooks/••••/" in written
    captured = "\n".join(record.getMessage() for record in caplog.records)
    assert "Unauthorized: /hooks/••••/" in captured and "Not Found: /hooks/••••/" in captured
    for text in (written, captured, caplog.text):
        assert TOKEN not in text and unknown not in text


def test_a_server_error_on_a_webhook_logs_its_traceback_without_the_token(
    hook, calls, caplog, console_lines, monkeypatch
):
    def broken(connector, **kwargs):
        raise RuntimeError(f"broken while handling /hooks/{TOKEN}/")

    monkeypatch.setattr("connectors.webhooks.receive", broken)
    response = post(Client(raise_request_exception=False), PAYLOAD)
    assert response.status_code == 500
    written = console_lines.getvalue()
    assert "Internal Server Error: /hooks/••••/" in written
    assert "RuntimeError: broken while handling /hooks/••••/" in written  # the traceback
    assert TOKEN not in written and TOKEN not in caplog.text


def test_gunicorns_access_and_error_logs_mask_the_token(tmp_path):
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s %(U)s %({raw_uri}e)s')
    logger = GunicornLogger(cfg)
    try:
        path = f"/hooks/{TOKEN}/"
        environ = {
            "REMOTE_ADDR": "203.0.113.9",
            "REQUEST_METHOD": "POST",
            "RAW_URI": path,
            "PATH_INFO": path,
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        response = SimpleNamespace(status="401 Unauthorized", sent=120, headers=[])
        request = SimpleNamespace(headers=[("HOST", "outcome.example")])
        logger.access(response, request, environ, timedelta(milliseconds=5))
        logger.error("Error handling request %s", path)
        logger.setup(cfg)  # a reload: still one filter
        assert len(logger.access_log.filters) == 1
    finally:
        for log in (logger.access_log, logger.error_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
                handler.close()
            log.filters.clear()
    access = (tmp_path / "access.log").read_text()
    assert access == ('203.0.113.9 "POST /hooks/••••/ HTTP/1.1" 401 /hooks/••••/ /hooks/••••/\n')
    errors = (tmp_path / "error.log").read_text()
    assert "Error handling request /hooks/••••/" in errors and TOKEN not in errors
