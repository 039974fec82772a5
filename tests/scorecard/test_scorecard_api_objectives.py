"""`/api/v1/objectives/`: one objective at a time, in a perspective, with measures, links and
initiatives replaced whole; scores of its scorecard's latest complete month; scoping and roles."""

import pytest

from outcomes import services as outcome_services
from scorecard.models import Measure, Objective, ObjectiveLink
from tests.factories import IndicatorFactory
from tests.scorecard.scorecard_data import VALUES, progress_of, small_scorecard

pytestmark = pytest.mark.django_db

URL = "/api/v1/objectives/"


def fields_of(response, status=400) -> list[str]:
    assert response.status_code == status, response.content
    return [e["field"] for e in response.json()["errors"]]


@pytest.fixture
def card(organisation, api):
    scorecard, found = small_scorecard(organisation, api)
    perspectives = {p.kind: p for p in scorecard.perspectives.all()}
    objectives = {o.perspective.kind: o for o in Objective.objects.select_related("perspective")}
    return scorecard, found, perspectives, objectives


def test_creating_an_objective_in_a_perspective_answers_201_with_every_field(api, card, analyst):
    scorecard, _found, perspectives, objectives = card
    initiative = outcome_services.create_initiative(
        organisation=scorecard.organisation, data={"title": "Agent academy"}
    )
    sent = {
        "perspective": perspectives["learning"].pk,
        "title": "Agents quote in one call",
        "description": "Training on the quote engine.",
        "owner": "anna",
        "weight": 2,
        "initiatives": [initiative.pk],
        "measures": [{"indicator": "engine_up", "weight": 3}, {"indicator": "nps"}],
        "contributes_to": [objectives["internal"].pk],
    }

    response = api.post(URL, sent, format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) == {
        "id",
        "scorecard",
        "perspective",
        "title",
        "voice",
        "description",
        "owner",
        "weight",
        "position",
        "initiatives",
        "measures",
        "contributes_to",
        "contributors",
        "period_start",
        "score",
        "status",
        "previous",
        "created_at",
        "updated_at",
    }
    assert (answer["scorecard"], answer["perspective"], answer["position"]) == (
        scorecard.pk,
        perspectives["learning"].pk,
        1,  # after "Agents know the offer"
    )
    assert (answer["owner"], answer["weight"], answer["initiatives"]) == (
        "anna",
        2.0,
        [initiative.pk],
    )
    assert [
        {k: m[k] for k in ("indicator", "weight", "evidence", "layer", "kind")}
        for m in answer["measures"]
    ] == [
        {
            "indicator": "engine_up",
            "weight": 3.0,
            "evidence": None,
            "layer": "prerequisite",
            "kind": "kpi",
        },
        {"indicator": "nps", "weight": 1.0, "evidence": "say", "layer": "impact", "kind": "kpi"},
    ]
    assert answer["contributes_to"] == [objectives["internal"].pk]
    # Scored at once: (3 * engine_up + nps) / 4 in the latest complete month.
    expected = (
        3 * progress_of("engine_up", VALUES["engine_up"][-2])
        + progress_of("nps", VALUES["nps"][-2])
    ) / 4
    assert answer["score"] == pytest.approx(expected)
    assert answer["previous"] == pytest.approx(
        (
            3 * progress_of("engine_up", VALUES["engine_up"][-3])
            + progress_of("nps", VALUES["nps"][-3])
        )
        / 4
    )
    detail = api.get(f"/api/v1/scorecards/{scorecard.pk}/").json()
    learning = detail["perspectives"][3]["objectives"]
    assert [o["title"] for o in learning] == ["Agents know the offer", "Agents quote in one call"]
    assert learning[1]["score"] == pytest.approx(answer["score"])
    assert answer["period_start"] == detail["period_start"]


def test_an_objective_answers_its_score_and_the_links_both_ways(api, card):
    _scorecard, _found, _perspectives, objectives = card
    customer = objectives["customer"]

    answer = api.get(f"{URL}{customer.pk}/").json()

    assert answer["contributes_to"] == [objectives["financial"].pk]
    assert answer["contributors"] == [objectives["internal"].pk]
    latest = (
        2 * progress_of("fast_quote", VALUES["fast_quote"][-2])
        + progress_of("nps", VALUES["nps"][-2])
    ) / 3
    assert answer["score"] == pytest.approx(latest)
    assert answer["status"] == (
        "on_track" if latest >= 0.9 else "at_risk" if latest >= 0.6 else "off_track"
    )


def test_patching_measures_keeps_the_weights_not_sent(api, card):
    _scorecard, _found, _perspectives, objectives = card
    customer = objectives["customer"]

    response = api.patch(
        f"{URL}{customer.pk}/",
        {
            "measures": [
                {"indicator": "nps"},
                {"indicator": "fast_quote"},
                {"indicator": "premium_revenue", "weight": 0.5},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert [(m["indicator"], m["weight"]) for m in response.json()["measures"]] == [
        ("nps", 1.0),
        ("fast_quote", 2.0),
        ("premium_revenue", 0.5),
    ]
    assert Measure.objects.filter(objective=customer).count() == 3


def test_patching_title_voice_and_moving_it(api, card):
    _scorecard, _found, perspectives, objectives = card
    learning = objectives["learning"]

    response = api.patch(
        f"{URL}{learning.pk}/",
        {"title": "Agents know every product", "perspective": perspectives["internal"].pk},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["perspective"]) == (
        "Agents know every product",
        perspectives["internal"].pk,
    )


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"title": ""}, "title"),
        ({"weight": -1}, "weight"),
        ({"weight": "1"}, "weight"),
        ({"measures": [{"indicator": "nope"}]}, "measures.0.indicator"),
        ({"measures": [{"weight": 1}]}, "measures.0.indicator"),
        ({"measures": [{"indicator": "nps", "weight": -2}]}, "measures.0.weight"),
        ({"measures": [{"indicator": "nps"}, {"indicator": "nps"}]}, "measures"),
        (
            {
                "measures": [
                    {"indicator": "nps", "weight": 0},
                    {"indicator": "fast_quote", "weight": 0},
                ]
            },
            "measures",
        ),
        ({"initiatives": [99999]}, "initiatives"),
        ({"contributes_to": [99999]}, "contributes_to"),
        ({"owner": "nobody"}, "owner"),
        ({"perspective": 99999}, "perspective"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(api, card, sent, field):
    _scorecard, _found, _perspectives, objectives = card
    customer = objectives["customer"]

    assert field in fields_of(api.patch(f"{URL}{customer.pk}/", sent, format="json"))

    customer.refresh_from_db()
    assert customer.title == "Price while still on the page" and customer.weight == 1.0
    assert list(customer.measures.values_list("indicator__code", "weight")) == [
        ("fast_quote", 2.0),
        ("nps", 1.0),
    ]


def test_a_link_that_makes_a_cycle_is_refused(api, card):
    _scorecard, _found, _perspectives, objectives = card
    # learning -> internal -> customer -> financial already: financial -> learning closes it.
    response = api.patch(
        f"{URL}{objectives['financial'].pk}/",
        {"contributes_to": [objectives["learning"].pk]},
        format="json",
    )

    assert fields_of(response) == ["contributes_to"]
    assert "cycle" in response.json()["errors"][0]["message"]
    assert ObjectiveLink.objects.count() == 3


def test_create_needs_a_perspective_of_the_organisation(api, card, other_organisation, other_api):
    _scorecard, _found, perspectives, _objectives = card

    assert fields_of(api.post(URL, {"title": "No home"}, format="json")) == ["perspective"]
    assert fields_of(
        other_api.post(
            URL, {"title": "Theirs", "perspective": perspectives["customer"].pk}, format="json"
        )
    ) == ["perspective"]


def test_another_organisations_indicator_and_objective_are_unknown(api, card, other_organisation):
    _scorecard, _found, _perspectives, objectives = card
    IndicatorFactory(organisation=other_organisation, code="their_code")

    response = api.patch(
        f"{URL}{objectives['customer'].pk}/",
        {"measures": [{"indicator": "their_code"}]},
        format="json",
    )

    assert fields_of(response) == ["measures.0.indicator"]


def test_the_list_filters_by_scorecard_and_perspective(api, card, organisation):
    scorecard, _found, perspectives, objectives = card
    from scorecard import services

    other = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Team",
            "perspectives": [{"kind": "customer", "objectives": [{"title": "Quick"}]}],
        },
    )

    everything = api.get(URL).json()
    mine = api.get(URL, {"scorecard": scorecard.pk}).json()
    theirs = api.get(URL, {"scorecard": other.pk}).json()
    customer = api.get(URL, {"perspective": perspectives["customer"].pk}).json()

    assert everything["count"] == 5
    assert [o["id"] for o in mine["results"]] == [
        objectives[k].pk for k in ("financial", "customer", "internal", "learning")
    ]
    assert [o["title"] for o in theirs["results"]] == ["Quick"]
    assert [o["id"] for o in customer["results"]] == [objectives["customer"].pk]
    assert fields_of(api.get(URL, {"scorecard": "x"})) == ["scorecard"]


def test_another_organisations_objective_is_not_found(card, other_api):
    _scorecard, _found, _perspectives, objectives = card
    detail = f"{URL}{objectives['customer'].pk}/"

    assert other_api.get(detail).status_code == 404
    assert other_api.patch(detail, {"title": "Mine"}, format="json").status_code == 404
    assert other_api.delete(detail).status_code == 404
    assert other_api.get(URL).json()["count"] == 0


def test_a_viewer_reads_but_does_not_write(client, viewer, card):
    _scorecard, _found, perspectives, objectives = card
    client.force_login(viewer)
    detail = f"{URL}{objectives['customer'].pk}/"

    assert client.get(URL).status_code == 200
    assert client.get(detail).status_code == 200
    create = {"title": "X", "perspective": perspectives["customer"].pk}
    assert client.post(URL, create, content_type="application/json").status_code == 403
    assert client.patch(detail, {"title": "X"}, content_type="application/json").status_code == 403
    assert client.delete(detail).status_code == 403


def test_delete_removes_the_objective_its_measures_and_links(api, card):
    scorecard, _found, _perspectives, objectives = card
    customer = objectives["customer"]

    assert api.delete(f"{URL}{customer.pk}/").status_code == 204

    assert api.get(f"{URL}{customer.pk}/").status_code == 404
    assert not Measure.objects.filter(objective_id=customer.pk).exists()
    assert ObjectiveLink.objects.count() == 1  # learning -> internal is left
    detail = api.get(f"/api/v1/scorecards/{scorecard.pk}/").json()
    assert detail["perspectives"][1]["objectives"] == []


def test_the_list_costs_the_same_queries_whatever_the_number_of_objectives(
    api, card, organisation, django_assert_max_num_queries
):
    from scorecard import services

    api.get(URL)
    with django_assert_max_num_queries(12) as few:
        api.get(URL)
    perspective = card[2]["internal"]
    for index in range(6):
        services.create_objective(
            perspective=perspective,
            data={
                "title": f"More {index}",
                "measures": [(card[1]["engine_up"], 1.0), (card[1]["nps"], 1.0)],
            },
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get(URL).json()["count"] == 10
