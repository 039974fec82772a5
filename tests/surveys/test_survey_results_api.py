"""GET /api/v1/surveys/{code}/results/: the contract's shape, numbers, periods, comparisons,
scoping and the 400s that name the parameter at fault."""

import json
import math
from datetime import date

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from statsmodels.stats.proportion import proportion_confint

from tests.surveys.survey_data import make_responses, make_survey, rows_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/surveys/rel/results/"
SCORE_FIELDS = {
    "n", "score", "promoters", "passives", "detractors", "moe95", "ci_low", "ci_high",
    "too_few", "top_box", "distribution",
}  # fmt: skip
DIFFERENCE_FIELDS = {"estimate", "ci_low", "ci_high", "p_value", "distinguishable", "n_a", "n_b"}

# With customer contact: 18 promoters, 7 passives, 5 detractors (30); without: 8, 10, 14 (32).
CONTACT = [10] * 10 + [9] * 8 + [8] * 4 + [7] * 3 + [6] * 3 + [2] * 2
NO_CONTACT = [10] * 3 + [9] * 5 + [8] * 6 + [7] * 4 + [5] * 8 + [1] * 6


@pytest.fixture
def survey(organisation):
    survey = make_survey(organisation)
    make_responses(
        survey,
        rows_of("nps", CONTACT, attributes={"customer_contact": "yes"})
        + rows_of("nps", NO_CONTACT, attributes={"customer_contact": "no"})
        + rows_of("nps", [None] * 4, attributes={"customer_contact": "yes"})
        + rows_of("csat", [5, 5, 4, 2, 1], local_date=date(2026, 2, 10)),
    )
    return survey


def nps_of(values) -> float:
    values = np.asarray(values)
    return 100 * (np.mean(values >= 9) - np.mean(values <= 6))


def test_the_answer_has_the_contracts_shape(api, survey):
    response = api.get(URL, {"by": "customer_contact"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"question", "type", "overall", "segments", "reference", "min_n"}
    assert (body["question"], body["type"], body["min_n"]) == ("nps", "nps", 30)
    assert set(body["overall"]) == SCORE_FIELDS
    assert [s["segment"] for s in body["segments"]] == ["no", "yes"]
    for segment in body["segments"]:
        assert set(segment) == SCORE_FIELDS | {"segment", "difference"}
    assert body["reference"] == "no"  # the larger segment (32 against 30)
    assert body["segments"][0]["difference"] is None
    assert set(body["segments"][1]["difference"]) == DIFFERENCE_FIELDS


def test_the_numbers_are_json_numbers_of_the_answers(api, survey):
    body = json.loads(api.get(URL, {"by": "customer_contact"}).content)
    overall = body["overall"]
    everyone = CONTACT + NO_CONTACT
    assert overall["n"] == 62  # the four skipped answers are not in n
    assert isinstance(overall["score"], float)
    assert overall["score"] == pytest.approx(nps_of(everyone))
    p, d = np.mean(np.asarray(everyone) >= 9), np.mean(np.asarray(everyone) <= 6)
    assert overall["moe95"] == pytest.approx(1.96 * 100 * math.sqrt((p + d - (p - d) ** 2) / 62))
    assert overall["distribution"][10] == {"value": 10, "count": 13}
    no, yes = body["segments"]
    assert (yes["n"], yes["too_few"], no["n"], no["too_few"]) == (30, False, 32, False)
    assert yes["difference"]["estimate"] == pytest.approx(nps_of(CONTACT) - nps_of(NO_CONTACT))
    assert yes["difference"]["distinguishable"] is True


def test_without_by_there_are_no_segments(api, survey):
    body = api.get(URL).json()
    assert body["segments"] == [] and body["reference"] is None
    assert body["overall"]["n"] == 62


def test_another_question_in_a_period(api, survey):
    body = api.get(URL, {"question": "csat", "from": "2026-02-01", "to": "2026-02-28"}).json()
    low, high = proportion_confint(3, 5, method="wilson")
    assert (body["type"], body["overall"]["n"], body["overall"]["score"]) == ("csat", 5, 60)
    assert body["overall"]["too_few"] is True
    assert (body["overall"]["ci_low"], body["overall"]["ci_high"]) == pytest.approx(
        (100 * low, 100 * high)
    )
    assert api.get(URL, {"question": "csat", "to": "2026-02-09"}).json()["overall"]["n"] == 0


def test_a_chosen_reference(api, survey):
    body = api.get(URL, {"by": "customer_contact", "reference": "yes"}).json()
    no, yes = body["segments"]
    assert body["reference"] == "yes" and yes["difference"] is None
    assert no["difference"]["estimate"] == pytest.approx(nps_of(NO_CONTACT) - nps_of(CONTACT))


def test_a_comparison_period(api, organisation):
    survey = make_survey(organisation)
    march = [10, 10, 9, 9, 8, 3]
    february = [10, 6, 5, 5, 2, 8, 9]
    make_responses(
        survey,
        rows_of("nps", march, local_date=date(2026, 3, 5))
        + rows_of("nps", february, local_date=date(2026, 2, 5)),
    )
    query = {"from": "2026-03-01", "to": "2026-03-31"}
    query |= {"compare_from": "2026-02-01", "compare_to": "2026-02-28"}
    body = api.get(URL, query).json()
    comparison = body["comparison"]
    assert (comparison["from"], comparison["to"]) == ("2026-02-01", "2026-02-28")
    assert comparison["overall"]["n"] == 7
    assert comparison["overall"]["score"] == pytest.approx(nps_of(february))
    assert comparison["difference"]["estimate"] == pytest.approx(nps_of(march) - nps_of(february))
    assert (comparison["difference"]["n_a"], comparison["difference"]["n_b"]) == (6, 7)


def test_a_viewer_reads_results_with_a_session(viewer, survey):
    client = APIClient()
    client.force_login(viewer)
    assert client.get(URL).status_code == 200


def test_without_credentials_it_is_refused(survey):
    assert APIClient().get(URL).status_code in (401, 403)


def test_another_organisations_survey_is_not_found(other_api, survey):
    response = other_api.get(URL)
    assert response.status_code == 404
    assert response.json() == {"errors": [{"index": None, "field": "", "message": "Not found."}]}


def test_an_unknown_survey_is_not_found(api, survey):
    assert api.get("/api/v1/surveys/nothing/results/").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"question": "why"}, "question"),  # free text has no score
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"by": ""}, "by"),
        ({"by": "unit\x00"}, "by"),
        ({"compare_from": "2026-02-30", "compare_to": "2026-03-01"}, "compare_from"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(api, survey, query, field):
    response = api.get(URL, query)
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_survey_without_scored_questions_has_no_default_question(api, organisation):
    make_survey(organisation, questions=[{"code": "why", "type": "text"}])
    response = api.get(URL)
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "question"
    assert api.get(URL, {"question": ""}).status_code == 404


def many_rows(size: int) -> list[dict]:
    return [
        {"answers": {"nps": i % 11}, "attributes": {"unit": f"u{i % 5}"}, "respondent": f"p{i}"}
        for i in range(size)
    ]


def test_the_query_count_does_not_grow_with_the_responses(api, organisation):
    api.get(URL)  # the first request of a key also notes when it was last used
    counted = []
    for code, size in (("small", 100), ("large", 5000)):
        make_responses(make_survey(organisation, code=code), many_rows(size))
        url = f"/api/v1/surveys/{code}/results/"
        query = {"by": "unit", "compare_from": "2026-01-01", "compare_to": "2026-02-01"}
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url, query)
        counted.append(len(queries))
        assert response.json()["overall"]["n"] == size
    assert counted[0] == counted[1]


def test_the_schema_describes_the_answer_exactly(api, survey):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    operation = schema["paths"]["/api/v1/surveys/{code}/results/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "code", "question", "by", "reference", "from", "to", "compare_from", "compare_to"
    }  # fmt: skip
    results = components["SurveyResults"]
    body = api.get(
        URL, {"by": "customer_contact", "compare_from": "2026-01-01", "compare_to": "2026-03-31"}
    ).json()
    assert set(results["properties"]) == set(body)
    assert set(results["required"]) == set(body) - {"comparison"}
    assert set(components["Score"]["properties"]) == set(body["overall"])
    assert set(components["SegmentResults"]["properties"]) == set(body["segments"][1])
    assert set(components["Difference"]["properties"]) == set(body["segments"][1]["difference"])
    assert set(components["PeriodComparison"]["properties"]) == set(body["comparison"])


def test_a_reference_without_answers_or_without_by_is_the_default(api, survey):
    # Any text is a valid reference: one that no answer has gives the default (the larger
    # segment, "no"), and the answer says so; without `by` there are no segments at all.
    body = api.get(URL, {"by": "customer_contact", "reference": "maybe"}).json()
    assert body["reference"] == "no"
    body = api.get(URL, {"reference": "yes"}).json()
    assert body["reference"] is None and body["segments"] == []


def test_a_range_that_ends_before_it_starts_holds_no_answer(api, survey):
    body = api.get(URL, {"from": "2026-03-02", "to": "2026-03-01"}).json()
    assert body["overall"]["n"] == 0 and body["overall"]["score"] is None


def test_either_end_of_the_comparison_period_may_stay_open(api, survey):
    everything = api.get(URL).json()["overall"]
    body = api.get(URL, {"compare_from": "1900-01-01"}).json()
    assert body["comparison"]["from"] == "1900-01-01" and body["comparison"]["to"] is None
    assert body["comparison"]["overall"]["n"] == everything["n"]
    assert body["comparison"]["difference"]["estimate"] == pytest.approx(0)
    body = api.get(URL, {"compare_to": "1999-12-31"}).json()
    assert body["comparison"]["overall"]["n"] == 0 and body["comparison"]["difference"] is None


def test_a_question_the_survey_does_not_have_is_a_404_naming_it(api, survey):
    response = api.get(URL, {"question": "missing"})
    assert response.status_code == 404
    assert [error["field"] for error in response.json()["errors"]] == ["question"]
