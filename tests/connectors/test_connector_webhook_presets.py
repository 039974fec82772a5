"""The Typeform and Tally presets against the payloads their documentation shows, signed as each
tool signs (Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`; Tally:
`Tally-Signature: <base64 HMAC-SHA256 of the body>`), into the relationship survey."""

import base64
import hashlib
import hmac
import json
from pathlib import Path

import jmespath
import pytest

from connectors.models import ConnectorKind, Run, RunStatus, Target
from connectors.services import create_connector
from connectors.webhooks import expanded, validate_config
from connectors.webhooks.presets import tally, typeform
from surveys.models import Response
from surveys.services.templates import create_from_template

SAMPLES = Path(__file__).resolve().parents[2] / "connectors" / "webhooks" / "samples"
SECRET = "tf-secret-0f9e8d7c"


@pytest.fixture
def survey(organisation):
    return create_from_template(
        organisation, "relationship", code="relationship", name="Relationship", language="en"
    )


@pytest.fixture
def make_hook(organisation, survey):
    def make(preset: str, **config):
        connector, token = create_connector(
            organisation=organisation,
            kind=ConnectorKind.WEBHOOK,
            code=f"{preset}-nps",
            name=f"{preset} NPS",
            target=Target.RESPONSES,
            survey=survey,
            config={"preset": preset, **config},
            secrets={"signing_secret": SECRET},
            notify_after=100,
        )
        return connector, f"/hooks/{token}/"

    return make


def sample(name: str) -> bytes:
    return (SAMPLES / f"{name}.json").read_bytes()


def typeform_signature(body: bytes, secret: str = SECRET) -> str:
    mac = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(mac).decode()


def tally_body() -> bytes:
    # Tally signs JSON.stringify(payload): compact JSON, as it sends it.
    payload = json.loads(sample("tally"))
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def tally_signature(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_the_typeform_sample_becomes_one_response_with_its_nps_and_hidden_fields(
    client, make_hook, survey
):
    connector, url = make_hook("typeform")
    body = sample("typeform")
    headers = {"HTTP_TYPEFORM_SIGNATURE": typeform_signature(body)}
    response = client.post(url, body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    [stored] = Response.objects.filter(survey=survey)
    assert stored.respondent == "a3a12ec67a1365927098a606107fac15"
    assert stored.submitted_at.isoformat() == "2026-11-30T08:17:02+00:00"
    assert stored.answers["nps"] == 9
    assert stored.answers["csat"] == 4
    assert stored.answers["ces"] is None  # not in the form: skipped
    assert stored.answers["reason"] == "Quick and friendly help on the phone."
    assert stored.attributes["unit"] == "north"
    assert stored.attributes["channel"] == "web"
    assert stored.attributes["customer_id"] == "c-1042"
    assert len(stored.attributes) == 3

    again = client.post(url, body, content_type="application/json", **headers)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1}
    assert Response.objects.filter(survey=survey).count() == 1
    runs = list(Run.objects.filter(connector=connector).order_by("pk"))
    assert [(r.status, r.created, r.unchanged) for r in runs] == [
        (RunStatus.SUCCEEDED, 1, 0),
        (RunStatus.SUCCEEDED, 0, 1),
    ]


def test_the_tally_sample_becomes_one_response_with_its_nps_and_hidden_fields(
    client, make_hook, survey
):
    connector, url = make_hook("tally")
    body = tally_body()
    headers = {"HTTP_TALLY_SIGNATURE": tally_signature(body)}
    response = client.post(url, body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    [stored] = Response.objects.filter(survey=survey)
    assert stored.respondent == "2wgx4n"
    assert stored.submitted_at.isoformat() == "2026-11-30T15:00:21+00:00"
    assert stored.answers["nps"] == 6  # found by the question's wording
    assert stored.answers["csat"] == 3  # found by the question's code as the label
    assert stored.answers["ces"] is None
    assert stored.answers["reason"] == "It took two calls to sort out my claim."
    assert stored.attributes == {"unit": "south", "channel": "phone"}

    again = client.post(url, body, content_type="application/json", **headers)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1}


@pytest.mark.parametrize(
    ("preset", "header", "body", "signature"),
    [
        ("typeform", "HTTP_TYPEFORM_SIGNATURE", lambda: sample("typeform"), typeform_signature),
        ("tally", "HTTP_TALLY_SIGNATURE", tally_body, tally_signature),
    ],
)
def test_a_preset_refuses_a_call_signed_with_another_secret_or_unsigned(
    client, make_hook, survey, preset, header, body, signature
):
    connector, url = make_hook(preset)
    raw = body()
    wrong = client.post(
        url, raw, content_type="application/json", **{header: signature(raw, "not-it")}
    )
    assert wrong.status_code == 401
    unsigned = client.post(url, raw, content_type="application/json")
    assert unsigned.status_code == 401
    assert "header is missing" in unsigned.json()["message"]
    assert Response.objects.count() == 0
    assert Run.objects.filter(connector=connector, status=RunStatus.FAILED).count() == 2


def test_typeform_signs_the_raw_bytes_so_the_same_json_reformatted_is_refused(client, make_hook):
    connector, url = make_hook("typeform")
    body = sample("typeform")
    compact = json.dumps(json.loads(body), separators=(",", ":")).encode()
    headers = {"HTTP_TYPEFORM_SIGNATURE": typeform_signature(body)}
    response = client.post(url, compact, content_type="application/json", **headers)
    assert response.status_code == 401


def test_a_typeform_event_that_is_not_a_response_stores_nothing(client, make_hook):
    connector, url = make_hook("typeform")
    payload = json.loads(sample("typeform"))
    payload["event_type"] = "form_response_partial"
    body = json.dumps(payload).encode()
    response = client.post(
        url, body, content_type="application/json", HTTP_TYPEFORM_SIGNATURE=typeform_signature(body)
    )
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 0}
    assert Response.objects.count() == 0
    assert Run.objects.get(connector=connector).status == RunStatus.SKIPPED


def test_an_explicit_expression_overrides_the_presets(client, make_hook, survey):
    connector, url = make_hook("typeform", fields={"respondent": "hidden.customer_id"})
    body = sample("typeform")
    response = client.post(
        url, body, content_type="application/json", HTTP_TYPEFORM_SIGNATURE=typeform_signature(body)
    )
    assert response.status_code == 200
    assert Response.objects.get(survey=survey).respondent == "c-1042"


def test_a_typeform_payload_without_a_token_names_the_expression(client, make_hook):
    connector, url = make_hook("typeform")
    payload = json.loads(sample("typeform"))
    del payload["form_response"]["token"]
    body = json.dumps(payload).encode()
    response = client.post(
        url, body, content_type="application/json", HTTP_TYPEFORM_SIGNATURE=typeform_signature(body)
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "index": 0,
            "field": "respondent",
            "expression": "token",
            "message": "Item 0: the expression “token” for respondent finds nothing.",
        }
    ]
    assert Response.objects.count() == 0


def test_an_answer_off_the_scale_is_refused_by_the_ingest_with_its_field(client, make_hook):
    connector, url = make_hook("tally")
    payload = json.loads(tally_body())
    payload["data"]["fields"][2]["value"] = 11  # the NPS question: 0..10
    body = json.dumps(payload, separators=(",", ":")).encode()
    response = client.post(
        url, body, content_type="application/json", HTTP_TALLY_SIGNATURE=tally_signature(body)
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (0, "answers.nps")
    assert Response.objects.count() == 0


def test_the_presets_expressions_follow_the_surveys_current_questions(survey):
    config = expanded({"preset": "typeform"}, survey)
    assert config["answers"] == {
        "nps": "answers[?field.ref=='nps'] | [0].number",
        "csat": "answers[?field.ref=='csat'] | [0].number",
        "ces": "answers[?field.ref=='ces'] | [0].number",
        "reason": "answers[?field.ref=='reason'] | [0].text",
    }
    assert config["signature"] == {
        "header": "Typeform-Signature",
        "algorithm": "sha256",
        "encoding": "base64",
        "prefix": "sha256=",
    }
    tally_nps = expanded({"preset": "tally"}, survey)["answers"]["nps"]
    assert tally_nps.startswith("fields[?type!='HIDDEN_FIELDS' && (label=='nps' || label==")
    assert "label=='How likely is it that you would recommend us" in tally_nps
    assert tally_nps.endswith(")] | [0].value")
    survey.questions.filter(code="ces").delete()
    assert "ces" not in expanded({"preset": "typeform"}, survey)["answers"]


def test_a_wording_with_a_quote_is_escaped_in_the_expression(survey):
    survey.questions.filter(code="reason").update(text="What's the reason?", texts={})
    nps = tally(survey)["answers"]["reason"]
    assert "label=='What\\'s the reason?'" in nps
    payload = {"fields": [{"label": "What's the reason?", "type": "TEXTAREA", "value": "Price"}]}
    assert jmespath.search(nps, payload) == "Price"


def test_the_presets_need_the_signing_secret_and_survey_responses():
    assert validate_config({"preset": "typeform"}, {}, target="responses") == {
        "signing_secret": "Enter the signing secret the sender uses, or clear the signature header."
    }
    assert validate_config({"preset": "tally"}, {"signing_secret": "s"}, target="responses") == {}
    errors = validate_config({"preset": "typeform"}, {"signing_secret": "s"}, target="measurements")
    assert list(errors) == ["preset"]
    assert "survey responses" in errors["preset"]
    errors = validate_config({"preset": "surveymonkey"}, {}, target="responses")
    assert errors == {"preset": "Unknown preset “surveymonkey”: choose one of typeform, tally."}


def test_a_preset_without_a_survey_still_has_every_required_field():
    for preset in (typeform, tally):
        config = preset(None)
        assert set(config["fields"]) == {"respondent", "submitted_at"}
        assert config["answers"] == {}
        assert config["signature"]["encoding"] == "base64"


def test_a_call_takes_a_fixed_number_of_queries(client, make_hook, django_assert_max_num_queries):
    connector, url = make_hook("typeform")
    body = sample("typeform")
    headers = {"HTTP_TYPEFORM_SIGNATURE": typeform_signature(body)}
    # The connector; the run written and finished; the survey's questions for the preset and
    # for the ingest's checks; the ingest's read and write (savepoints included).
    with django_assert_max_num_queries(12):
        response = client.post(url, body, content_type="application/json", **headers)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "wording",
    ["Anything else? \\", "A \\ in the middle", "Back\\'slash and quote", "C:\\temp\\`x`"],
)
def test_a_wording_with_a_backslash_still_finds_its_answer(survey, wording):
    # JMESPath's raw string literal cannot end in a backslash (it escapes the closing quote),
    # and jmespath.py keeps an escaped backslash doubled: such a wording is a JSON literal.
    survey.questions.filter(code="reason").update(text=wording, texts={})
    reason = tally(survey)["answers"]["reason"]
    jmespath.compile(reason)
    payload = {
        "fields": [
            {"label": wording + "\\", "type": "TEXTAREA", "value": "Not this one"},
            {"label": wording, "type": "TEXTAREA", "value": "Price"},
        ]
    }
    assert jmespath.search(reason, payload) == "Price"
    errors = validate_config({"preset": "tally"}, {"signing_secret": "s"}, target="responses")
    assert errors == {}
