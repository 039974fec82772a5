"""Indicators are created, listed, read and changed through the API contract."""

import pytest

from accounts.services import create_user
from indicators.compute.periods import period_start
from indicators.models import Band, Indicator, Target
from indicators.services import bands as bands_module
from tests.factories import IndicatorFactory, push, values

pytestmark = pytest.mark.django_db

URL = "/api/v1/indicators/"

FAST_QUOTE = {
    "code": "fast_quote",
    "name": "Fast Quote",
    "unit": "s",
    "kind": "cpi",
    "direction": "lower_is_better",
    "aggregation": "median",
    "period": "month",
    "evidence": "do",
    "layer": "execution",
    "leading": True,
    "formula": None,
    "baseline": {"value": 120.0, "date": "2025-12-01"},
    "targets": [{"from": "2026-01-01", "value": 60.0}, {"from": "2026-07-01", "value": 30.0}],
    "band": {
        "low": 20.0,
        "high": 90.0,
        "action_below": "Ask what made it possible",
        "action_above": "Find the slow step",
        "owner": None,
    },
    "benchmarks": [{"from": "2026-01-01", "value": 45.0, "source": "Rival Mutual"}],
}


def errors_of(response) -> list[str]:
    assert response.status_code == 400, response.content
    return [e["field"] for e in response.json()["errors"]]


def test_creating_an_indicator_answers_201_with_the_contract_shape(api, organisation):
    response = api.post(URL, FAST_QUOTE, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    for name, sent in FAST_QUOTE.items():
        assert body[name] == sent, name
    indicator = Indicator.objects.get(organisation=organisation, code="fast_quote")
    band = indicator.bands.get()
    assert (band.low, band.high) == (20.0, 90.0)
    assert list(indicator.targets.values_list("value", flat=True)) == [60.0, 30.0]


def test_a_created_indicator_is_read_back_by_code(api):
    api.post(URL, FAST_QUOTE, format="json")
    body = api.get(f"{URL}fast_quote/").json()
    assert {name: body[name] for name in FAST_QUOTE} == FAST_QUOTE


def test_optional_parts_default_to_null_and_empty(api):
    minimal = {
        "code": "nps",
        "name": "NPS",
        "kind": "kpi",
        "direction": "higher_is_better",
        "aggregation": "mean",
        "period": "quarter",
    }
    body = api.post(URL, minimal, format="json").json()
    assert body["baseline"] is None and body["band"] is None and body["formula"] is None
    assert body["targets"] == [] and body["benchmarks"] == []
    assert body["evidence"] is None and body["layer"] is None and body["leading"] is False


def test_a_duplicate_code_in_the_same_organisation_is_refused(api):
    api.post(URL, FAST_QUOTE, format="json")
    assert errors_of(api.post(URL, FAST_QUOTE, format="json")) == ["code"]
    assert Indicator.objects.filter(code="fast_quote").count() == 1


def test_the_same_code_in_another_organisation_is_fine(api, other_api):
    assert api.post(URL, FAST_QUOTE, format="json").status_code == 201
    assert other_api.post(URL, FAST_QUOTE, format="json").status_code == 201


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("kind", "okr"),
        ("direction", "up"),
        ("aggregation", "average"),
        ("period", "fortnight"),
        ("layer", "outcome"),
        ("evidence", "think"),
    ],
)
def test_an_unknown_choice_is_refused_naming_the_field(api, field, bad):
    assert errors_of(api.post(URL, {**FAST_QUOTE, field: bad}, format="json")) == [field]
    assert not Indicator.objects.exists()


@pytest.mark.parametrize("code", ["Fast-Quote", "1st", "fast quote", "x" * 64])
def test_a_code_that_is_not_a_lowercase_name_is_refused(api, code):
    assert errors_of(api.post(URL, {**FAST_QUOTE, "code": code}, format="json")) == ["code"]


def test_a_band_with_low_above_high_is_refused(api):
    band = {**FAST_QUOTE["band"], "low": 100.0, "high": 10.0}
    assert errors_of(api.post(URL, {**FAST_QUOTE, "band": band}, format="json")) == ["band.low"]


@pytest.mark.parametrize(
    ("part", "field"),
    [
        ({"baseline": {"value": "120", "date": None}}, "baseline.value"),
        ({"targets": [{"from": "2026-01-01", "value": "NaN"}]}, "targets.0.value"),
        ({"targets": [{"from": "2026-01-01", "value": True}]}, "targets.0.value"),
        ({"band": {"low": "Infinity", "high": None}}, "band.low"),
        ({"benchmarks": [{"from": "2026-01-01", "value": "45"}]}, "benchmarks.0.value"),
    ],
)
def test_numbers_of_an_indicator_must_be_finite_json_numbers(api, part, field):
    assert errors_of(api.post(URL, {**FAST_QUOTE, **part}, format="json")) == [field]


def test_an_indicator_without_formula_needs_an_aggregation(api):
    response = api.post(URL, {**FAST_QUOTE, "aggregation": None}, format="json")
    assert errors_of(response) == ["aggregation"]


def test_two_targets_from_the_same_day_are_refused(api):
    targets = [{"from": "2026-01-01", "value": 60}, {"from": "2026-01-01", "value": 50}]
    response = api.post(URL, {**FAST_QUOTE, "targets": targets}, format="json")
    assert errors_of(response) == ["targets"]
    assert not Indicator.objects.exists()


def test_a_target_needs_a_from_date_even_in_a_patch(api):
    api.post(URL, FAST_QUOTE, format="json")
    response = api.patch(f"{URL}fast_quote/", {"targets": [{"value": 10}]}, format="json")
    assert errors_of(response) == ["targets.0.from"]


def test_the_code_cannot_be_changed(api):
    api.post(URL, FAST_QUOTE, format="json")
    response = api.patch(f"{URL}fast_quote/", {"code": "quick_quote"}, format="json")
    assert errors_of(response) == ["code"]


def test_the_list_is_paginated(api, organisation):
    for n in range(7):
        IndicatorFactory(organisation=organisation, code=f"ind_{n}")
    body = api.get(URL, {"page_size": 3}).json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == 7 and len(body["results"]) == 3 and body["previous"] is None
    assert [r["code"] for r in body["results"]] == ["ind_0", "ind_1", "ind_2"]
    last = api.get(URL, {"page_size": 3, "page": 3}).json()
    assert [r["code"] for r in last["results"]] == ["ind_6"] and last["next"] is None


def test_a_page_holds_at_most_a_thousand(api, organisation):
    Indicator.objects.bulk_create(
        IndicatorFactory.build(organisation=organisation, code=f"ind_{n:04d}") for n in range(1001)
    )
    body = api.get(URL, {"page_size": 5000}).json()
    assert body["count"] == 1001 and len(body["results"]) == 1000 and body["next"]


def test_the_list_filters_by_kind_and_layer(api, organisation):
    IndicatorFactory(organisation=organisation, code="a", kind="cpi", layer="execution")
    IndicatorFactory(organisation=organisation, code="b", kind="kpi", layer="impact")
    IndicatorFactory(organisation=organisation, code="c", kind="cpi", layer="impact")
    codes = lambda **q: [r["code"] for r in api.get(URL, q).json()["results"]]  # noqa: E731
    assert codes(kind="cpi") == ["a", "c"]
    assert codes(layer="impact") == ["b", "c"]
    assert codes(kind="cpi", layer="impact") == ["c"]


def test_a_viewer_cannot_create(viewer):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(viewer)
    assert client.post(URL, FAST_QUOTE, format="json").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_changing_the_targets_rescores_the_period_values(api):
    api.post(URL, FAST_QUOTE, format="json")
    push(
        api,
        [
            {"indicator": "fast_quote", "observed_at": "2026-03-10", "value": 80},
            {"indicator": "fast_quote", "observed_at": "2026-08-10", "value": 80},
        ],
    )
    before = {r["period_start"]: r for r in values(api, "fast_quote")["results"]}
    # progress = clamp((v - baseline) / (target - baseline), 0, 1), baseline 120
    assert before["2026-03-01"]["target"] == 60
    assert before["2026-03-01"]["progress"] == pytest.approx((80 - 120) / (60 - 120))
    assert before["2026-08-01"]["target"] == 30
    assert before["2026-08-01"]["progress"] == pytest.approx((80 - 120) / (30 - 120))

    targets = [{"from": "2026-01-01", "value": 100.0}]
    response = api.patch(f"{URL}fast_quote/", {"targets": targets}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["targets"] == targets

    after = {r["period_start"]: r for r in values(api, "fast_quote")["results"]}
    for start in ("2026-03-01", "2026-08-01"):
        assert after[start]["target"] == 100
        assert after[start]["progress"] == 1.0  # (80 - 120) / (100 - 120) = 2, clamped
    assert list(Target.objects.values_list("value", flat=True)) == [100.0]


@pytest.mark.django_db(transaction=True)
def test_replacing_the_band_versions_from_the_start_moves_the_assessment(api):
    api.post(URL, FAST_QUOTE, format="json")
    push(api, [{"indicator": "fast_quote", "observed_at": "2026-03-10", "value": 80}])
    [row] = values(api, "fast_quote")["results"]
    assert (row["position"], row["assessment"]) == ("within", "expected")
    bands = [{"from": None, "low": 90, "high": 100, "action_below": "learn", "action_above": "fix"}]
    response = api.patch(f"{URL}fast_quote/", {"bands": bands}, format="json")
    assert response.json()["band"]["low"] == 90
    [row] = values(api, "fast_quote")["results"]
    # lower is better: below the band is better than expected
    assert (row["band_low"], row["position"], row["assessment"]) == (90, "below", "better")
    [deviation] = api.get("/api/v1/deviations/").json()["results"]
    assert (deviation["indicator"], deviation["kind"], deviation["action"]) == (
        "fast_quote",
        "learning",
        "learn",
    )


# -- band versions, owners and the pipe's settings -------------------------------------------------


def test_band_versions_owners_and_settings_are_written_and_read_back(api, analyst):
    bands = [
        {"from": None, "low": 20.0, "high": 90.0, "action_below": "learn", "action_above": "fix",
         "owner": None},
        {"from": "2026-03-01", "low": 20.0, "high": 60.0, "action_below": "learn",
         "action_above": "fix sooner", "owner": "anna"},
    ]  # fmt: skip
    sent = {
        **{k: v for k, v in FAST_QUOTE.items() if k != "band"},
        "bands": bands,
        "owner_user": "anna",
        "spc": {"baseline_from": "2026-01-01", "baseline_points": 12, "two_of_three": True},
        "stale_grace_days": 4,
    }
    response = api.post(URL, sent, format="json")
    assert response.status_code == 201, response.json()
    body = api.get(f"{URL}fast_quote/").json()
    for name in ("bands", "owner_user", "spc", "stale_grace_days"):
        assert body[name] == sent[name], name
    # today (December 2026 or later) the March version is in force
    assert body["band"] == {k: v for k, v in bands[1].items() if k != "from"}
    assert body["owner"] == "" and analyst.username == "anna"


def test_resending_the_band_in_force_adds_no_version(api, organisation):
    api.post(URL, FAST_QUOTE, format="json")
    tighter = {**FAST_QUOTE["band"], "high": 80.0}
    for _ in range(2):
        response = api.patch(f"{URL}fast_quote/", {"band": tighter}, format="json")
        assert response.status_code == 200, response.json()
    today = bands_module.today_in(organisation)
    start = period_start(today, "month").isoformat()
    assert [(b["from"], b["high"]) for b in response.json()["bands"]] == [(None, 90.0), (start, 80)]
    again = api.patch(f"{URL}fast_quote/", {"band": FAST_QUOTE["band"]}, format="json")
    assert [b["from"] for b in again.json()["bands"]] == [None]  # back to the band from the start


def test_a_band_null_ends_the_band_from_the_current_period(api, organisation):
    api.post(URL, FAST_QUOTE, format="json")
    body = api.patch(f"{URL}fast_quote/", {"band": None}, format="json").json()
    assert body["band"] is None
    start = period_start(bands_module.today_in(organisation), "month").isoformat()
    assert [(b["from"], b["low"], b["high"]) for b in body["bands"]] == [
        (None, 20.0, 90.0),
        (start, None, None),
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"band": {"low": 20, "high": 90, "action_above": "fix"}}, "band",
         "Values below this band are better: give the learning action below the band."),
        ({"band": {"low": 100, "high": 90, "action_below": "a", "action_above": "b"}}, "band.low",
         "The low limit is above the high limit."),
        ({"bands": [{"low": 1, "action_below": "a"}, {"from": "2026-03-01", "high": 5}]}, "bands",
         "bands[1]: A band needs an action for each side it bounds"),
        ({"bands": [{"from": "2026-03-01", "low": 1, "action_below": "a"},
                    {"from": "2026-03-01", "high": 5, "action_above": "b"}]}, "bands",
         "bands[1]: Two band versions from the same day (2026-03-01)."),
        ({"bands": [{"low": 9, "high": 1}]}, "bands.0.low", "The low limit is above the high"),
        ({"bands": [{"low": 1, "action_below": "a", "owner": "olle"}]}, "bands.0.owner",
         "No member of the organisation has the username 'olle'."),
        ({"band": {"low": 1, "action_below": "a", "owner": "nobody"}}, "band.owner",
         "No member of the organisation has the username 'nobody'."),
        ({"owner_user": "olle"}, "owner_user", "No member of the organisation"),
        ({"owner_user": 7}, "owner_user", "A JSON string is required."),
        ({"spc": {"baseline_points": 1}}, "spc.baseline_points",
         "A baseline window needs at least 2 points."),
        ({"spc": {"baseline_points": 1001}}, "spc.baseline_points", "at most 1000 points"),
        ({"stale_grace_days": -1}, "stale_grace_days", "greater than or equal to 0"),
        ({"stale_grace_days": "5"}, "stale_grace_days", "A JSON integer is required."),
        ({"spc": {"baseline_points": 12.0}}, "spc.baseline_points", "A JSON integer"),
        ({"spc": {"two_of_three": 0}}, "spc.two_of_three", "true or false is required."),
        ({"spc": None}, "spc", "may not be null"),
        ({"leading": 0}, "leading", "true or false is required."),
        ({"band": FAST_QUOTE["band"], "bands": []}, "band", "not both"),
    ],
)  # fmt: skip
def test_bad_band_owner_and_pipe_settings_are_refused_and_nothing_changes(
    api, other_organisation, change, field, message
):
    create_user(organisation=other_organisation, username="olle", role="analyst")
    api.post(URL, FAST_QUOTE, format="json")
    before = api.get(f"{URL}fast_quote/").json()
    response = api.patch(f"{URL}fast_quote/", {"name": "Renamed", **change}, format="json")
    assert errors_of(response) == [field]
    assert message in response.json()["errors"][0]["message"]
    assert api.get(f"{URL}fast_quote/").json() == before
    assert Band.objects.count() == 1


def test_reading_indicators_with_band_owners_takes_a_fixed_number_of_queries(
    api, organisation, analyst, django_assert_max_num_queries
):
    for n in range(5):
        bands = [{"from": None, "low": 1.0, "action_below": "a", "owner": "anna"}]
        sent = {k: v for k, v in FAST_QUOTE.items() if k != "band"}
        response = api.post(URL, {**sent, "code": f"q{n}", "bands": bands, "owner_user": "anna"},
                            format="json")  # fmt: skip
        assert response.status_code == 201, response.json()
    with django_assert_max_num_queries(10):
        results = api.get(URL).json()["results"]
    assert [r["band"]["owner"] for r in results] == ["anna"] * 5
