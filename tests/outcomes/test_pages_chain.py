"""The chain page, the initiatives, an initiative's sub-chain and a node page, as people see them."""

import re

import pytest

from accounts.services import create_user
from outcomes import compute, services
from outcomes.models import ChainLink, ChainNode, Initiative
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
    # all at risk: 0.75; on + off: (1 + 0) / 2 = 0.5; three on + one off: 3 / 4 = 0.75
    assert (
        "all at risk (score 0.75) are at risk together, one on track and one off track of equal"
        " weight (0.5) are off track, and three on track with one off track (0.75) are at risk."
    ) in html


def test_the_worked_examples_follow_the_scores_of_the_rule(as_viewer, data, monkeypatch):
    # at risk scoring 0.5: all at risk 0.5 (off track); on + off (1 + 0) / 2 = 0.5 (off
    # track); three on + one off still 3 / 4 = 0.75 (at risk)
    monkeypatch.setitem(compute.STATUS_SCORES, "at_risk", 0.5)
    html = as_viewer.get("/chain/").content.decode()
    assert "scores 1 on track, 0.5 at risk, 0 off track" in re.sub(r"\.0\b", "", html)
    assert "all at risk (score 0.5) are off track together" in html
    assert "three on track with one off track (0.75) are at risk." in html


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
    with django_assert_max_num_queries(10):
        response = client.get("/chain/groups/activity/", headers={"HX-Request": "true"})
    assert response.content.decode().count("data-node=") == activities


def test_the_folded_groups_of_a_large_chain_cost_the_same_queries_whatever_the_size(
    client, organisation, django_assert_num_queries
):
    small_chain(organisation)
    user = create_user(organisation=organisation, username="max", role="viewer", password="pw-x1!")
    client.force_login(user)
    partial = "/chain/groups/output/"
    small = _count_queries(lambda: client.get(partial, headers={"HX-Request": "true"}))
    ChainNode.objects.filter(organisation=organisation).delete()
    large_chain(organisation, activities=80, outputs=60, outcomes=40, impacts=20, fan=6)
    large = _count_queries(lambda: client.get(partial, headers={"HX-Request": "true"}))
    assert small == large <= 10


def _count_queries(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert call().status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def big(organisation):
    # 80 + 60 + 40 + 20 = 200 nodes: more than OPEN_UP_TO
    return large_chain(organisation, activities=80, outputs=60, outcomes=40, impacts=20, fan=3)


def test_a_large_chain_lists_outcomes_and_impact_and_folds_the_work_away(as_viewer, big):
    response = as_viewer.get("/chain/")
    groups = {g["level"]: g for g in response.context["groups"]}
    assert [g["count"] for g in groups.values()] == [40, 20, 60, 80]
    assert groups["outcome"]["open"] and groups["impact"]["open"]
    assert groups["output"]["nodes"] is None and groups["activity"]["nodes"] is None
    html = response.content.decode()
    assert html.count("data-node=") == 60  # the 40 outcomes and 20 impacts only
    assert 'hx-get="/chain/groups/output/?"' in html
    assert 'hx-trigger="toggle once from:closest details"' in html
    assert 'href="?open=output#group-output"' in html  # without JavaScript: the page, unfolded
    assert "Reading the outputs (60)…" in html


def test_a_folded_group_loads_on_its_own_with_the_filters_of_the_page(as_viewer, big):
    initiative = Initiative.objects.get(title="Initiative 1")
    page = as_viewer.get(f"/chain/?initiative={initiative.pk}&level=output&level=outcome")
    html = page.content.decode()
    url = f"/chain/groups/output/?initiative={initiative.pk}&amp;level=output&amp;level=outcome"
    assert f'hx-get="{url}"' in html
    partial = as_viewer.get(url.replace("&amp;", "&"), headers={"HX-Request": "true"})
    rows = partial.content.decode()
    # the initiative's outputs and those its activities contribute to
    own = ChainNode.objects.filter(initiative=initiative)
    expected = {n.pk for n in own if n.level == "output"} | set(
        ChainLink.objects.filter(source__in=own, target__level="output").values_list(
            "target_id", flat=True
        )
    )
    assert 0 < len(expected) < 60
    assert set(map(int, re.findall(r'data-node="(\d+)"', rows))) == expected
    assert "<html" not in rows and "Contributes to" in rows
    # and the heading's "Open to list them." goes, out of band
    assert '<span id="folded-output" hx-swap-oob="true"></span>' in rows


def test_a_folded_group_opens_on_the_page_without_javascript(as_viewer, big):
    response = as_viewer.get("/chain/groups/activity/?level=activity&level=output")
    assert response.status_code == 302
    assert (
        response["Location"] == "/chain/?level=activity&level=output&open=activity#group-activity"
    )
    response = as_viewer.get("/chain/?level=activity&level=output&open=activity")
    groups = {g["level"]: g for g in response.context["groups"]}
    assert len(groups["activity"]["nodes"]) == 80 and groups["output"]["nodes"] is None
    html = response.content.decode()
    assert html.count("data-node=") == 80
    # the outputs' own fallback keeps the activities open
    assert (
        'href="?level=activity&amp;level=output&amp;open=activity&amp;open=output#group-output"'
        in html
    )


def test_an_unknown_level_has_no_group(as_viewer, big):
    assert (
        as_viewer.get("/chain/groups/strategy/", headers={"HX-Request": "true"}).status_code == 404
    )


def test_a_small_chain_lists_every_group_in_full(as_viewer, data):
    response = as_viewer.get("/chain/")
    assert all(group["nodes"] is not None for group in response.context["groups"])
    assert response.content.decode().count("data-node=") == 6


def test_the_list_names_what_a_node_leads_to_through_a_hidden_level(as_viewer, data):
    html = as_viewer.get("/chain/?level=activity&level=outcome&level=impact").content.decode()
    row = html[html.index(f'data-node="{data["activity"].pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Customers get a price while still on the page</a>" in row
    assert "(through 1 hidden output)" in row


def test_the_initiative_list_shows_each_initiative_with_its_nodes_by_status(as_viewer, data):
    response = as_viewer.get("/initiatives/")
    rows = {row["initiative"].title: row for row in response.context["rows"]}
    assert list(rows) == ["First-contact resolution programme", "Instant online quote"]
    assert rows["Instant online quote"]["initiative"].node_count == 2
    assert [(c["status"], c["count"]) for c in rows["Instant online quote"]["counts"]] == [
        ("no_data", 2)
    ]


def test_the_initiatives_come_25_a_page_by_title(
    as_viewer, organisation, django_assert_max_num_queries
):
    Initiative.objects.bulk_create(
        Initiative(organisation=organisation, title=f"Initiative {n:02}") for n in range(30)
    )
    with django_assert_max_num_queries(8):
        first = as_viewer.get("/initiatives/")
    titles = [row["initiative"].title for row in first.context["rows"]]
    assert titles == [f"Initiative {n:02}" for n in range(25)]
    html = first.content.decode()
    assert "Page 1 of 2" in html and 'href="?page=2"' in html
    second = as_viewer.get("/initiatives/?page=2")
    assert [row["initiative"].title for row in second.context["rows"]] == [
        f"Initiative {n:02}" for n in range(25, 30)
    ]
    assert 'href="?page=1"' in second.content.decode()
    # a page past the end shows the last, a page that is no number the first
    assert as_viewer.get("/initiatives/?page=9").context["page_obj"].number == 2
    assert as_viewer.get("/initiatives/?page=x").context["page_obj"].number == 1


def test_one_page_of_initiatives_has_no_pager(as_viewer, data):
    assert 'class="pager"' not in as_viewer.get("/initiatives/").content.decode()


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
