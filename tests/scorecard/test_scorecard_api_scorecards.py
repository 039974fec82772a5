"""`/api/v1/scorecards/`: nested create, the whole scorecard in one period, settings, deletes,
every kind of bad input named by its nested path, scoping, roles and query counts."""

import pytest

from indicators.models import Target
from indicators.services import recompute_dirty
from outcomes import services as outcome_services
from scorecard import services
from scorecard.models import Measure, Objective, ObjectiveLink, Perspective, Score, Scorecard
from tests.factories import IndicatorFactory, push
from tests.scorecard.scorecard_data import (
    VALUES,
    indicators,
    months,
    progress_of,
    push_values,
    small_scorecard,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/scorecards/"


def fields_of(response, status=400) -> list[str]:
    assert response.status_code == status, response.content
    return [e["field"] for e in response.json()["errors"]]


def body(**extra) -> dict:
    """The shared test scorecard (tests/scorecard/scorecard_data.py) as an API body."""
    return {
        "name": "Company scorecard",
        "perspectives": [
            {
                "kind": "financial",
                "objectives": [
                    {
                        "key": "premium",
                        "title": "Premium grows",
                        "measures": [{"indicator": "premium_revenue"}],
                    }
                ],
            },
            {
                "kind": "customer",
                "objectives": [
                    {
                        "key": "price",
                        "title": "Price while still on the page",
                        "voice": "I get a price while I am still on the page",
                        "measures": [
                            {"indicator": "fast_quote", "weight": 2},
                            {"indicator": "nps", "weight": 1},
                        ],
                        "contributes_to": ["premium"],
                    }
                ],
            },
            {
                "kind": "internal",
                "objectives": [
                    {
                        "key": "engine",
                        "title": "Quote engine always up",
                        "measures": [{"indicator": "engine_up"}],
                        "contributes_to": ["price"],
                    }
                ],
            },
            {
                "kind": "learning",
                "objectives": [
                    {
                        "key": "agents",
                        "title": "Agents know the offer",
                        "contributes_to": ["engine"],
                    }
                ],
            },
        ],
        **extra,
    }


def latest(code: str, back: int = 2) -> float:
    """Progress of `code` in the latest complete month (back=2) or the one before (back=3)."""
    return progress_of(code, VALUES[code][-back])


def expected_scores(back: int = 2) -> dict:
    customer = (2 * latest("fast_quote", back) + latest("nps", back)) / 3
    financial = latest("premium_revenue", back)
    internal = latest("engine_up", back)
    return {
        "financial": financial,
        "customer": customer,
        "internal": internal,
        "learning": None,
        "total": (financial + customer + internal) / 3,
    }


@pytest.fixture
def scored(organisation, api):
    """The indicators with four months of values, no scorecard yet."""
    found = indicators(organisation)
    push_values(api)
    return found


def test_a_nested_create_answers_201_with_the_whole_scorecard(api, scored, analyst):
    initiative = outcome_services.create_initiative(
        organisation=scored["nps"].organisation, data={"title": "Instant quote"}
    )
    sent = body()
    sent["perspectives"][2]["objectives"][0].update(
        {"owner": "anna", "initiatives": [initiative.pk], "weight": 2.5}
    )

    response = api.post(URL, sent, format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) == {
        "id",
        "name",
        "description",
        "scope",
        "preset",
        "period",
        "period_start",
        "on_track_from",
        "at_risk_from",
        "max_measures_per_objective",
        "generic_phrases",
        "score",
        "status",
        "perspectives",
        "links",
        "maturity",
        "customer_centricity",
        "warnings",
        "scores_at",
    }
    assert (answer["scope"], answer["preset"], answer["period"]) == ("company", "business", "month")
    assert (answer["on_track_from"], answer["at_risk_from"]) == (0.9, 0.6)
    assert [(p["kind"], p["label"]) for p in answer["perspectives"]] == [
        ("financial", "Financial"),
        ("customer", "Customer"),
        ("internal", "Internal process"),
        ("learning", "Learning and growth"),
    ]
    customer = answer["perspectives"][1]["objectives"][0]
    assert set(customer) == {
        "id",
        "title",
        "voice",
        "description",
        "owner",
        "weight",
        "score",
        "status",
        "previous",
        "initiatives",
        "contributes_to",
        "measures",
    }
    assert customer["voice"] == "I get a price while I am still on the page"
    assert [
        {k: m[k] for k in ("indicator", "weight", "evidence", "layer", "kind")}
        for m in customer["measures"]
    ] == [
        {
            "indicator": "fast_quote",
            "weight": 2.0,
            "evidence": None,
            "layer": "execution",
            "kind": "cpi",
        },
        {"indicator": "nps", "weight": 1.0, "evidence": "say", "layer": "impact", "kind": "kpi"},
    ]
    internal = answer["perspectives"][2]["objectives"][0]
    assert (internal["owner"], internal["initiatives"], internal["weight"]) == (
        "anna",
        [initiative.pk],
        2.5,
    )
    ids = {o["title"]: o["id"] for p in answer["perspectives"] for o in p["objectives"]}
    chain = [
        ("Agents know the offer", "Quote engine always up"),
        ("Quote engine always up", "Price while still on the page"),
        ("Price while still on the page", "Premium grows"),
    ]
    assert sorted((link["source"], link["target"]) for link in answer["links"]) == sorted(
        (ids[a], ids[b]) for a, b in chain
    )
    assert internal["contributes_to"] == [ids["Price while still on the page"]]
    stored = Scorecard.objects.get(pk=answer["id"])
    assert Measure.objects.filter(objective__perspective__scorecard=stored).count() == 4
    assert ObjectiveLink.objects.filter(source__perspective__scorecard=stored).count() == 3


def test_the_detail_scores_the_latest_complete_month_as_worked_by_hand(api, organisation):
    scorecard, _found = small_scorecard(organisation, api)

    answer = api.get(f"{URL}{scorecard.pk}/").json()

    expected = expected_scores()
    assert answer["score"] == pytest.approx(expected["total"])
    assert [p["score"] for p in answer["perspectives"]] == pytest.approx(
        [expected[k] for k in ("financial", "customer", "internal", "learning")]
    )
    customer = answer["perspectives"][1]["objectives"][0]
    assert [m["score"] for m in customer["measures"]] == pytest.approx(
        [latest("fast_quote"), latest("nps")]
    )
    assert customer["previous"] == pytest.approx(expected_scores(back=3)["customer"])
    learning = answer["perspectives"][3]
    assert (learning["score"], learning["status"]) == (None, "no_data")
    assert learning["objectives"][0]["measures"] == []


def test_statuses_follow_the_scorecards_thresholds(api, organisation):
    scorecard, _found = small_scorecard(organisation, api)
    # premium_revenue latest progress (150 - 100) / 100 = 0.5: off track by default.
    assert latest("premium_revenue") == 0.5

    before = api.get(f"{URL}{scorecard.pk}/").json()["perspectives"][0]["status"]
    patched = api.patch(
        f"{URL}{scorecard.pk}/", {"on_track_from": 0.5, "at_risk_from": 0.4}, format="json"
    )

    assert before == "off_track"
    assert patched.status_code == 200, patched.content
    assert patched.json()["perspectives"][0]["status"] == "on_track"
    assert patched.json()["on_track_from"] == 0.5


def test_period_asks_for_an_earlier_month(api, organisation):
    scorecard, _found = small_scorecard(organisation, api)
    current = api.get(f"{URL}{scorecard.pk}/").json()
    before = current["period_start"]
    year, month = int(before[:4]), int(before[5:7])
    earlier = f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}-15"

    answer = api.get(f"{URL}{scorecard.pk}/", {"period": earlier}).json()

    assert answer["period_start"] == earlier[:8] + "01"
    assert answer["score"] == pytest.approx(expected_scores(back=3)["total"])


@pytest.mark.parametrize("text", ["", "2026-13-01", "20260301", "yesterday", "1899-12-31"])
def test_a_period_that_is_not_a_usable_date_is_refused(api, organisation, text):
    scorecard, _found = small_scorecard(organisation, api, push_data=False)

    assert fields_of(api.get(f"{URL}{scorecard.pk}/", {"period": text})) == ["period"]


def test_maturity_customer_centricity_and_warnings(api, organisation):
    scorecard, _found = small_scorecard(organisation, api)

    answer = api.get(f"{URL}{scorecard.pk}/").json()

    assert answer["maturity"] == {
        "level": 3,
        "layers": {"impact": True, "execution": True, "prerequisite": True, "choice": False},
        "next_layer": "choice",
        "predictive": True,
    }
    # fast_quote is the one CPI; premium_revenue, nps and engine_up are KPIs.
    assert answer["customer_centricity"] == {"cpi": 1, "kpi": 3}
    ids = {o["title"]: o["id"] for p in answer["perspectives"] for o in p["objectives"]}
    assert [(w["code"], w["object"]) for w in answer["warnings"]] == [
        # nps is "say" and fast_quote neither: nothing the customers do.
        ("only_say_measures", {"type": "objective", "id": ids["Price while still on the page"]}),
        ("objective_without_measures", {"type": "objective", "id": ids["Agents know the offer"]}),
    ]
    assert all(w["message"] for w in answer["warnings"])


def test_without_perspectives_the_preset_makes_its_four(api):
    response = api.post(URL, {"name": "City services", "preset": "public"}, format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert [(p["kind"], p["label"]) for p in answer["perspectives"]] == [
        ("customer", "Citizens"),
        ("financial", "Stewardship"),
        ("internal", "Internal process"),
        ("learning", "Learning and growth"),
    ]
    assert (answer["score"], answer["status"]) == (None, "no_data")
    assert answer["maturity"]["level"] == 0
    assert [w["code"] for w in answer["warnings"]] == []


def test_the_list_is_paginated_with_each_scorecards_latest_scores(api, organisation):
    scorecard, _found = small_scorecard(organisation, api)
    services.create_scorecard(organisation=organisation, data={"name": "A team card"})

    answer = api.get(URL).json()

    assert answer["count"] == 2 and answer["next"] is None
    assert [r["name"] for r in answer["results"]] == ["A team card", "Company scorecard"]
    company = answer["results"][1]
    assert company["id"] == scorecard.pk
    assert company["score"] == pytest.approx(expected_scores()["total"])
    assert [p["score"] for p in company["perspectives"]] == pytest.approx(
        [expected_scores()[k] for k in ("financial", "customer", "internal", "learning")]
    )
    assert company["period_start"] == api.get(f"{URL}{scorecard.pk}/").json()["period_start"]
    assert api.get(URL, {"page_size": 1}).json()["next"] is not None


def missing_nothing_saved():
    assert (Scorecard.objects.count(), Perspective.objects.count(), Objective.objects.count()) == (
        0,
        0,
        0,
    )


def with_objective(body_, p_index, o_index, **changes):
    body_["perspectives"][p_index]["objectives"][o_index].update(changes)
    return body_


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda b: with_objective(b, 1, 0, measures=[{"indicator": "nope"}]),
            "perspectives.1.objectives.0.measures.0.indicator",
        ),
        (
            lambda b: with_objective(b, 1, 0, measures=[{"indicator": "nps", "weight": -1}]),
            "perspectives.1.objectives.0.measures.0.weight",
        ),
        (
            lambda b: with_objective(
                b,
                1,
                0,
                measures=[
                    {"indicator": "nps", "weight": 0},
                    {"indicator": "fast_quote", "weight": 0},
                ],
            ),
            "perspectives.1.objectives.0.measures",
        ),
        (
            lambda b: with_objective(b, 1, 0, measures=[{"indicator": "nps", "weight": "2"}]),
            "perspectives.1.objectives.0.measures.0.weight",
        ),
        (lambda b: with_objective(b, 0, 0, weight=-0.5), "perspectives.0.objectives.0.weight"),
        (lambda b: with_objective(b, 3, 0, title=""), "perspectives.3.objectives.0.title"),
        (
            lambda b: with_objective(b, 3, 0, initiatives=[99999]),
            "perspectives.3.objectives.0.initiatives.0",
        ),
        (lambda b: with_objective(b, 3, 0, owner="nobody"), "perspectives.3.objectives.0.owner"),
        (
            lambda b: with_objective(b, 3, 0, contributes_to=["unknown"]),
            "perspectives.3.objectives.0.contributes_to",
        ),
        (lambda b: with_objective(b, 0, 0, contributes_to=["agents"]), "links"),
        (
            lambda b: {**b, "perspectives": [*b["perspectives"], {"kind": "customer"}]},
            "perspectives.4.kind",
        ),
        (lambda b: {**b, "perspectives": [{"kind": "citizens"}]}, "perspectives.0.kind"),
        (
            lambda b: {
                **b,
                "perspectives": [
                    {"kind": "customer", "weight": 0},
                    {"kind": "financial", "weight": 0},
                ],
            },
            "perspectives",
        ),
        (lambda b: {**b, "at_risk_from": 0.95}, "at_risk_from"),
        (lambda b: {**b, "on_track_from": 1.5}, "on_track_from"),
        (lambda b: {**b, "max_measures_per_objective": 0}, "max_measures_per_objective"),
        (lambda b: {**b, "name": " "}, "name"),
        (lambda b: {**b, "period": "fortnight"}, "period"),
    ],
)
def test_bad_input_is_named_by_its_nested_path_and_nothing_is_saved(api, scored, change, field):
    response = api.post(URL, change(body()), format="json")

    assert field in fields_of(response)
    missing_nothing_saved()


def test_another_organisations_indicator_is_unknown_here(api, scored, other_organisation):
    IndicatorFactory(organisation=other_organisation, code="their_nps")
    sent = with_objective(body(), 1, 0, measures=[{"indicator": "their_nps"}])

    assert fields_of(api.post(URL, sent, format="json")) == [
        "perspectives.1.objectives.0.measures.0.indicator"
    ]
    missing_nothing_saved()


def test_another_organisations_initiative_is_unknown_here(api, scored, other_organisation):
    theirs = outcome_services.create_initiative(
        organisation=other_organisation, data={"title": "Theirs"}
    )
    sent = with_objective(body(), 2, 0, initiatives=[theirs.pk])

    assert fields_of(api.post(URL, sent, format="json")) == [
        "perspectives.2.objectives.0.initiatives.0"
    ]
    missing_nothing_saved()


def test_another_organisations_scorecard_is_not_found(api, other_api, organisation):
    scorecard, _found = small_scorecard(organisation, api, push_data=False)
    detail = f"{URL}{scorecard.pk}/"

    assert other_api.get(detail).status_code == 404
    assert other_api.get(f"{detail}history/").status_code == 404
    assert other_api.patch(detail, {"name": "Mine"}, format="json").status_code == 404
    assert other_api.delete(detail).status_code == 404
    assert other_api.get(URL).json()["count"] == 0
    assert Scorecard.objects.get().name == "Company scorecard"


def test_a_viewer_reads_but_does_not_write(client, viewer, organisation, api):
    scorecard, _found = small_scorecard(organisation, api, push_data=False)
    client.force_login(viewer)
    detail = f"{URL}{scorecard.pk}/"

    assert client.get(URL).status_code == 200
    assert client.get(detail).status_code == 200
    assert client.post(URL, {"name": "X"}, content_type="application/json").status_code == 403
    assert client.patch(detail, {"name": "X"}, content_type="application/json").status_code == 403
    assert client.delete(detail).status_code == 403
    assert Scorecard.objects.get().name == "Company scorecard"


def test_an_analyst_writes_through_the_session(client, analyst):
    client.force_login(analyst)

    response = client.post(URL, {"name": "Unit card"}, content_type="application/json")

    assert response.status_code == 201, response.content


def test_patch_changes_settings_and_refuses_perspectives(api, organisation):
    scorecard, _found = small_scorecard(organisation, api, push_data=False)
    detail = f"{URL}{scorecard.pk}/"

    changed = api.patch(
        detail,
        {"name": "Group card", "preset": "public", "generic_phrases": ["be the best"]},
        format="json",
    )
    refused = api.patch(detail, {"perspectives": []}, format="json")
    bad = api.patch(detail, {"at_risk_from": 0.95}, format="json")

    assert changed.status_code == 200, changed.content
    answer = changed.json()
    assert (answer["name"], answer["generic_phrases"]) == ("Group card", ["be the best"])
    assert answer["perspectives"][1]["label"] == "Citizens"  # its kind is customer
    assert fields_of(refused) == ["perspectives"]
    assert fields_of(bad) == ["at_risk_from"]
    scorecard.refresh_from_db()
    assert (scorecard.name, scorecard.at_risk_from) == ("Group card", 0.6)


def test_delete_removes_the_scorecard_with_its_parts_and_scores(api, organisation):
    scorecard, _found = small_scorecard(organisation, api)
    assert Score.objects.filter(scorecard=scorecard).exists()

    response = api.delete(f"{URL}{scorecard.pk}/")

    assert response.status_code == 204
    assert api.get(f"{URL}{scorecard.pk}/").status_code == 404
    assert (Scorecard.objects.count(), Objective.objects.count(), Score.objects.count()) == (
        0,
        0,
        0,
    )


def big_scorecard(organisation, api, name: str, objectives: int, measures_each: int):
    """A scorecard of four perspectives with `objectives` objectives each, each measured by
    `measures_each` indicators with targets and a value in the latest complete month."""
    perspectives = []
    for kind in ("financial", "customer", "internal", "learning"):
        items = []
        for o in range(objectives):
            found = []
            for m in range(measures_each):
                indicator = IndicatorFactory(
                    organisation=organisation,
                    code=f"{name}_{kind}_{o}_{m}",
                    period="month",
                    baseline_value=0.0,
                    layer="execution",
                    evidence="do",
                )
                Target.objects.create(indicator=indicator, valid_from="2000-01-01", value=10)
                found.append({"indicator": indicator})
            items.append({"title": f"{kind} {o}", "voice": "I get it", "measures": found})
        perspectives.append({"kind": kind, "objectives": items})
    month = months(2)[0]
    push(
        api,
        [
            {"indicator": m["indicator"].code, "observed_at": month.isoformat(), "value": 5}
            for p in perspectives
            for o in p["objectives"]
            for m in o["measures"]
        ],
    )
    recompute_dirty()
    return services.create_scorecard(
        organisation=organisation, data={"name": name, "perspectives": perspectives}
    )


def test_the_detail_costs_the_same_queries_whatever_the_number_of_measures(
    api, organisation, django_assert_max_num_queries
):
    small = big_scorecard(organisation, api, "small", objectives=1, measures_each=1)
    large = big_scorecard(organisation, api, "large", objectives=10, measures_each=3)
    api.get(f"{URL}{small.pk}/")  # warm the caller's key lookup

    with django_assert_max_num_queries(15) as few:
        assert api.get(f"{URL}{small.pk}/").status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        answer = api.get(f"{URL}{large.pk}/").json()
    assert answer["score"] == pytest.approx(0.5)  # every value 5 of target 10 from 0
    assert sum(len(o["measures"]) for p in answer["perspectives"] for o in p["objectives"]) == 120


def test_the_list_costs_the_same_queries_whatever_the_number_of_scorecards(
    api, organisation, django_assert_max_num_queries
):
    big_scorecard(organisation, api, "small", objectives=1, measures_each=1)
    api.get(URL)
    with django_assert_max_num_queries(10) as few:
        api.get(URL)
    for _ in range(3):
        services.create_scorecard(organisation=organisation, data={"name": "More"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get(URL).json()["count"] == 4
