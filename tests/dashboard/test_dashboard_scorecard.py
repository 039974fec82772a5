"""The dashboard's scorecard panel: each scorecard's score and status in its latest complete
period, its perspectives coloured by status, maturity level and warnings, a link to its page;
an empty state that invites analysts to create one; queries flat in objectives and measures."""

import re

import pytest
from django.urls import reverse

from indicators import charts
from scorecard import selectors, services
from tests.factories import IndicatorFactory
from tests.scorecard.scorecard_data import VALUES, progress_of, small_scorecard

pytestmark = pytest.mark.django_db


def panel(client) -> str:
    """The panel as a reader sees it: drawn in the dashboard, or loaded after it (htmx)."""
    html = client.get(reverse("home")).content.decode()
    if f'hx-get="{reverse("home-scorecards")}"' in html:
        html = client.get(reverse("home-scorecards")).content.decode()
    match = re.search(
        r'<section class="card needs-action scorecard-panel".*?</section>', html, re.S
    )
    assert match, "the scorecard panel"
    return match.group(0)


def row(html: str, scorecard) -> str:
    match = re.search(rf'<tr class="[^"]*" data-scorecard="{scorecard.pk}">.*?</tr>', html, re.S)
    assert match, scorecard.name
    return match.group(0)


def test_a_scorecard_shows_its_score_perspectives_maturity_and_warnings(
    client, viewer, organisation, api
):
    scorecard, _found = small_scorecard(organisation, api)
    client.force_login(viewer)

    html = row(panel(client), scorecard)

    # The latest complete month, worked by hand: financial 0.5, customer (2 x 0.5 + 0.5) / 3,
    # internal 0.9, learning without measures; the scorecard the mean of the three with data.
    latest = {code: values[-2] for code, values in VALUES.items()}
    financial = progress_of("premium_revenue", latest["premium_revenue"])
    customer = (
        2 * progress_of("fast_quote", latest["fast_quote"]) + progress_of("nps", latest["nps"])
    ) / 3
    internal = progress_of("engine_up", latest["engine_up"])
    total = (financial + customer + internal) / 3
    assert (financial, customer, internal) == pytest.approx((0.5, 0.5, 0.9))
    assert f'data-score="{round(100 * total)}"' in html and "<strong>63 %</strong>" in html
    assert '<span class="pill st-at_risk">at risk</span>' in html  # 0.6 <= 0.633 < 0.9
    assert (
        f'<a href="{reverse("scorecard-detail", args=[scorecard.pk])}">Company scorecard</a>'
        in html
    )
    perspectives = re.findall(
        r'<span class="pill st-(\w+)" title="[^"]*" data-perspective="\d">([^<]*?) ([\d—]+)(?: %)?<',
        html,
    )
    assert perspectives == [
        ("off_track", "Financial", "50"),
        ("off_track", "Customer", "50"),
        ("on_track", "Internal process", "90"),
        ("no_data", "Learning and growth", "—"),
    ]
    # Impact, execution and prerequisite are measured in the latest complete month; no choice.
    assert 'data-level="3">Level 3 of 4' in html and "next layer to measure: choice" in html
    assert "predicts future customer behaviour" in html
    # "Agents know the offer" has no measures; the customer objective hears only what
    # customers say (NPS; Fast Quote is neither say nor do).
    warnings = f"{reverse('scorecard-detail', args=[scorecard.pk])}#warnings"
    assert f'data-warnings="2"><a href="{warnings}"><strong class="worse">2</strong></a>' in html


def test_the_trend_is_the_change_in_points_since_the_month_before(
    client, viewer, organisation, api
):
    scorecard, _found = small_scorecard(organisation, api)
    client.force_login(viewer)
    before = {code: values[-3] for code, values in VALUES.items()}
    previous = (
        progress_of("premium_revenue", before["premium_revenue"])
        + (2 * progress_of("fast_quote", before["fast_quote"]) + progress_of("nps", before["nps"]))
        / 3
        + progress_of("engine_up", before["engine_up"])
    ) / 3
    latest = (0.5 + 0.5 + 0.9) / 3
    change = round(100 * (latest - previous))
    assert change == 18  # (0.3 + 0.3 + 0.7) / 3 = 0.433 a month before

    html = row(panel(client), scorecard)
    detail = selectors.scorecard_detail(scorecard=scorecard)

    before_label = charts.period_label(detail.previous_start, "month")
    assert f"▲ +{change} points since {before_label}" in html


def test_a_scorecard_before_any_data_shows_no_score_and_level_0(client, analyst, organisation):
    """A scorecard made from the preset, before any indicator: four perspectives, no data."""
    scorecard = services.create_scorecard(organisation=organisation, data={"name": "Fresh"})
    client.force_login(analyst)

    html = row(panel(client), scorecard)

    assert 'data-score=""' in html and '<span class="pill st-no_data">no data</span>' in html
    assert html.count('class="pill st-no_data" title="no data"') == 4
    assert 'data-level="0">Level 0 of 4' in html and "next layer to measure: impact" in html
    assert "predicts future customer behaviour" not in html
    assert 'data-warnings="0"' in html  # no objectives yet, so nothing to warn about


def test_without_scorecards_analysts_are_invited_to_create_one(client, analyst, organisation):
    IndicatorFactory(organisation=organisation, code="first")
    client.force_login(analyst)

    html = panel(client)

    assert "No balanced scorecard yet" in html
    assert f'href="{reverse("scorecard-create")}"' in html


def test_without_scorecards_viewers_are_told_whom_to_ask(client, viewer, organisation):
    client.force_login(viewer)  # no indicator either: the empty dashboard shows the panel too

    html = panel(client)

    assert "Ask an analyst of your organisation to create a scorecard." in html
    assert reverse("scorecard-create") not in html


def test_the_panel_shows_only_the_organisations_own_scorecards(
    client, viewer, organisation, other_organisation
):
    services.create_scorecard(organisation=other_organisation, data={"name": "Theirs"})
    ours = services.create_scorecard(organisation=organisation, data={"name": "Ours"})
    client.force_login(viewer)

    html = panel(client)

    assert "Ours" in html and "Theirs" not in html
    assert html.count("data-scorecard=") == 1 and f'data-scorecard="{ours.pk}"' in html


def test_a_long_list_stops_at_five_by_name_and_links_to_every_scorecard(
    client, viewer, organisation
):
    for name in ("Gamma", "Alpha", "Zeta", "Beta", "Delta", "Epsilon"):
        services.create_scorecard(organisation=organisation, data={"name": name})
    client.force_login(viewer)

    html = panel(client)

    names = re.findall(r'<th scope="row"><a href="[^"]+">(\w+)</a>', html)
    assert names == ["Alpha", "Beta", "Delta", "Epsilon", "Gamma"]
    assert "More scorecards than fit here." in html
    assert f'<a href="{reverse("scorecard-list")}">Open every scorecard</a>' in html


def test_the_panel_costs_no_query_without_scorecards_and_is_flat_in_measures(
    client, viewer, organisation, api, django_assert_max_num_queries
):
    IndicatorFactory(organisation=organisation, code="first")
    client.force_login(viewer)
    with django_assert_max_num_queries(40) as none:
        client.get(reverse("home"))
    # Counted now: the connection keeps the last 9,000 queries only, and the push runs many.
    dashboard_queries = len(none.captured_queries)
    scorecard, found = small_scorecard(organisation, api)
    with django_assert_max_num_queries(40) as home:
        client.get(reverse("home"))
    # The dashboard costs the same with scorecards: their panel loads after it.
    assert len(home.captured_queries) == dashboard_queries
    with django_assert_max_num_queries(40) as small:
        client.get(reverse("home-scorecards"))
    customer = scorecard.perspectives.get(kind="customer")
    extra = [IndicatorFactory(organisation=organisation, code=f"extra_{n}") for n in range(12)]
    for n in range(4):
        services.create_objective(
            perspective=customer,
            data={
                "title": f"Objective {n}",
                "voice": f"I get thing {n}",
                "measures": [(indicator, 1.0) for indicator in extra[3 * n : 3 * n + 3]],
            },
        )
    with django_assert_max_num_queries(40) as large:
        html = client.get(reverse("home-scorecards")).content.decode()

    assert len(large.captured_queries) == len(small.captured_queries)
    assert 'data-scorecard="' in html


def test_the_panel_is_flat_in_scorecards_beyond_the_five_it_shows(
    client, viewer, organisation, django_assert_max_num_queries
):
    IndicatorFactory(organisation=organisation, code="first")
    for n in range(5):
        services.create_scorecard(organisation=organisation, data={"name": f"Card {n}"})
    client.force_login(viewer)
    with django_assert_max_num_queries(80) as five:
        client.get(reverse("home-scorecards"))
    for n in range(5, 9):
        services.create_scorecard(organisation=organisation, data={"name": f"Card {n}"})
    with django_assert_max_num_queries(80) as nine:
        client.get(reverse("home-scorecards"))

    assert len(nine.captured_queries) == len(five.captured_queries)


def test_company_scorecards_come_before_unit_and_team_ones(client, viewer, organisation):
    for name, scope in (("A team", "team"), ("A unit", "unit"), ("Zed company", "company")):
        services.create_scorecard(organisation=organisation, data={"name": name, "scope": scope})
    client.force_login(viewer)

    html = panel(client)

    names = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', html)
    assert names == ["Zed company", "A unit", "A team"]
    assert "Unit · " in html and "Team · " in html


def test_the_dashboard_loads_the_panel_after_the_page_and_only_for_members(
    client, viewer, organisation, other_organisation, api
):
    small_scorecard(organisation, api)
    client.force_login(viewer)
    html = client.get(reverse("home")).content.decode()

    assert f'hx-get="{reverse("home-scorecards")}" hx-trigger="load"' in html
    assert 'data-scorecard="' not in html
    assert 'data-scorecard="' in client.get(reverse("home-scorecards")).content.decode()
    client.logout()
    assert client.get(reverse("home-scorecards")).status_code == 302
