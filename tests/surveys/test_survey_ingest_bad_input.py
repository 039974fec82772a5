"""Bad responses: a 400 naming the item's index and field, never a 500, nothing written."""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.models import Response
from surveys.services import create_survey

pytestmark = pytest.mark.django_db

URL = "/api/v1/surveys/rel/responses/"
QUESTIONS = [
    {"code": "nps", "text": "Recommend us?", "type": "nps"},
    {"code": "agree", "text": "Agree?", "type": "likert", "scale_min": 1, "scale_max": 5},
    {"code": "why", "text": "Why?", "type": "text"},
]
GOOD = {"respondent": "r0", "submitted_at": "2026-03-02", "answers": {"nps": 9}}


@pytest.fixture(autouse=True)
def survey(organisation):
    return create_survey(organisation, {"code": "rel", "name": "Rel", "questions": QUESTIONS})


def soon(days) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"answers": {"nps": 11}}, "answers.nps"),
        ({"answers": {"nps": -1}}, "answers.nps"),
        ({"answers": {"agree": 6}}, "answers.agree"),
        ({"answers": {"nps": 7.5}}, "answers.nps"),
        ({"answers": {"nps": "9"}}, "answers.nps"),
        ({"answers": {"nps": True}}, "answers.nps"),
        ({"answers": {"nps": [9]}}, "answers.nps"),
        ({"answers": {"why": 3}}, "answers.why"),
        ({"answers": {"why": "a\x00b"}}, "answers.why"),
        ({"answers": {"unknown": 3}}, "answers.unknown"),
        ({"answers": [9]}, "answers"),
        ({"attributes": {"unit": {"name": "north"}}}, "attributes.unit"),
        ({"attributes": {"unit": ["north"]}}, "attributes.unit"),
        ({"attributes": {"unit": True}}, "attributes.unit"),
        ({"attributes": {"unit": ""}}, "attributes.unit"),
        ({"attributes": {"unit": "x" * 201}}, "attributes.unit"),
        ({"attributes": {"bad name": "x"}}, "attributes.bad name"),
        ({"attributes": "north"}, "attributes"),
        ({"submitted_at": soon(2)}, "submitted_at"),
        ({"submitted_at": "yesterday"}, "submitted_at"),
        ({"submitted_at": "2026-03-02T10:00:00"}, "submitted_at"),
        ({"submitted_at": 20260302}, "submitted_at"),
        ({"submitted_at": ""}, "submitted_at"),
        ({"submitted_at": "   "}, "submitted_at"),
        ({"respondent": ""}, "respondent"),
        ({"respondent": 42}, "respondent"),
        ({"respondent": "x" * 201}, "respondent"),
        ({"respondent": "a\x00b"}, "respondent"),
        ({"score": 9}, "score"),
    ],
)
def test_a_bad_item_is_refused_naming_its_index_and_field_and_nothing_is_written(api, item, field):
    items = [GOOD, {**GOOD, "respondent": "r1", **item}]
    answer = api.post(URL, {"responses": items}, format="json")
    assert answer.status_code == 400, answer.content
    assert [(e["index"], e["field"]) for e in answer.json()["errors"]] == [(1, field)]
    assert not Response.objects.exists()


def test_a_time_less_than_a_day_ahead_is_accepted(api):
    item = {**GOOD, "submitted_at": soon(0.9)}
    assert api.post(URL, {"responses": [item]}, format="json").status_code == 200


def test_a_respondent_twice_in_one_batch_is_refused_at_the_second(api):
    answer = api.post(URL, {"responses": [GOOD, GOOD]}, format="json")
    assert answer.status_code == 400
    assert [(e["index"], e["field"]) for e in answer.json()["errors"]] == [(1, "respondent")]
    assert not Response.objects.exists()


def test_a_submitted_at_error_names_submitted_at_in_its_message(api):
    for text in ("", "yesterday", "2026-03-02T10:00:00"):
        items = [{**GOOD, "submitted_at": text}]
        (error,) = api.post(URL, {"responses": items}, format="json").json()["errors"]
        assert error["field"] == "submitted_at" and "observed_at" not in error["message"]


def test_a_respondent_twice_is_named_even_when_its_first_item_is_refused(api):
    items = [{**GOOD, "answers": {"nps": 20}}, GOOD]
    errors = api.post(URL, {"responses": items}, format="json").json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(0, "answers.nps"), (1, "respondent")]


def test_every_bad_item_is_named(api):
    items = [{**GOOD, "respondent": f"r{i}", "answers": {"nps": 20}} for i in range(3)]
    errors = api.post(URL, {"responses": items}, format="json").json()["errors"]
    assert [e["index"] for e in errors] == [0, 1, 2]


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'{"responses": {}}',
        b'{"responses": [], "dry_run": "yes"}',
        b'{"responses": ["r1"]}',
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_a_body_of_the_wrong_shape_is_a_400(api, body):
    answer = api.generic("POST", URL, body, content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["errors"]


def test_a_nul_in_a_named_field_is_answered_and_remembered_for_an_idempotency_key(api):
    item = {**GOOD, "attributes": {"a\x00": "x"}, "answers": {"q\x00": 1}, "x\x00": 1}
    answer = api.post(URL, {"responses": [item]}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert answer.status_code == 400
    fields = [e["field"] for e in answer.json()["errors"]]
    assert fields == ["x\\u0000", "attributes.a\\u0000", "answers.q\\u0000"]
    again = api.post(URL, {"responses": [item]}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.json() == answer.json()
