"""The survey API: surveys by code with nested questions, the responses push and list."""

import pytest
from rest_framework.test import APIClient

from surveys.models import Response, Survey
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

SURVEYS = "/api/v1/surveys/"
RESPONSES = "/api/v1/surveys/rel/responses/"
QUESTIONS = [
    {"code": "nps", "text": "Recommend us?", "type": "nps"},
    {"code": "csat", "text": "Satisfied?", "type": "csat"},
    {"code": "why", "text": "Why?", "type": "text"},
]


def make(api, code="rel", **extra):
    body = {"code": code, "name": code.title(), "questions": QUESTIONS, **extra}
    return api.post(SURVEYS, body, format="json")


def items(n, nps=None):
    return [
        {
            "respondent": f"r{i}",
            "submitted_at": f"2026-03-{1 + i:02d}T12:00:00Z",
            "attributes": {"unit": "north" if i % 2 else "south"},
            "answers": {"nps": nps if (nps is not None and i == 0) else i % 11, "csat": None},
        }
        for i in range(n)
    ]


def push(api, batch, **extra):
    return api.post(RESPONSES, {"responses": batch}, format="json", **extra)


def test_a_created_survey_answers_201_with_its_questions(api, organisation):
    IndicatorFactory(organisation=organisation, code="nps_kpi", aggregation="mean")
    questions = [{**QUESTIONS[0], "indicator": "nps_kpi", "segment_by": ["unit"]}, *QUESTIONS[1:]]
    answer = make(api, questions=questions, kind="engagement", min_n=10)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["code"], body["kind"], body["min_n"], body["response_count"]) == (
        "rel",
        "engagement",
        10,
        0,
    )
    assert [
        (q["code"], q["scale_min"], q["scale_max"], q["indicator"]) for q in body["questions"]
    ] == [("nps", 0, 10, "nps_kpi"), ("csat", 1, 5, None), ("why", None, None, None)]
    assert api.get(f"{SURVEYS}rel/").json() == body


def test_a_bad_question_answers_400_with_the_nested_field(api):
    questions = [
        *QUESTIONS,
        {"code": "agree", "text": "?", "type": "likert", "scale_min": 3, "scale_max": 2},
    ]
    answer = make(api, questions=questions)
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["questions.3.scale_max"]
    assert not Survey.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_n": "30"}, "min_n"),
        ({"min_n": 0}, "min_n"),
        ({"kind": "staff"}, "kind"),
        ({"code": "no spaces"}, "code"),
        ({"questions": []}, "questions"),
        (
            {
                "questions": [
                    {"code": "q", "text": "?", "type": "likert", "scale_min": "1", "scale_max": 5}
                ]
            },
            "questions.0.scale_min",
        ),
    ],
)
def test_a_wrongly_typed_field_is_refused(api, change, field):
    answer = make(api, **change)
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_the_list_is_paginated_and_filters_by_kind(api):
    make(api, "a")
    make(api, "b", kind="engagement")
    listed = api.get(SURVEYS).json()
    assert (listed["count"], [s["code"] for s in listed["results"]]) == (2, ["a", "b"])
    engagement = api.get(SURVEYS, {"kind": "engagement"}).json()
    assert [s["code"] for s in engagement["results"]] == ["b"]
    assert api.get(SURVEYS, {"kind": ""}).status_code == 400


def test_patch_renames_and_adds_a_question(api):
    make(api)
    answer = api.patch(
        f"{SURVEYS}rel/",
        {"name": "Renamed", "questions": [{"code": "ces", "text": "Easy?", "type": "ces"}]},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["name"] == "Renamed"
    assert [(q["code"], q["position"]) for q in body["questions"]][-1] == ("ces", 3)


def test_patch_cannot_change_a_scale_once_answered(api):
    make(api)
    push(api, items(1))
    answer = api.patch(
        f"{SURVEYS}rel/", {"questions": [{"code": "csat", "scale_max": 7}]}, format="json"
    )
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["questions.0.scale_max"]


def test_delete_removes_the_survey_and_its_responses(api):
    make(api)
    push(api, items(3))
    assert api.delete(f"{SURVEYS}rel/").status_code == 204
    assert not Survey.objects.exists() and not Response.objects.exists()


def test_a_viewer_reads_but_cannot_create_push_or_delete(api, viewer):
    make(api)
    client = APIClient()
    client.force_login(viewer)
    assert client.get(SURVEYS).status_code == 200
    assert make(client, "x").status_code == 403
    assert push(client, items(1)).status_code == 403
    assert client.delete(f"{SURVEYS}rel/").status_code == 403
    assert client.get(RESPONSES).status_code == 200


def test_another_organisations_survey_answers_404(api, other_api):
    make(api)
    assert other_api.get(f"{SURVEYS}rel/").status_code == 404
    assert push(other_api, items(1)).status_code == 404
    assert other_api.get(RESPONSES).status_code == 404
    assert other_api.patch(f"{SURVEYS}rel/", {"name": "x"}, format="json").status_code == 404
    assert other_api.delete(f"{SURVEYS}rel/").status_code == 404
    assert not Response.objects.exists()


def test_the_push_counts_per_item(api):
    make(api)
    assert push(api, items(10)).json() == {"created": 10, "updated": 0, "unchanged": 0}
    assert push(api, items(10)).json() == {"created": 0, "updated": 0, "unchanged": 10}
    assert push(api, items(10, nps=10)).json() == {"created": 0, "updated": 1, "unchanged": 9}


def test_a_dry_run_answers_the_counts_and_writes_nothing(api):
    make(api)
    answer = api.post(RESPONSES, {"responses": items(4), "dry_run": True}, format="json")
    assert answer.json() == {"created": 4, "updated": 0, "unchanged": 0}
    assert not Response.objects.exists()


def test_more_than_the_limit_answers_413_and_writes_nothing(api, settings):
    settings.INGEST_MAX_ITEMS = 5
    make(api)
    answer = push(api, items(6))
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["field"] == "responses"
    assert not Response.objects.exists()


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(api):
    make(api)
    first = push(api, items(3), HTTP_IDEMPOTENCY_KEY="export-1")
    again = push(api, items(3), HTTP_IDEMPOTENCY_KEY="export-1")
    assert first.json() == again.json() == {"created": 3, "updated": 0, "unchanged": 0}
    other = push(api, items(4), HTTP_IDEMPOTENCY_KEY="export-1")
    assert other.status_code == 409
    assert Response.objects.count() == 3


def test_the_response_list_filters_by_respondent_dates_and_attribute(api):
    make(api)
    push(api, items(6))
    listed = api.get(RESPONSES).json()
    assert listed["count"] == 6
    first = listed["results"][-1]
    assert (first["respondent"], first["attributes"], first["answers"]) == (
        "r0",
        {"unit": "south"},
        {"nps": 0, "csat": None},
    )
    assert first["local_date"] == "2026-03-01"

    def respondents(**query):
        return sorted(r["respondent"] for r in api.get(RESPONSES, query).json()["results"])

    assert respondents(respondent="r2") == ["r2"]
    assert respondents(**{"from": "2026-03-02", "to": "2026-03-03"}) == ["r1", "r2"]
    assert respondents(attribute="unit:north") == ["r1", "r3", "r5"]


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-3-1"},
        {"to": ""},
        {"attribute": "unit"},
        {"attribute": "unit:"},
        {"respondent": ""},
        {"respondent": "a\x00"},
    ],
)
def test_a_bad_list_filter_is_a_400_naming_it(api, query):
    make(api)
    answer = api.get(RESPONSES, query)
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == list(query)
