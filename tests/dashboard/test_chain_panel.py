"""The dashboard's "Results chain" panel: nodes by level and status, the outcomes off track or
at risk first, the unmeasured links, and at most two queries more whatever the chain's size."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.services import create_user
from outcomes.models import ChainNode
from outcomes.services import create_initiative, create_node
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


def make_node(organisation, level, title, status, *, initiative=None, measured=False):
    """A node whose stored status is `status` (the panel reads the stored status only)."""
    indicators = [(IndicatorFactory(organisation=organisation), 1.0)] if measured else []
    if level in ("activity", "output") and initiative is None:
        initiative = create_initiative(organisation=organisation, data={"title": "Work"})
    made = create_node(
        organisation=organisation,
        data={"level": level, "title": title, "initiative": initiative, "indicators": indicators},
    )
    ChainNode.objects.filter(pk=made.pk).update(status=status)
    return made


def panel(client) -> str:
    page = client.get(reverse("home")).content.decode()
    match = re.search(r'<section class="card needs-action chain-panel".*?</section>', page, re.S)
    assert match, "the panel is on the page"
    return match.group(0)


def counts(html: str) -> dict[str, dict[str, int]]:
    """{level label: {status: count}} read from the panel's table."""
    rows = re.findall(r'<tr><th scope="row">(\w+).*?</th>(.*?)</tr>', html, re.S)
    return {
        label.lower(): {
            status: int(count)
            for status, count in re.findall(
                r'data-status="(\w+)">(?:<span class="muted">)?(\d+)', cells
            )
        }
        for label, cells in rows
    }


def test_the_panel_counts_nodes_by_level_and_status_and_lists_outcomes_off_track_first(
    client, viewer, organisation
):
    zebra = make_node(organisation, "outcome", "Zebra crossing is safe", "off_track", measured=True)
    beta = make_node(organisation, "outcome", "beta customers feel heard", "off_track")
    alpha = make_node(organisation, "outcome", "Alpha price is clear", "at_risk", measured=True)
    make_node(organisation, "outcome", "Calm outcome", "on_track", measured=True)
    make_node(organisation, "impact", "Retention", "off_track", measured=True)
    make_node(organisation, "impact", "Revenue", "on_track", measured=True)
    make_node(organisation, "output", "Engine live", "no_data")
    make_node(organisation, "activity", "Launch engine", "no_data")
    make_node(organisation, "activity", "Train agents", "on_track", measured=True)
    client.force_login(viewer)

    html = panel(client)

    assert counts(html) == {
        "impact": {"off_track": 1, "at_risk": 0, "on_track": 1, "no_data": 0},
        "outcome": {"off_track": 2, "at_risk": 1, "on_track": 1, "no_data": 0},
        "output": {"off_track": 0, "at_risk": 0, "on_track": 0, "no_data": 1},
        "activity": {"off_track": 0, "at_risk": 0, "on_track": 1, "no_data": 1},
    }
    listed = re.findall(r'<li><a href="([^"]+)">([^<]+)</a> <span class="pill ([\w-]+)">', html)
    # Off track before at risk, by title whatever the case; impacts and on-track ones are not
    # listed.
    assert listed == [
        (reverse("node-detail", args=[beta.pk]), beta.title, "worse"),
        (reverse("node-detail", args=[zebra.pk]), zebra.title, "worse"),
        (reverse("node-detail", args=[alpha.pk]), alpha.title, "at-risk"),
    ]
    assert '<strong class="worse">3</strong> unmeasured links' in html  # beta, engine, launch
    assert f'href="{reverse("chain")}"' in html
    assert "leading" in html and "lagging" in html


def test_a_long_list_of_outcomes_stops_at_eight_and_says_how_many_more(
    client, viewer, organisation
):
    for n in range(11):
        make_node(organisation, "outcome", f"Outcome {n:02d}", "at_risk", measured=True)
    client.force_login(viewer)

    html = panel(client)

    assert html.count('<span class="pill at-risk">at risk</span></li>') == 8
    assert "and 3 more outcomes" in html
    assert "Every node is measured by at least one indicator." in html


def test_a_chain_with_nothing_to_worry_about_says_so(client, viewer, organisation):
    make_node(organisation, "outcome", "Fine", "on_track", measured=True)
    client.force_login(viewer)

    assert "No outcome is off track or at risk." in panel(client)


def test_without_a_chain_analysts_are_invited_to_create_the_first_node(
    client, analyst, viewer, organisation
):
    IndicatorFactory(organisation=organisation)
    client.force_login(analyst)
    html = panel(client)
    assert "No results chain yet" in html
    assert f'href="{reverse("node-create")}"' in html

    client.force_login(viewer)
    html = panel(client)
    assert "No results chain yet" in html
    assert reverse("node-create") not in html
    assert "Ask an analyst" in html


def test_the_panel_shows_even_before_the_first_indicator(client, analyst):
    client.force_login(analyst)
    page = client.get(reverse("home")).content.decode()
    assert "No indicators yet" in page
    assert "No results chain yet" in page


def test_the_panel_shows_only_the_organisations_own_chain(
    client, viewer, organisation, other_organisation
):
    make_node(organisation, "outcome", "Ours", "at_risk", measured=True)
    make_node(other_organisation, "outcome", "Theirs", "off_track")
    create_user(organisation=other_organisation, username="olle", role=Role.VIEWER, password="x")
    client.force_login(viewer)

    html = panel(client)

    assert "Ours" in html and "Theirs" not in html
    assert counts(html)["outcome"] == {"off_track": 0, "at_risk": 1, "on_track": 0, "no_data": 0}
    assert "Every node is measured" in html


def test_the_panel_costs_at_most_two_queries_whatever_the_size_of_the_chain(
    client, viewer, organisation, django_assert_max_num_queries
):
    IndicatorFactory(organisation=organisation, code="first")
    client.force_login(viewer)
    with django_assert_max_num_queries(20) as without_chain:
        client.get(reverse("home"))
    make_node(organisation, "outcome", "One", "off_track")
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("home"))
    initiative = create_initiative(organisation=organisation, data={"title": "Big"})
    for n in range(40):
        level = ("activity", "output", "outcome", "impact")[n % 4]
        make_node(organisation, level, f"Node {n}", "at_risk", initiative=initiative)
    with django_assert_max_num_queries(20) as large:
        response = client.get(reverse("home"))

    # Whether there is a chain rides on the indicators' query; with one, one query counts
    # the nodes by level and status and one reads what the panel lists.
    assert len(small.captured_queries) == len(without_chain.captured_queries) + 2
    assert len(large.captured_queries) == len(small.captured_queries)
    assert "and 3 more outcomes" in response.content.decode()  # 10 + "One" = 11 outcomes
