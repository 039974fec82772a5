"""`/api/v1/cpis/` (profiles, team, evidence notes, warnings), `/api/v1/customer-centricity/`
and the indicator's `team`: answers, bad input naming the field, KPIs and other organisations
not found, roles and query counts."""

import pytest

from cpi import services
from cpi.models import CpiProfile, EvidenceNote
from indicators.models import Indicator
from indicators.selectors import today_of
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

# A fixed bound, the same for one CPI and for many: no query per row.
MAX_QUERIES = 5
URL = "/api/v1/cpis/"
CPI_FIELDS = {"code", "name", "unit", "team", "tracked", "profile", "note_count", "warnings"}


def fields_of(response, status=400) -> list[str]:
    assert response.status_code == status, response.content
    return [e["field"] for e in response.json()["errors"]]


@pytest.fixture
def cpis(api, organisation, django_capture_on_commit_callbacks):
    """Two CPIs (one measured this month), one KPI; the measured CPI has a team."""
    IndicatorFactory(organisation=organisation, code="fast_quote", name="Fast Quote", team="Web")
    IndicatorFactory(organisation=organisation, code="nothing_broke", name="Nothing Broke")
    IndicatorFactory(organisation=organisation, code="revenue", name="Revenue", kind="kpi")
    day = today_of(organisation).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        push(
            api,
            [
                {"indicator": "fast_quote", "observed_at": day, "value": 30},
                {"indicator": "revenue", "observed_at": day, "value": 1000},
            ],
        )
    return organisation


def test_the_list_holds_the_cpis_by_name_with_their_profile_notes_and_warnings(api, cpis):
    response = api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    rows = body["results"]
    assert [row["code"] for row in rows] == ["fast_quote", "nothing_broke"]
    assert all(set(row) == CPI_FIELDS for row in rows)
    quote, broke = rows
    assert (quote["team"], quote["tracked"], quote["profile"], quote["note_count"]) == (
        "Web",
        True,
        None,
        0,
    )
    assert broke["tracked"] is False
    codes = [w["code"] for w in quote["warnings"]]
    assert "no_customer_evidence" in codes and "no_profile" in codes


def test_a_kpi_or_another_organisations_cpi_is_not_found(api, other_api, cpis):
    assert api.get(f"{URL}revenue/").status_code == 404
    assert api.patch(f"{URL}revenue/", {"team": "x"}, format="json").status_code == 404
    assert api.post(f"{URL}revenue/notes/", {}, format="json").status_code == 404
    assert other_api.get(f"{URL}fast_quote/").status_code == 404
    assert other_api.patch(f"{URL}fast_quote/", {"team": "x"}, format="json").status_code == 404
    assert other_api.get(URL).json()["count"] == 0
    assert api.get(f"{URL}Fast-Quote/").status_code == 404


def test_patch_writes_the_profile_and_the_team(api, cpis):
    body = {
        "desired_outcome": "A price while I am still on the page",
        "expectation": "within 30 seconds",
        "value_unit": "time",
        "customer_segment": "consumers",
        "team": "Pricing",
    }
    response = api.patch(f"{URL}fast_quote/", body, format="json")

    assert response.status_code == 200, response.content
    answer = response.json()
    assert set(answer) == CPI_FIELDS | {"notes"}
    assert answer["team"] == "Pricing"
    assert answer["profile"] == {
        "desired_outcome": "A price while I am still on the page",
        "expectation": "within 30 seconds",
        "value_unit": "time",
        "customer_segment": "consumers",
    }
    assert "no_profile" not in [w["code"] for w in answer["warnings"]]
    assert Indicator.objects.get(code="fast_quote").team == "Pricing"
    # A second PATCH changes only what it sends; null clears a choice.
    again = api.patch(f"{URL}fast_quote/", {"customer_segment": None}, format="json").json()
    assert again["profile"]["customer_segment"] is None
    assert again["profile"]["value_unit"] == "time"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value_unit": "revenue"}, "value_unit"),
        ({"customer_segment": "aliens"}, "customer_segment"),
        ({"expectation": "x" * 201}, "expectation"),
        ({"team": "x" * 101}, "team"),
        ({"team": 5}, "team"),
        ({"desired_outcome": ["a"]}, "desired_outcome"),
    ],
)
def test_bad_profile_input_is_refused_naming_the_field(api, cpis, body, field):
    assert fields_of(api.patch(f"{URL}fast_quote/", body, format="json")) == [field]
    assert not CpiProfile.objects.exists()


def test_notes_are_added_listed_newest_first_and_removed(api, cpis):
    first = {"kind": "interview", "noted_on": "2026-01-10", "source": "Ten buyers", "text": "Fast"}
    later = {**first, "kind": "survey", "noted_on": "2026-02-01", "source": "Q1 survey"}
    created = api.post(f"{URL}fast_quote/notes/", first, format="json")
    assert created.status_code == 201, created.content
    assert set(created.json()) == {"id", "kind", "noted_on", "source", "text"}
    second = api.post(f"{URL}fast_quote/notes/", later, format="json").json()

    detail = api.get(f"{URL}fast_quote/").json()
    assert [n["id"] for n in detail["notes"]] == [second["id"], created.json()["id"]]
    assert detail["note_count"] == 2
    assert "no_customer_evidence" not in [w["code"] for w in detail["warnings"]]
    assert api.get(URL).json()["results"][0]["note_count"] == 2

    assert api.delete(f"{URL}fast_quote/notes/{second['id']}/").status_code == 204
    assert api.delete(f"{URL}fast_quote/notes/{second['id']}/").status_code == 404
    assert [n["id"] for n in api.get(f"{URL}fast_quote/").json()["notes"]] == [created.json()["id"]]


def test_a_note_is_removed_only_through_its_own_cpi(api, other_api, cpis):
    note = api.post(
        f"{URL}fast_quote/notes/",
        {"kind": "interview", "noted_on": "2026-01-10", "source": "S", "text": "T"},
        format="json",
    ).json()
    assert api.delete(f"{URL}nothing_broke/notes/{note['id']}/").status_code == 404
    assert other_api.delete(f"{URL}fast_quote/notes/{note['id']}/").status_code == 404
    assert EvidenceNote.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "rumour"}, "kind"),
        ({"noted_on": "10.1.2026"}, "noted_on"),
        ({"noted_on": None}, "noted_on"),
        ({"source": ""}, "source"),
        ({"source": "x" * 201}, "source"),
        ({"text": ""}, "text"),
        ({"text": 3}, "text"),
    ],
)
def test_a_bad_note_is_refused_naming_the_field(api, cpis, change, field):
    note = {"kind": "interview", "noted_on": "2026-01-10", "source": "S", "text": "T", **change}
    assert fields_of(api.post(f"{URL}fast_quote/notes/", note, format="json")) == [field]
    assert not EvidenceNote.objects.exists()


def test_a_viewer_reads_but_does_not_write(client, viewer, cpis):
    client.force_login(viewer)
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}fast_quote/").status_code == 200
    response = client.patch(f"{URL}fast_quote/", {"team": "x"}, content_type="application/json")
    assert response.status_code == 403
    note = {"kind": "interview", "noted_on": "2026-01-10", "source": "S", "text": "T"}
    response = client.post(f"{URL}fast_quote/notes/", note, content_type="application/json")
    assert response.status_code == 403


def test_the_list_costs_the_same_queries_for_two_cpis_and_for_twenty(
    api, cpis, django_assert_max_num_queries
):
    with django_assert_max_num_queries(MAX_QUERIES):
        assert api.get(URL).json()["count"] == 2
    for n in range(18):
        indicator = IndicatorFactory(organisation=cpis, code=f"cpi_{n}")
        services.save_profile(indicator=indicator, data={"value_unit": "time"})
        services.add_evidence_note(
            indicator=indicator,
            data={"kind": "survey", "noted_on": "2026-01-01", "source": "S", "text": "T"},
        )
    with django_assert_max_num_queries(MAX_QUERIES):
        answer = api.get(URL, {"page_size": 100}).json()
    assert answer["count"] == 20
    made = [row for row in answer["results"] if row["code"].startswith("cpi_")]
    assert {row["note_count"] for row in made} == {1}


def test_customer_centricity_counts_tracked_cpis_and_kpis_by_team(api, cpis):
    response = api.get("/api/v1/customer-centricity/")

    assert response.status_code == 200
    answer = response.json()
    assert answer["organisation"] == {
        "cpi": 1,
        "kpi": 1,
        "cpi_total": 2,
        "kpi_total": 1,
        "share": 0.5,
    }
    teams = {row["team"]: row for row in answer["teams"]}
    assert [row["team"] for row in answer["teams"]] == ["Web", ""]
    assert teams["Web"] == {
        "team": "Web",
        "cpi": 1,
        "kpi": 0,
        "cpi_total": 1,
        "kpi_total": 0,
        "share": 1.0,
    }
    assert teams[""]["share"] == 0.0
    # Judged years from now every value is stale: nothing is tracked, no share (not 0).
    later = api.get("/api/v1/customer-centricity/", {"on": "2099-01-01"}).json()
    assert later["organisation"]["share"] is None
    assert (later["organisation"]["cpi_total"], later["organisation"]["kpi_total"]) == (2, 1)
    assert fields_of(api.get("/api/v1/customer-centricity/", {"on": "2026"})) == ["on"]


def test_customer_centricity_of_an_empty_organisation_has_no_share(other_api, other_organisation):
    answer = other_api.get("/api/v1/customer-centricity/").json()
    assert answer == {
        "organisation": {"cpi": 0, "kpi": 0, "cpi_total": 0, "kpi_total": 0, "share": None},
        "teams": [],
    }


def test_the_indicator_answers_and_writes_its_team(api, organisation):
    body = {
        "code": "ftr",
        "name": "First Time Resolution",
        "kind": "cpi",
        "direction": "higher_is_better",
        "aggregation": "ratio",
        "period": "month",
        "team": "Support",
    }
    created = api.post("/api/v1/indicators/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["team"] == "Support"
    patched = api.patch("/api/v1/indicators/ftr/", {"team": ""}, format="json")
    assert patched.json()["team"] == ""
    assert Indicator.objects.get(code="ftr").team == ""
    refused = api.patch("/api/v1/indicators/ftr/", {"team": "x" * 101}, format="json")
    assert fields_of(refused) == ["team"]
    without = api.post(
        "/api/v1/indicators/", {**body, "code": "other", "team": None}, format="json"
    )
    assert fields_of(without) == ["team"]
