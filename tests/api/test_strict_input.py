"""What schemathesis found: input the schema calls invalid is refused, never read as "no filter"
or coerced, and never reaches PostgreSQL to fail there."""

import pytest

from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

INDICATORS = "/api/v1/indicators/"


def fields_of(response, status=400) -> list[str]:
    assert response.status_code == status, response.content
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("page_size", ["null", "", "0", "-1", "1.5", "٣"])
def test_a_page_size_that_is_not_a_whole_number_of_at_least_one_is_refused(api, page_size):
    assert fields_of(api.get(INDICATORS, {"page_size": page_size})) == ["page_size"]


def test_an_empty_page_is_no_page(api):
    assert api.get(INDICATORS, {"page": ""}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [{"kind": ""}, {"leading": "null"}, {"leading": "yes"}, {"leading": ""}, {"period": "\x00"}],
)
def test_a_filter_sent_with_no_valid_value_is_refused(api, query):
    assert fields_of(api.get(INDICATORS, query)) == list(query)


def test_booleans_filter_by_true_and_false(api, organisation):
    IndicatorFactory(organisation=organisation, code="lead", leading=True)
    IndicatorFactory(organisation=organisation, code="lag", leading=False)

    def codes(text):
        return [r["code"] for r in api.get(INDICATORS, {"leading": text}).json()["results"]]

    assert (codes("true"), codes("false")) == (["lead"], ["lag"])


def test_a_text_filter_with_a_nul_is_refused_and_an_empty_one_filters_nothing(api):
    assert fields_of(api.get("/api/v1/deviations/", {"indicator": "a\x00"})) == ["indicator"]
    assert api.get("/api/v1/deviations/", {"indicator": ""}).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"to": ""},
        {"from": "20260301"},
        {"from": "2026-W09-7"},
        {"period": ""},
        {"segment": ""},
        {"segment": "region:"},
        {"segment": "region:north\x00"},
    ],
)
def test_values_parameters_that_are_sent_must_be_valid(api, organisation, query):
    IndicatorFactory(organisation=organisation, code="x")
    assert fields_of(api.get(f"{INDICATORS}x/values/", query)) == list(query)


def test_a_segment_member_may_hold_colons(api, organisation, django_capture_on_commit_callbacks):
    IndicatorFactory(organisation=organisation, code="x")
    with django_capture_on_commit_callbacks(execute=True):
        push(
            api,
            [
                {
                    "indicator": "x",
                    "observed_at": "2026-03-02",
                    "value": 5,
                    "segment": {"at": "10:30"},
                }
            ],
        )
    body = api.get(f"{INDICATORS}x/values/", {"segment": "at:10:30"}).json()
    assert [row["value"] for row in body["results"]] == [5]


@pytest.mark.parametrize("code", ["X", "a\x00", "a-b"])
def test_a_path_that_cannot_hold_a_code_is_not_found(api, code):
    response = api.get(f"{INDICATORS}{code}/")
    assert fields_of(response, status=404) == [""]


@pytest.mark.parametrize("field", ["name", "unit", "formula"])
def test_a_number_where_a_string_belongs_is_refused(api, field):
    body = {
        "code": "x",
        "name": "X",
        "kind": "kpi",
        "direction": "higher_is_better",
        "aggregation": "mean",
        "period": "month",
        field: 0,
    }
    assert fields_of(api.post(INDICATORS, body, format="json")) == [field]


def test_a_code_with_a_trailing_newline_is_refused(api):
    body = {
        "code": "x\n",
        "name": "X",
        "kind": "kpi",
        "direction": "higher_is_better",
        "aggregation": "mean",
        "period": "month",
    }
    assert fields_of(api.post(INDICATORS, body, format="json")) == ["code"]
