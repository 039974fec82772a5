"""The Django admin writes the results chain through the services: the same rules and
messages as the pages and the API, on the field, nothing half-saved."""

import pytest
from django.urls import reverse

from outcomes import admin as outcomes_admin
from outcomes.models import ChainLink, ChainNode, Initiative, NodeIndicator
from outcomes.services import create_initiative, create_node
from scorecard.services import create_objective, create_scorecard
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


def inline(rows: list[dict], initial: int = 0) -> dict:
    data = {
        "measures-TOTAL_FORMS": len(rows),
        "measures-INITIAL_FORMS": initial,
        "measures-MIN_NUM_FORMS": 0,
        "measures-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data |= {f"measures-{i}-{k}": v for k, v in row.items()}
    return data


def node_form(**fields) -> dict:
    rows = fields.pop("rows", [])
    data = {"level": "outcome", "title": "Price while still on the page", "description": ""}
    return data | {"initiative": "", "targets": []} | inline(rows) | fields


@pytest.fixture
def service_calls(monkeypatch):
    """Record each call of the services the admin saves with (they still run)."""
    calls = []
    for name in ("create_node", "update_node", "create_initiative", "update_initiative"):
        real = getattr(outcomes_admin, name)

        def spy(*, _real=real, _name=name, **kwargs):
            calls.append((_name, kwargs.get("data")))
            return _real(**kwargs)

        monkeypatch.setattr(outcomes_admin, name, spy)
    return calls


@pytest.fixture
def quote(organisation):
    return create_initiative(organisation=organisation, data={"title": "Instant online quote"})


@pytest.fixture
def impact(organisation):
    return create_node(organisation=organisation, data={"level": "impact", "title": "Retention"})


def test_the_admin_pages_open(admin_client, quote, impact):
    for name in ("initiative", "chainnode", "chainlink"):
        assert admin_client.get(reverse(f"admin:outcomes_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:outcomes_{name}_add")).status_code == 200
    change = reverse("admin:outcomes_chainnode_change", args=[impact.pk])
    assert admin_client.get(change).status_code == 200


def test_adding_an_initiative_goes_through_create_initiative(
    admin_client, organisation, service_calls
):
    response = admin_client.post(
        reverse("admin:outcomes_initiative_add"),
        {"organisation": organisation.pk, "title": "Careful delivery", "description": "",
         "owner": "", "start": "", "end": "", "state": "running", "budget": "100"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    initiative = Initiative.objects.get()
    assert (initiative.organisation, initiative.state, initiative.budget) == (
        organisation,
        "running",
        100,
    )
    # the savepoint dry run in the form, then the real save
    assert [name for name, _ in service_calls] == ["create_initiative", "create_initiative"]


def test_an_initiative_ending_before_it_starts_is_the_services_error(admin_client, organisation):
    response = admin_client.post(
        reverse("admin:outcomes_initiative_add"),
        {"organisation": organisation.pk, "title": "Careful delivery", "state": "planned",
         "start": "2026-06-01", "end": "2026-01-01"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end"] == ["The end comes before the start."]
    assert not Initiative.objects.exists()


def test_adding_a_node_with_indicators_and_a_link_is_one_create_node(
    admin_client, organisation, impact, service_calls
):
    fast = IndicatorFactory(organisation=organisation, code="fast_quote")
    response = admin_client.post(
        reverse("admin:outcomes_chainnode_add"),
        node_form(
            organisation=organisation.pk,
            targets=[impact.pk],
            rows=[{"indicator": fast.pk, "weight": "2"}],
        ),
    )
    assert response.status_code == 302, response.content.decode()
    node = ChainNode.objects.get(level="outcome")
    assert list(node.contributes_to.all()) == [impact]
    assert [(m.indicator, m.weight) for m in node.measures.all()] == [(fast, 2.0)]
    saved = [(name, data) for name, data in service_calls if name == "create_node"]
    assert saved[-1][1]["indicators"] == [(fast, 2.0)]
    assert saved[-1][1]["contributes_to"] == [impact]


def test_a_link_downwards_is_the_services_error_on_the_field(admin_client, organisation, quote):
    output = create_node(
        organisation=organisation,
        data={"level": "output", "title": "Quote engine live", "initiative": quote},
    )
    response = admin_client.post(
        reverse("admin:outcomes_chainnode_add"),
        node_form(organisation=organisation.pk, targets=[output.pk]),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["targets"] == [
        "An outcome can contribute only to a higher level; 'Quote engine live' is an output."
    ]
    assert ChainNode.objects.count() == 1


def test_a_negative_weight_is_refused_on_the_inline_and_nothing_is_saved(
    admin_client, organisation
):
    fast = IndicatorFactory(organisation=organisation, code="fast_quote")
    response = admin_client.post(
        reverse("admin:outcomes_chainnode_add"),
        node_form(organisation=organisation.pk, rows=[{"indicator": fast.pk, "weight": "-1"}]),
    )
    assert response.status_code == 200
    assert "The weight of &#x27;fast_quote&#x27; must be a number from 0 to 1,000,000." in (
        response.content.decode()
    )
    assert not ChainNode.objects.exists() and not NodeIndicator.objects.exists()


def test_another_organisations_indicator_is_refused(admin_client, organisation, other_organisation):
    theirs = IndicatorFactory(organisation=other_organisation, code="their_code")
    response = admin_client.post(
        reverse("admin:outcomes_chainnode_add"),
        node_form(organisation=organisation.pk, rows=[{"indicator": theirs.pk, "weight": "1"}]),
    )
    assert response.status_code == 200
    assert "Indicator &#x27;their_code&#x27; belongs to another organisation." in (
        response.content.decode()
    )
    assert not ChainNode.objects.exists()


def test_changing_a_node_goes_through_update_node_and_keeps_its_indicators(
    admin_client, organisation, impact, service_calls
):
    fast = IndicatorFactory(organisation=organisation, code="fast_quote")
    node = create_node(
        organisation=organisation,
        data={"level": "outcome", "title": "Old", "indicators": [(fast, 1.0)]},
    )
    measure = node.measures.get()
    response = admin_client.post(
        reverse("admin:outcomes_chainnode_change", args=[node.pk]),
        node_form(
            title="New",
            targets=[impact.pk],
            rows=[{"id": measure.pk, "node": node.pk, "indicator": fast.pk, "weight": "1"}],
            **{"measures-INITIAL_FORMS": 1},
        ),
    )
    assert response.status_code == 302, response.content.decode()
    node.refresh_from_db()
    assert node.title == "New" and list(node.contributes_to.all()) == [impact]
    assert [(m.indicator, m.weight) for m in node.measures.all()] == [(fast, 1.0)]
    assert service_calls[-1][0] == "update_node"


def test_deleting_a_node_others_contribute_to_removes_their_links(
    admin_client, organisation, impact
):
    outcome = create_node(
        organisation=organisation,
        data={"level": "outcome", "title": "Fast", "contributes_to": [impact]},
    )
    url = reverse("admin:outcomes_chainnode_delete", args=[impact.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert list(ChainNode.objects.all()) == [outcome]
    assert not ChainLink.objects.exists()


def test_deleting_an_initiative_deletes_its_work_and_keeps_its_outcomes(
    admin_client, organisation, quote
):
    create_node(
        organisation=organisation,
        data={"level": "activity", "title": "Launch", "initiative": quote},
    )
    shared = create_node(
        organisation=organisation,
        data={"level": "outcome", "title": "Shared", "initiative": quote},
    )
    url = reverse("admin:outcomes_initiative_delete", args=[quote.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "Cannot delete" not in page.content.decode()
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Initiative.objects.exists()
    assert list(ChainNode.objects.all()) == [shared]
    shared.refresh_from_db()
    assert shared.initiative is None


def test_the_admin_confirmation_lists_the_arrows_of_another_initiative_and_the_objectives(
    admin_client, organisation, quote
):
    training = create_initiative(organisation=organisation, data={"title": "Agent training"})
    trained = create_node(
        organisation=organisation,
        data={"level": "output", "title": "Agents trained", "initiative": quote},
    )
    train = create_node(
        organisation=organisation,
        data={
            "level": "activity",
            "title": "Train agents",
            "initiative": training,
            "contributes_to": [trained],
        },
    )
    scorecard = create_scorecard(organisation=organisation, data={"name": "Company"})
    objective = create_objective(
        perspective=scorecard.perspectives.get(kind="customer"),
        data={"title": "Answers on the first call", "initiatives": [quote]},
    )
    url = reverse("admin:outcomes_initiative_delete", args=[quote.pk])

    body = admin_client.get(url).content.decode()

    assert "Arrow “Train agents” (Agent training) → “Agents trained” (deleted)" in body
    assert (
        "Objective “Answers on the first call” (Company · Customer) (kept; it no longer lists "
        "the initiative)" in body
    )
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert list(ChainNode.objects.all()) == [train]
    assert not ChainLink.objects.exists()
    assert list(objective.initiatives.all()) == []


def test_a_chain_link_is_added_by_link_nodes_with_its_level_rule(
    admin_client, organisation, impact
):
    outcome = create_node(organisation=organisation, data={"level": "outcome", "title": "Fast"})
    url = reverse("admin:outcomes_chainlink_add")
    refused = admin_client.post(url, {"source": impact.pk, "target": outcome.pk})
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["target"] == [
        "An impact can contribute only to a higher level; 'Fast' is an outcome."
    ]
    assert admin_client.post(url, {"source": outcome.pk, "target": impact.pk}).status_code == 302
    link = ChainLink.objects.get()
    assert (link.source, link.target) == (outcome, impact)
    delete = reverse("admin:outcomes_chainlink_delete", args=[link.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not ChainLink.objects.exists()


def test_an_indicator_listed_twice_is_the_services_message(admin_client, organisation):
    fast = IndicatorFactory(organisation=organisation, code="fast_quote")
    rows = [{"indicator": fast.pk, "weight": "1"}, {"indicator": fast.pk, "weight": "2"}]
    response = admin_client.post(
        reverse("admin:outcomes_chainnode_add"), node_form(organisation=organisation.pk, rows=rows)
    )
    assert response.status_code == 200
    assert "Indicator &#x27;fast_quote&#x27; is listed twice." in response.content.decode()
    assert not ChainNode.objects.exists()
