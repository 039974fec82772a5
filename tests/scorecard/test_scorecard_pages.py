"""The scorecard's reading pages as a manager sees them: the list, the scorecard in four bands,
the strategy map and an objective, with numbers checked against the hand-worked test scorecard."""

import json
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outcomes.services import create_initiative
from scorecard import selectors, services
from scorecard.models import Objective, Scorecard
from tests.factories import IndicatorFactory
from tests.scorecard.scorecard_data import VALUES, months, progress_of, small_scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_viewer(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def as_analyst(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def card(organisation, api):
    scorecard, found = small_scorecard(organisation, api)
    return scorecard, found


def latest_progress() -> dict:
    return {code: progress_of(code, values[-2]) for code, values in VALUES.items()}


def pct(score: float) -> str:
    return f"{round(score * 100):d} %"


def hand_worked() -> dict:
    p = latest_progress()
    customer = (2 * p["fast_quote"] + p["nps"]) / 3
    financial, internal = p["premium_revenue"], p["engine_up"]
    return {
        "financial": financial,
        "customer": customer,
        "internal": internal,
        "total": (financial + customer + internal) / 3,
    }


def text_of(response) -> str:
    """The page's visible words, tags stripped and spaces squeezed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def objective(scorecard, title) -> Objective:
    return Objective.objects.get(perspective__scorecard=scorecard, title=title)


# the list


def test_the_list_is_empty_with_a_link_to_create_a_scorecard(as_analyst):
    response = as_analyst.get("/scorecards/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No scorecard yet" in html
    assert 'href="/scorecards/new/"' in html


def test_a_viewer_sees_the_empty_list_without_a_create_button(as_viewer):
    html = as_viewer.get("/scorecards/").content.decode()
    assert "No scorecard yet" in html and 'href="/scorecards/new/"' not in html


def test_the_list_shows_each_scorecard_with_score_status_maturity_and_advice(as_viewer, card):
    scorecard, _found = card
    response = as_viewer.get("/scorecards/")
    (row,) = response.context["rows"]
    worked = hand_worked()
    assert row["percent"] == pct(worked["total"])
    assert row["maturity"] == 3
    # learning "Agents know the offer" has no measures; nothing else breaks a rule
    assert row["warning_count"] == len(selectors.scorecard_detail(scorecard=scorecard).warnings)
    assert row["warning_count"] >= 1
    text = text_of(response)
    assert f"{pct(worked['total'])}" in text
    assert "Maturity level 3 of 4" in text
    assert [p["percent"] for p in row["perspectives"]] == [
        pct(worked["financial"]),
        pct(worked["customer"]),
        pct(worked["internal"]),
        "–",
    ]


# the scorecard page


def test_the_scorecard_page_has_four_labelled_bands_in_order_with_hand_worked_scores(
    as_viewer, card
):
    scorecard, _found = card
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/")
    assert response.status_code == 200
    bands = response.context["bands"]
    assert [str(b["label"]) for b in bands] == [
        "Financial",
        "Customer",
        "Internal process",
        "Learning and growth",
    ]
    worked = hand_worked()
    assert [b["percent"] for b in bands] == [
        pct(worked["financial"]),
        pct(worked["customer"]),
        pct(worked["internal"]),
        "–",
    ]
    assert [b["status"] for b in bands][3] == "no_data"
    assert response.context["summary"]["percent"] == pct(worked["total"])
    html = response.content.decode()
    # the bands appear in that order on the page
    positions = [html.index(f">{label}</h2>") for label in [str(b["label"]) for b in bands]]
    assert positions == sorted(positions)


def test_a_public_sector_scorecard_shows_citizens_first_and_stewardship(as_analyst, organisation):
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Town",
            "preset": "public",
            "perspectives": [
                {"kind": "customer"},
                {"kind": "financial"},
                {"kind": "internal"},
                {"kind": "learning"},
            ],
        },
    )
    response = as_analyst.get(f"/scorecards/{scorecard.pk}/")
    labels = [str(b["label"]) for b in response.context["bands"]]
    assert labels == ["Citizens", "Stewardship", "Internal process", "Learning and growth"]
    html = response.content.decode()
    # an empty perspective offers its first objective once
    first = scorecard.perspectives.get(kind="customer")
    assert html.count(f'href="/scorecards/perspectives/{first.pk}/objectives/new/"') == 1


def test_objective_cards_carry_the_status_colour_and_the_change_since_the_month_before(
    as_viewer, card
):
    scorecard, _found = card
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/")
    customer = response.context["bands"][1]["objectives"][0]
    p_now = latest_progress()
    p_before = {code: progress_of(code, values[-3]) for code, values in VALUES.items()}
    now = (2 * p_now["fast_quote"] + p_now["nps"]) / 3
    before = (2 * p_before["fast_quote"] + p_before["nps"]) / 3
    assert customer["percent"] == pct(now)
    thresholds = (scorecard.on_track_from, scorecard.at_risk_from)
    expected = (
        "on_track" if now >= thresholds[0] else "at_risk" if now >= thresholds[1] else "off_track"
    )
    assert customer["status"] == expected
    assert customer["change"]["points"] == round((now - before) * 100)
    assert customer["change"]["direction"] == "up"
    html = response.content.decode()
    assert f'<article class="sc-objective st-{expected}">' in html
    # a sparkline of the objective's score history (three complete months)
    assert customer["sparkline"] is not None
    assert len(customer["sparkline"]["points"].split()) == 3


def test_the_customer_objective_shows_its_voice_and_say_do_tags(as_viewer, card):
    scorecard, _found = card
    html = as_viewer.get(f"/scorecards/{scorecard.pk}/").content.decode()
    assert "“I get a price while I am still on the page”" in html
    assert '<span class="tag ev-say" title="what customers say">say</span>' in html
    assert html.count('class="tag kind-cpi"') == 1  # fast_quote


def test_the_maturity_panel_names_the_level_the_layers_and_the_next_one(as_viewer, card):
    scorecard, _found = card
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/")
    maturity = response.context["maturity"]
    assert maturity["level"] == 3
    assert [(str(item["label"]), item["measured"]) for item in maturity["layers"]] == [
        ("impact", True),
        ("execution", True),
        ("prerequisite", True),
        ("choice", False),
    ]
    text = text_of(response)
    assert "Level 3 of 4" in text
    assert "Next: measure the choice layer" in text
    assert "level 3 is the first that does" in text


def test_a_scorecard_below_level_three_says_it_does_not_predict_yet(as_viewer, organisation, api):
    scorecard, found = small_scorecard(organisation, api)
    objective_ = objective(scorecard, "Quote engine always up")
    services.update_objective(objective=objective_, data={"measures": []})
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/")
    assert response.context["maturity"]["level"] == 2
    assert "Level 3 is the first that predicts future customer behaviour" in text_of(response)


def test_customer_centricity_counts_cpi_and_kpi_indicators(as_viewer, card):
    scorecard, _found = card
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/")
    assert response.context["centricity"] == {"cpi": 1, "kpi": 3, "total": 4, "cpi_share": 25}
    text = text_of(response)
    assert "1 of 4 indicators is a CPI" in text
    assert "1 CPI: what the customer gets" in text and "3 KPIs: what the business gets" in text


def test_the_advice_panel_lists_every_warning_under_its_objective(as_viewer, card):
    scorecard, _found = card
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/")
    warnings = selectors.scorecard_detail(scorecard=scorecard).warnings
    html = response.content.decode()
    for warning in warnings:
        assert f'data-code="{warning.code}"' in html
    learning = objective(scorecard, "Agents know the offer")
    assert "objective_without_measures" in {w.code for w in warnings}
    assert (
        f'<h3><a href="/scorecards/objectives/{learning.pk}/">Agents know the offer</a></h3>'
        in html
    )


def test_a_rule_break_shows_on_the_card_and_in_the_panel(as_viewer, card):
    scorecard, _found = card
    price = objective(scorecard, "Price while still on the page")
    services.update_objective(objective=price, data={"title": "Keep customers longer"})
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/")
    customer = response.context["bands"][1]["objectives"][0]
    assert "generic_objective" in {w["code"] for w in customer["warnings"]}
    assert 'data-code="generic_objective"' in response.content.decode()


def test_the_period_selector_lists_scored_periods_and_a_past_period_shows_its_scores(
    as_viewer, card
):
    scorecard, _found = card
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/")
    periods = response.context["periods"]
    scored = selectors.scored_periods(scorecard=scorecard)
    assert [p["value"] for p in periods] == [start.isoformat() for start in scored]
    assert sum(p["selected"] for p in periods) == 1
    first = months(4)[0]
    past = as_viewer.get(f"/scorecards/{scorecard.pk}/?period={first.isoformat()}")
    p = {code: progress_of(code, values[0]) for code, values in VALUES.items()}
    assert past.context["bands"][0]["percent"] == pct(p["premium_revenue"])
    assert f'<option value="{first.isoformat()}" selected>' in past.content.decode()


def test_an_unreadable_period_falls_back_to_the_latest_and_says_so(as_viewer, card):
    scorecard, _found = card
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/?period=last-spring")
    assert response.status_code == 200
    assert response.context["unreadable_period"] is True
    assert "That period could not be read" in response.content.decode()


def test_the_scorecard_page_links_to_map_export_edit_and_library(as_analyst, card):
    scorecard, _found = card
    html = as_analyst.get(f"/scorecards/{scorecard.pk}/").content.decode()
    for url in (
        f"/scorecards/{scorecard.pk}/map/",
        f"/scorecards/{scorecard.pk}/export.xlsx",
        f"/scorecards/{scorecard.pk}/edit/",
        "/scorecards/library/",
    ):
        assert f'href="{url}' in html


def test_a_viewer_gets_no_edit_links(as_viewer, card):
    scorecard, _found = card
    html = as_viewer.get(f"/scorecards/{scorecard.pk}/").content.decode()
    assert f"/scorecards/{scorecard.pk}/edit/" not in html
    assert f"/scorecards/{scorecard.pk}/map/" in html


def test_a_scorecard_without_perspectives_has_an_empty_state(as_analyst, organisation):
    scorecard = Scorecard.objects.create(organisation=organisation, name="Blank")
    response = as_analyst.get(f"/scorecards/{scorecard.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "This scorecard has no perspectives yet" in html
    assert f'href="/scorecards/{scorecard.pk}/perspectives/new/"' in html


def test_a_scorecard_without_data_says_there_is_no_score_yet(as_viewer, organisation, api):
    scorecard, _found = small_scorecard(organisation, api, push_data=False)
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/")
    assert response.status_code == 200
    assert response.context["summary"]["percent"] == "–"
    assert "No score for" in response.content.decode()


def test_another_organisations_scorecard_is_not_found(client, other_organisation, card):
    from accounts.services import create_user

    outsider = create_user(organisation=other_organisation, username="olle", password="x-Pass-123!")
    client.force_login(outsider)
    scorecard, _found = card
    objective_ = objective(scorecard, "Premium grows")
    for url in (
        f"/scorecards/{scorecard.pk}/",
        f"/scorecards/{scorecard.pk}/map/",
        f"/scorecards/{scorecard.pk}/export.xlsx",
        f"/scorecards/objectives/{objective_.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/scorecards/").context["rows"] == []


def test_signed_out_people_are_sent_to_sign_in(client, card):
    scorecard, _found = card
    response = client.get(f"/scorecards/{scorecard.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# queries flat in the number of measures


def _grow(scorecard, organisation, objectives: int, measures_each: int, prefix: str) -> None:
    internal = scorecard.perspectives.get(kind="internal")
    for o in range(objectives):
        indicators = [
            IndicatorFactory(organisation=organisation, code=f"{prefix}_{o}_{m}", period="month")
            for m in range(measures_each)
        ]
        services.create_objective(
            perspective=internal,
            data={"title": f"{prefix} {o}", "measures": [(i, 1.0) for i in indicators]},
        )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        "/scorecards/{pk}/",
        "/scorecards/{pk}/map/",
        "/scorecards/{pk}/export.xlsx",
        "/scorecards/",
        "/scorecards/objectives/{objective}/",
    ],
)
def test_queries_do_not_grow_with_objectives_and_measures(
    as_viewer, organisation, card, path, django_assert_max_num_queries
):
    scorecard, _found = card
    price = objective(scorecard, "Price while still on the page")
    url = path.format(pk=scorecard.pk, objective=price.pk)
    _grow(scorecard, organisation, 1, 1, "few")
    few = _queries(as_viewer, url)
    _grow(scorecard, organisation, 6, 3, "many")
    with django_assert_max_num_queries(few):
        as_viewer.get(url)


# the strategy map


def test_the_map_draws_every_objective_and_lists_the_links_in_words(as_viewer, card):
    scorecard, _found = card
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/map/")
    assert response.status_code == 200
    figure = json.loads(str(response.context["figure"]))
    urls = {
        url
        for trace in figure["data"]
        for url in trace.get("customdata", [])
        if trace["mode"] == "text"
    }
    ids = set(
        Objective.objects.filter(perspective__scorecard=scorecard).values_list("pk", flat=True)
    )
    assert urls == {f"/scorecards/objectives/{pk}/" for pk in ids}
    arrows = [a for a in figure["layout"]["annotations"] if a.get("showarrow")]
    assert len(arrows) == 3
    text = text_of(response)
    assert "Agents know the offer helps reach → Quote engine always up" in text
    assert 'data-figure="map-figure"' in response.content.decode()


def test_the_map_of_a_scorecard_without_objectives_has_an_empty_state(as_viewer, organisation):
    scorecard = services.create_scorecard(organisation=organisation, data={"name": "New"})
    response = as_viewer.get(f"/scorecards/{scorecard.pk}/map/")
    assert response.status_code == 200
    assert response.context["figure"] is None
    assert "Nothing to draw yet" in response.content.decode()


# the objective page


def test_the_objective_page_shows_its_trend_measures_and_links(as_viewer, card):
    scorecard, found = card
    price = objective(scorecard, "Price while still on the page")
    response = as_viewer.get(f"/scorecards/objectives/{price.pk}/")
    assert response.status_code == 200
    context = response.context
    assert context["percent"] == pct(hand_worked()["customer"])
    trend = json.loads(str(context["figure"]))
    p = [{c: progress_of(c, v[i]) for c, v in VALUES.items()} for i in range(3)]
    assert trend["data"][0]["y"] == [
        round((2 * q["fast_quote"] + q["nps"]) / 3 * 100, 1) for q in p
    ]
    assert [m["indicator"].code for m in context["measures"]] == ["fast_quote", "nps"]
    assert [m["share"] for m in context["measures"]] == ["67 %", "33 %"]
    assert all(m["figure"] for m in context["measures"])
    assert [o["objective"].title for o in context["effects"]] == ["Premium grows"]
    assert [o["objective"].title for o in context["causes"]] == ["Quote engine always up"]
    html = response.content.decode()
    assert "“I get a price while I am still on the page”" in html
    assert "None, as it should be" in html  # a customer objective carries no initiative


def test_the_objective_page_links_its_initiatives(as_viewer, organisation, card):
    scorecard, _found = card
    initiative = create_initiative(organisation=organisation, data={"title": "Engine rebuild"})
    engine = objective(scorecard, "Quote engine always up")
    services.update_objective(objective=engine, data={"initiatives": [initiative]})
    html = as_viewer.get(f"/scorecards/objectives/{engine.pk}/").content.decode()
    assert f'<a href="/initiatives/{initiative.pk}/">Engine rebuild</a>' in html


def test_an_objective_without_measures_has_an_empty_state(as_analyst, card):
    scorecard, _found = card
    agents = objective(scorecard, "Agents know the offer")
    response = as_analyst.get(f"/scorecards/objectives/{agents.pk}/")
    assert response.status_code == 200
    assert response.context["figure"] is None
    html = response.content.decode()
    assert "No measures yet." in html
    assert f'href="/scorecards/objectives/{agents.pk}/measures/"' in html
    assert 'data-code="objective_without_measures"' in html


def test_the_period_carries_from_the_scorecard_to_the_objective(as_viewer, card):
    scorecard, _found = card
    start = months(4)[1]
    price = objective(scorecard, "Price while still on the page")
    html = as_viewer.get(f"/scorecards/{scorecard.pk}/?period={start.isoformat()}").content.decode()
    assert f'href="/scorecards/objectives/{price.pk}/?period={start.isoformat()}"' in html
    response = as_viewer.get(f"/scorecards/objectives/{price.pk}/?period={start.isoformat()}")
    assert response.context["detail"].period_start == date(start.year, start.month, 1)
