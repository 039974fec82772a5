"""`/api/v1/indicator-library/`: the list with its filters and languages, an entry, and `add`,
which answers the indicator as the indicator API does."""

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from indicators.models import Indicator
from scorecard import library
from scorecard.models import Measure
from scorecard.services import create_objective, create_scorecard
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/indicator-library/"
ENTRIES = library.entries()


@pytest.fixture(autouse=True)
def language_restored():
    """A request leaves its language active in the thread; later tests expect the default."""
    yield
    translation.deactivate()


@pytest.fixture
def objective(organisation):
    scorecard = create_scorecard(organisation=organisation, data={"name": "Company"})
    internal = scorecard.perspectives.get(kind="internal")
    return create_objective(perspective=internal, data={"title": "Quote engine always up"})


def fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


# -- the list -------------------------------------------------------------------------------------


def test_the_list_is_paginated_and_holds_every_entry(api):
    body = api.get(URL, {"page_size": 1000}).json()
    assert body["count"] == len(ENTRIES)
    assert {row["code"] for row in body["results"]} == {e.code for e in ENTRIES}
    assert set(body) == {"count", "next", "previous", "results"}


def test_an_entry_answers_every_definition_field_in_english_by_default(api):
    rows = {r["code"]: r for r in api.get(URL, {"page_size": 1000}).json()["results"]}
    assert rows["fast_quote"] == {
        "code": "fast_quote",
        "language": "en",
        "name": "Fast Quote: seconds to a price",
        "definition": library.entry_by_code("fast_quote").definitions["en"],
        "unit": "s",
        "kind": "cpi",
        "evidence": None,
        "layer": "execution",
        "direction": "lower_is_better",
        "aggregation": "mean",
        "period": "week",
        "leading": True,
        "code_in_use": False,
    }


@pytest.mark.parametrize(
    ("query", "rule"),
    [
        ({"evidence": "say"}, lambda e: e.evidence == "say"),
        ({"evidence": "do"}, lambda e: e.evidence == "do"),
        ({"evidence": "none"}, lambda e: e.evidence == ""),
        ({"kind": "cpi"}, lambda e: e.kind == "cpi"),
        ({"layer": "choice"}, lambda e: e.layer == "choice"),
        ({"kind": "kpi", "layer": "impact"}, lambda e: (e.kind, e.layer) == ("kpi", "impact")),
    ],
)
def test_filters_keep_the_matching_entries_only(api, query, rule):
    body = api.get(URL, {**query, "page_size": 1000}).json()
    expected = {e.code for e in ENTRIES if rule(e)}
    assert expected and {row["code"] for row in body["results"]} == expected
    assert body["count"] == len(expected)


def test_the_language_filter_words_names_definitions_and_units(api):
    rows = {
        r["code"]: r for r in api.get(URL, {"language": "fi", "page_size": 1000}).json()["results"]
    }
    turnaround = rows["quote_turnaround"]
    assert (turnaround["language"], turnaround["name"], turnaround["unit"]) == (
        "fi",
        "Tarjouksen läpimenoaika yritysasiakkaille",
        "päivää",
    )


def test_without_a_language_filter_the_requests_language_is_used(api):
    body = api.get(URL, {"layer": "execution"}, HTTP_ACCEPT_LANGUAGE="sv").json()
    rows = {r["code"]: r for r in body["results"]}
    assert rows["first_time_resolution"]["name"] == "Löst vid första kontakten"
    assert rows["first_time_resolution"]["language"] == "sv"


@pytest.mark.parametrize(
    "query",
    [
        {"evidence": "feel"},
        {"kind": "okr"},
        {"layer": "strategy"},
        {"language": "de"},
        {"kind": ""},
    ],
)
def test_a_filter_sent_with_a_bad_value_is_refused_naming_it(api, query):
    response = api.get(URL, query)
    assert response.status_code == 400
    assert fields(response) == list(query)


def test_code_in_use_tells_the_codes_the_organisation_already_has(
    api, organisation, other_organisation
):
    IndicatorFactory(organisation=organisation, code="nps")
    IndicatorFactory(organisation=other_organisation, code="csat")
    rows = {r["code"]: r for r in api.get(URL, {"page_size": 1000}).json()["results"]}
    assert [code for code, row in rows.items() if row["code_in_use"]] == ["nps"]


def test_the_list_takes_the_same_queries_however_many_indicators_exist(
    api, organisation, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4) as few:
        api.get(URL)
    for entry in ENTRIES[:20]:
        IndicatorFactory(organisation=organisation, code=entry.code)
    with django_assert_max_num_queries(len(few.captured_queries)):
        api.get(URL, {"page_size": 1000})


# -- one entry ------------------------------------------------------------------------------------


def test_an_entry_has_a_detail_route(api):
    body = api.get(f"{URL}nothing_broke/", {"language": "sv"}).json()
    assert (body["code"], body["name"], body["unit"]) == ("nothing_broke", "Inget gick sönder", "%")


@pytest.mark.parametrize("code", ["no_such_measure", "NPS", "nps%00"])
def test_an_unknown_entry_is_not_found_with_the_envelope(api, code):
    response = api.get(f"{URL}{code}/")
    assert response.status_code == 404
    assert "errors" in response.json()
    assert api.post(f"{URL}{code}/add/", {}, format="json").status_code == 404


# -- adding ---------------------------------------------------------------------------------------


def test_add_answers_201_with_the_indicator_as_the_indicator_api_does(api, organisation):
    response = api.post(f"{URL}renewal_rate/add/", {}, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == api.get("/api/v1/indicators/renewal_rate/").json()
    body = response.json()
    assert (body["kind"], body["evidence"], body["layer"], body["aggregation"]) == (
        "kpi",
        "do",
        "impact",
        "ratio",
    )
    assert body["name"] == "Renewal rate"


def test_add_takes_a_code_and_a_language_of_its_own(api, organisation):
    response = api.post(f"{URL}nps/add/", {"code": "nps_business", "language": "fi"}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["code"], response.json()["name"]) == (
        "nps_business",
        "Suositteluindeksi (NPS)",
    )
    assert (
        Indicator.objects.get(organisation=organisation, code="nps_business").unit == "NPS-pistettä"
    )


def test_add_onto_an_objective_makes_a_measure_of_the_weight(api, objective):
    response = api.post(
        f"{URL}system_availability/add/", {"objective": objective.pk, "weight": 3}, format="json"
    )
    assert response.status_code == 201, response.content
    measure = Measure.objects.get(objective=objective)
    assert (measure.indicator.code, measure.weight) == ("system_availability", 3.0)


def test_a_taken_code_answers_400_on_code_and_creates_nothing(api, organisation):
    IndicatorFactory(organisation=organisation, code="nps")
    response = api.post(f"{URL}nps/add/", {}, format="json")
    assert response.status_code == 400
    assert fields(response) == ["code"]
    assert "nps" in response.json()["errors"][0]["message"]
    assert Indicator.objects.filter(organisation=organisation).count() == 1


def test_an_objective_of_another_organisation_is_unknown_and_nothing_is_created(
    other_api, objective
):
    response = other_api.post(f"{URL}nps/add/", {"objective": objective.pk}, format="json")
    assert response.status_code == 400
    assert fields(response) == ["objective"]
    assert not Indicator.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "Bad Code"}, "code"),
        ({"code": 5}, "code"),
        ({"code": "ok\n"}, "code"),
        ({"language": "de"}, "language"),
        ({"objective": "1"}, "objective"),
        ({"objective": 0}, "objective"),
        ({"weight": "2"}, "weight"),
        ({"weight": True}, "weight"),
    ],
)
def test_a_bad_body_is_refused_naming_the_field(api, objective, body, field):
    response = api.post(f"{URL}nps/add/", body, format="json")
    assert response.status_code == 400
    assert fields(response) == [field]
    assert not Indicator.objects.exists()


def test_a_negative_weight_on_an_objective_is_refused_on_the_weight(api, objective):
    response = api.post(f"{URL}nps/add/", {"objective": objective.pk, "weight": -1}, format="json")
    assert response.status_code == 400
    assert fields(response) == ["weight"]
    assert not Indicator.objects.exists()


def test_a_viewer_reads_the_library_but_cannot_add(viewer):
    client = APIClient()
    client.force_login(viewer)
    assert client.get(URL).status_code == 200
    assert client.post(f"{URL}nps/add/", {}, format="json").status_code == 403
    assert not Indicator.objects.exists()


def test_an_analyst_session_adds(analyst, organisation):
    client = APIClient()
    client.force_login(analyst)
    assert client.post(f"{URL}nps/add/", {}, format="json").status_code == 201
    assert Indicator.objects.get().organisation == organisation


def test_anonymous_callers_are_refused():
    assert APIClient().get(URL).status_code in {401, 403}
