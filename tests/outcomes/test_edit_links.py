"""One arrow at a time: node-link adds or removes `node -> target` or `source -> node` through
link_nodes / unlink_nodes, and a link the wrong way is the service's error on the field."""

import pytest
from django.urls import reverse

from outcomes.models import ChainLink
from outcomes.services import create_initiative, create_node

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def quote(organisation):
    return create_initiative(organisation=organisation, data={"title": "Instant online quote"})


@pytest.fixture
def nodes(organisation, quote):
    def make(level, title, initiative=None):
        data = {"level": level, "title": title, "initiative": initiative}
        return create_node(organisation=organisation, data=data)

    return {
        "activity": make("activity", "Launch instant online quote", quote),
        "output": make("output", "Quote engine live", quote),
        "outcome": make("outcome", "Price while still on the page"),
        "impact": make("impact", "New customers"),
    }


def link_url(node):
    return reverse("node-link", args=[node.pk])


def arrows():
    return set(ChainLink.objects.values_list("source__title", "target__title"))


def test_adding_a_target_links_the_node_upward_and_goes_back_to_its_page(anna, nodes):
    output, outcome = nodes["output"], nodes["outcome"]
    response = anna.post(link_url(output), {"action": "add", "target": outcome.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("node-detail", args=[output.pk])
    assert arrows() == {("Quote engine live", "Price while still on the page")}


def test_adding_a_contributor_links_it_to_the_node(anna, nodes):
    output, activity = nodes["output"], nodes["activity"]
    response = anna.post(link_url(output), {"action": "add", "source": activity.pk})
    assert response.status_code == 302
    assert arrows() == {("Launch instant online quote", "Quote engine live")}


def test_removing_an_arrow_from_either_end(anna, nodes):
    activity, output, outcome = nodes["activity"], nodes["output"], nodes["outcome"]
    ChainLink.objects.create(source=activity, target=output)
    ChainLink.objects.create(source=output, target=outcome)
    anna.post(link_url(output), {"action": "remove", "source": activity.pk})
    assert arrows() == {("Quote engine live", "Price while still on the page")}
    anna.post(link_url(output), {"action": "remove", "target": outcome.pk})
    assert arrows() == set()


def test_a_link_downwards_is_the_services_error_on_the_field_and_adds_nothing(anna, nodes):
    outcome, output = nodes["outcome"], nodes["output"]
    response = anna.post(link_url(outcome), {"action": "add", "target": output.pk})
    assert response.status_code == 400
    assert response.context["link_form"].errors["target"] == [
        "An outcome can contribute only to a higher level; 'Quote engine live' is an output."
    ]
    assert "An outcome can contribute only to a higher level" in response.content.decode()
    assert arrows() == set()


def test_a_contributor_of_a_higher_level_is_refused_on_the_contributor_field(anna, nodes):
    response = anna.post(link_url(nodes["output"]), {"action": "add", "source": nodes["impact"].pk})
    assert response.status_code == 400
    assert list(response.context["link_form"].errors) == ["source"]
    assert arrows() == set()


def test_another_organisations_node_is_not_a_choice(anna, nodes, other_organisation):
    theirs = create_node(
        organisation=other_organisation, data={"level": "impact", "title": "Their impact"}
    )
    response = anna.post(link_url(nodes["outcome"]), {"action": "add", "target": theirs.pk})
    assert response.status_code == 400
    assert "target" in response.context["link_form"].errors
    assert arrows() == set()


def test_choosing_no_node_is_an_error(anna, nodes):
    response = anna.post(link_url(nodes["output"]), {"action": "add"})
    assert response.status_code == 400
    assert response.context["link_form"].errors["target"] == ["Choose a node."]


def test_next_is_followed_on_this_site_only(anna, nodes):
    output, outcome = nodes["output"], nodes["outcome"]
    here = anna.post(
        link_url(output), {"action": "add", "target": outcome.pk, "next": reverse("chain")}
    )
    assert here["Location"] == reverse("chain")
    away = anna.post(
        link_url(output),
        {"action": "remove", "target": outcome.pk, "next": "https://evil.example/"},
    )
    assert away["Location"] == reverse("node-detail", args=[output.pk])


def test_the_links_page_offers_the_nodes_above_and_below_and_new_contributors_prefilled(
    anna, nodes, quote
):
    output = nodes["output"]
    response = anna.get(link_url(output))
    assert response.status_code == 200
    form = response.context["link_form"]
    assert [n.title for n in form.upper] == ["Price while still on the page", "New customers"]
    assert [n.title for n in form.lower] == ["Launch instant online quote"]
    page = response.content.decode()
    prefill = f"{reverse('node-create')}?level=activity&amp;contributes_to={output.pk}"
    assert f"{prefill}&amp;initiative={quote.pk}" in page
    assert "Add an activity that contributes to this" in page


def test_an_outcome_offers_new_outputs_and_activities_without_an_initiative(anna, nodes):
    response = anna.get(link_url(nodes["outcome"]))
    levels = [new["level"] for new in response.context["new_contributors"]]
    assert levels == ["output", "activity"]
    assert "initiative=" not in response.context["new_contributors"][0]["url"]


def test_viewers_cannot_link(client, viewer, nodes):
    client.force_login(viewer)
    response = client.post(
        link_url(nodes["output"]), {"action": "add", "target": nodes["outcome"].pk}
    )
    assert response.status_code == 403
    assert arrows() == set()


def test_a_reading_page_can_include_the_link_form_from_link_context(rf, nodes, analyst):
    from django.template.loader import render_to_string

    from outcomes.selectors import node_by_id
    from outcomes.views.edit import link_context

    output = node_by_id(organisation=nodes["output"].organisation, pk=nodes["output"].pk)
    ChainLink.objects.create(source=output, target=nodes["outcome"])
    request = rf.get("/")
    request.user = analyst
    html = render_to_string("outcomes/_link_form.html", link_context(output), request=request)
    assert "Price while still on the page" in html
    assert "Add an activity that contributes to this" in html
    assert f'action="{link_url(output)}"' in html


def test_the_links_page_costs_the_same_queries_for_a_chain_twice_as_big(
    anna, organisation, quote, nodes, django_assert_max_num_queries
):
    def grow(count):
        for n in range(count):
            outcome = create_node(
                organisation=organisation, data={"level": "outcome", "title": f"Outcome {n}"}
            )
            create_node(
                organisation=organisation,
                data={"level": "output", "title": f"Output {n}", "initiative": quote,
                      "contributes_to": [outcome]},
            )  # fmt: skip

    grow(3)
    with django_assert_max_num_queries(10):
        assert anna.get(link_url(nodes["output"])).status_code == 200
    grow(6)
    with django_assert_max_num_queries(10):
        assert anna.get(link_url(nodes["output"])).status_code == 200


def test_removing_an_arrow_that_does_not_exist_is_an_error_naming_both_nodes(anna, nodes):
    activity, output, outcome = nodes["activity"], nodes["output"], nodes["outcome"]
    ChainLink.objects.create(source=activity, target=output)

    response = anna.post(link_url(output), {"action": "remove", "target": outcome.pk})

    assert response.status_code == 400
    assert response.context["link_form"].errors["target"] == [
        "“Quote engine live” does not contribute to “Price while still on the page”: there is "
        "no arrow to remove."
    ]
    assert "no longer contributes" not in response.content.decode()
    assert arrows() == {("Launch instant online quote", "Quote engine live")}

    response = anna.post(link_url(output), {"action": "remove", "source": outcome.pk})
    assert response.context["link_form"].errors["source"] == [
        "“Price while still on the page” does not contribute to “Quote engine live”: there is "
        "no arrow to remove."
    ]
