"""The chain page, the initiatives, an initiative's sub-chain and a node page, as people see them."""

import pytest

from accounts.services import create_user
from outcomes import services
from tests.outcomes.pages_data import large_chain, small_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(organisation):
    return small_chain(organisation)


@pytest.fixture
def as_viewer(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def as_analyst(client, analyst):
    client.force_login(analyst)
    return client


def test_the_chain_page_lists_outcomes_first_with_leading_and_lagging(as_viewer, data):
    response = as_viewer.get("/chain/")
    assert response.status_code == 200
    groups = [group["level"] for group in response.context["groups"]]
    assert groups == ["outcome", "impact", "output", "activity"]
    html = response.content.decode()
    assert html.index("Customers get a price while still on the page</a>") < html.index(
        "New customers</a>"
    )
    assert '<span class="tag leading"' in html and '<span class="tag lagging"' in html
    assert 'data-figure="chain-figure"' in html


def test_the_chain_page_flags_unmeasured_links_and_counts_them(as_viewer, data):
    response = as_viewer.get("/chain/")
    # the two outputs and the two activities have no indicator
    assert response.context["unmeasured_count"] == 4
    html = response.content.decode()
    assert html.count('class="flag-unmeasured"') == 4
    assert "<strong>4</strong> unmeasured links" in html


def test_the_chain_page_says_how_the_status_is_worked_out(as_viewer, data):
    html = as_viewer.get("/chain/").content.decode()
    assert "How the status is worked out" in html
    assert "0.9 or more is on track, 0.6 or more at risk" in html
    assert "<strong>Its own indicators</strong>" in html


def test_counts_by_status_come_from_the_stored_statuses(as_viewer, data):
    counts = {c["status"]: c["count"] for c in as_viewer.get("/chain/").context["counts"]}
    # Fast Quote 45 s above its band 10..30: off track; Nothing Broke 2 % in 0..5: on track;
    # the rest are unmeasured with no measured contributor: no data.
    assert counts == {"off_track": 1, "at_risk": 0, "no_data": 4, "on_track": 1}


def test_filtering_by_initiative_shows_its_nodes_and_what_they_contribute_to(as_viewer, data):
    response = as_viewer.get(f"/chain/?initiative={data['quote'].pk}")
    titles = {node.title for node in response.context["chain"].nodes}
    assert titles == {
        "Launch instant online quote",
        "Quote engine live",
        "Customers get a price while still on the page",
        "New customers",
    }


def test_collapsing_levels_keeps_only_the_levels_chosen(as_viewer, data):
    response = as_viewer.get("/chain/?level=outcome&level=impact")
    assert {node.level for node in response.context["chain"].nodes} == {"outcome", "impact"}
    assert response.context["levels"] == ["outcome", "impact"]


def test_another_organisations_initiative_in_the_filter_shows_the_whole_chain(
    as_viewer, data, other_organisation
):
    theirs = services.create_initiative(organisation=other_organisation, data={"title": "X"})
    response = as_viewer.get(f"/chain/?initiative={theirs.pk}")
    assert response.status_code == 200
    assert len(response.context["chain"].nodes) == 6
    assert response.context["unknown_initiative"]


def test_an_empty_chain_invites_an_analyst_to_add_the_first_node(as_analyst):
    html = as_analyst.get("/chain/").content.decode()
    assert "No results chain yet" in html
    assert 'href="/chain/nodes/new/?level=impact"' in html
    assert "plotly.min.js" not in html


def test_an_empty_chain_tells_a_viewer_whom_to_ask(as_viewer):
    html = as_viewer.get("/chain/").content.decode()
    assert "No results chain yet" in html
    assert "/chain/nodes/new/" not in html
    assert "Ask an analyst" in html


def test_filters_that_leave_nothing_say_so(as_viewer, data):
    html = as_viewer.get(f"/chain/?initiative={data['ftr'].pk}&level=impact").content.decode()
    assert "Nothing to show with these filters" in html


def test_signing_in_is_needed(client):
    response = client.get("/chain/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("size", [(4, 3, 2, 1), (80, 60, 40, 20)])
def test_the_chain_page_costs_the_same_queries_whatever_the_size(
    client, organisation, size, django_assert_max_num_queries
):
    activities, outputs, outcomes, impacts = size
    nodes, links = large_chain(
        organisation,
        activities=activities,
        outputs=outputs,
        outcomes=outcomes,
        impacts=impacts,
        fan=6,
    )
    if size[0] == 80:
        assert (len(nodes), links) == (200, 1080)
    user = create_user(organisation=organisation, username="max", role="viewer", password="pw-x1!")
    client.force_login(user)
    with django_assert_max_num_queries(10):
        response = client.get("/chain/")
    assert len(response.context["chain"].nodes) == len(nodes)
    with django_assert_max_num_queries(10):
        client.get("/chain/?level=outcome&level=impact")


def test_the_initiative_list_shows_each_initiative_with_its_nodes_by_status(as_viewer, data):
    response = as_viewer.get("/initiatives/")
    rows = {row["initiative"].title: row for row in response.context["rows"]}
    assert list(rows) == ["First-contact resolution programme", "Instant online quote"]
    assert rows["Instant online quote"]["initiative"].node_count == 2
    assert [(c["status"], c["count"]) for c in rows["Instant online quote"]["counts"]] == [
        ("no_data", 2)
    ]


def test_no_initiatives_yet_invites_an_analyst_to_add_one(as_analyst):
    html = as_analyst.get("/initiatives/").content.decode()
    assert "No initiatives yet" in html and 'href="/initiatives/new/"' in html


def test_the_initiative_page_draws_its_own_sub_chain(
    as_viewer, data, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = as_viewer.get(f"/initiatives/{data['quote'].pk}/")
    assert response.status_code == 200
    assert response.context["own_count"] == 2
    assert len(response.context["chain"].nodes) == 4
    assert 'data-figure="chain-figure"' in response.content.decode()


def test_another_organisations_initiative_or_node_is_not_found(as_viewer, other_organisation):
    theirs = small_chain(other_organisation)
    assert as_viewer.get(f"/initiatives/{theirs['quote'].pk}/").status_code == 404
    assert as_viewer.get(f"/chain/nodes/{theirs['outcome'].pk}/").status_code == 404


def test_the_node_page_shows_its_indicators_charts_and_its_links(
    as_viewer, data, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = as_viewer.get(f"/chain/nodes/{data['outcome'].pk}/")
    assert response.status_code == 200
    [card] = response.context["cards"]
    assert card["indicator"].code == "fast_quote"
    assert card["indicator"].latest_value == 45
    assert card["status"]["status"] == "off_track"
    assert card["figure"] is not None
    assert [n.title for n in response.context["targets"]] == ["New customers"]
    assert [n.title for n in response.context["contributors"]] == ["Quote engine live"]
    html = response.content.decode()
    assert 'data-figure="fig-' in html and "How the status is worked out" in html
    assert "Worked out from its own indicators" in html


def test_an_unmeasured_node_page_says_so_and_offers_analysts_to_add_an_indicator(as_analyst, data):
    html = as_analyst.get(f"/chain/nodes/{data['output'].pk}/").content.decode()
    assert "Unmeasured link." in html
    assert f'href="/chain/nodes/{data["output"].pk}/edit/"' in html
    assert "worked out from the nodes that contribute to it" in html


def test_the_navigation_links_to_the_results_chain(as_viewer):
    html = as_viewer.get("/").content.decode()
    assert '<a href="/chain/">Results chain</a>' in html
