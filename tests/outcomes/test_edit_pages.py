"""Analysts' forms for initiatives and chain nodes: every write through the services, their
errors on the field they name, choices from the analyst's own organisation only."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.services import create_user
from outcomes.models import ChainLink, ChainNode, Initiative, NodeIndicator
from outcomes.services import create_initiative, create_node
from scorecard.services import create_objective, create_scorecard
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def quote(organisation):
    return create_initiative(organisation=organisation, data={"title": "Instant online quote"})


def node(organisation, level, title, initiative=None, up=(), indicators=()):
    data = {"level": level, "title": title, "initiative": initiative}
    data |= {"contributes_to": list(up), "indicators": list(indicators)}
    return create_node(organisation=organisation, data=data)


@pytest.fixture
def chain(organisation, quote):
    """impact <- outcome <- output (of the quote initiative)."""
    impact = node(organisation, "impact", "New customers")
    outcome = node(organisation, "outcome", "Price while still on the page", up=[impact])
    output = node(organisation, "output", "Quote engine live", quote, up=[outcome])
    return {"impact": impact, "outcome": outcome, "output": output}


def node_post(**fields) -> dict:
    """A complete node form: no indicator rows unless given as indicators=[(code, weight)]."""
    rows = fields.pop("indicators", [])
    data = {
        "level": "activity",
        "title": "Launch instant online quote",
        "description": "",
        "initiative": "",
        "indicators-TOTAL_FORMS": str(len(rows)),
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
    }
    for i, (code, weight) in enumerate(rows):
        data[f"indicators-{i}-indicator"] = code
        data[f"indicators-{i}-weight"] = weight
    data.update(fields)
    return data


def initiative_post(**fields) -> dict:
    data = {"title": "Careful delivery", "description": "", "owner": "", "state": "planned"}
    data |= {"start": "", "end": "", "budget": ""}
    return data | fields


# -- who may edit ---------------------------------------------------------------------------------

EDIT_PAGES = [
    ("initiative-create", None),
    ("initiative-edit", "initiative"),
    ("initiative-delete", "initiative"),
    ("node-create", None),
    ("node-edit", "node"),
    ("node-delete", "node"),
    ("node-link", "node"),
]


def url_of(name, kind, quote, chain):
    if kind is None:
        return reverse(name)
    pk = quote.pk if kind == "initiative" else chain["output"].pk
    return reverse(name, args=[pk])


@pytest.mark.parametrize(("name", "kind"), EDIT_PAGES)
def test_viewers_get_403_on_every_editing_page_and_change_nothing(
    client, viewer, quote, chain, name, kind
):
    client.force_login(viewer)
    url = url_of(name, kind, quote, chain)
    assert client.get(url).status_code == 403
    post = {"confirm": "on", "action": "add", "target": chain["impact"].pk} | node_post()
    assert client.post(url, post).status_code == 403
    assert Initiative.objects.count() == 1 and ChainNode.objects.count() == 3
    assert ChainLink.objects.count() == 2


@pytest.mark.parametrize(("name", "kind"), EDIT_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, quote, chain, name, kind):
    response = client.get(url_of(name, kind, quote, chain))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(("name", "kind"), [p for p in EDIT_PAGES if p[1]])
def test_another_organisations_objects_answer_404(anna, other_organisation, name, kind):
    theirs = create_initiative(organisation=other_organisation, data={"title": "Theirs"})
    their_node = node(other_organisation, "activity", "Theirs", theirs)
    pk = theirs.pk if kind == "initiative" else their_node.pk
    assert anna.get(reverse(name, args=[pk])).status_code == 404
    assert anna.post(reverse(name, args=[pk]), {"confirm": "on"}).status_code == 404
    assert Initiative.objects.filter(pk=theirs.pk).exists()
    assert ChainNode.objects.filter(pk=their_node.pk).exists()


# -- initiatives ----------------------------------------------------------------------------------


def test_an_analyst_creates_an_initiative_with_a_budget_in_decimal_comma(
    anna, organisation, analyst
):
    assert anna.get(reverse("initiative-create")).status_code == 200
    response = anna.post(
        reverse("initiative-create"),
        initiative_post(
            owner=str(analyst.pk),
            state="running",
            start="2026-01-01",
            end="2026-06-30",
            budget="25 000,50",
        ),
    )
    initiative = Initiative.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("initiative-detail", args=[initiative.pk])
    assert (initiative.organisation, initiative.title, initiative.owner) == (
        organisation,
        "Careful delivery",
        analyst,
    )
    assert (initiative.state, initiative.start, initiative.end) == (
        "running",
        date(2026, 1, 1),
        date(2026, 6, 30),
    )
    assert initiative.budget == Decimal("25000.50")


def test_an_end_before_the_start_is_the_services_error_on_the_end_field(anna):
    response = anna.post(
        reverse("initiative-create"), initiative_post(start="2026-06-01", end="2026-01-01")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["end"] == ["The end comes before the start."]
    assert not Initiative.objects.exists()


def test_a_negative_budget_is_refused_on_the_budget_field(anna):
    response = anna.post(reverse("initiative-create"), initiative_post(budget="-5"))
    assert response.status_code == 400
    assert response.context["form"].errors["budget"] == ["A budget cannot be negative."]


def test_the_owner_is_chosen_among_the_organisations_members_only(
    anna, analyst, other_organisation
):
    stranger = create_user(organisation=other_organisation, username="rita", role=Role.ANALYST)
    response = anna.get(reverse("initiative-create"))
    owners = [value for value, _label in response.context["form"].fields["owner"].choices]
    assert owners == ["", str(analyst.pk)]
    response = anna.post(reverse("initiative-create"), initiative_post(owner=str(stranger.pk)))
    assert response.status_code == 400 and "owner" in response.context["form"].errors
    assert not Initiative.objects.exists()


def test_editing_an_initiative_shows_its_values_and_saves_the_change(anna, quote):
    url = reverse("initiative-edit", args=[quote.pk])
    assert anna.get(url).context["form"]["title"].value() == "Instant online quote"
    response = anna.post(url, initiative_post(title="Instant quote", state="done"))
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.title, quote.state) == ("Instant quote", "done")


def test_deleting_an_initiative_without_nodes_needs_no_tick(anna, quote):
    response = anna.post(reverse("initiative-delete", args=[quote.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("initiative-list")
    assert not Initiative.objects.exists()


def test_the_delete_page_lists_what_goes_and_what_stays_and_needs_the_tick(
    anna, organisation, quote, chain
):
    activity = node(organisation, "activity", "Launch the quote", quote, up=[chain["output"]])
    shared = node(organisation, "outcome", "Fewer calls about prices", quote)
    url = reverse("initiative-delete", args=[quote.pk])
    page = anna.get(url)
    assert [n.title for n in page.context["deleted"]] == ["Launch the quote", "Quote engine live"]
    assert [n.title for n in page.context["kept"]] == ["Fewer calls about prices"]
    assert 'name="confirm"' in page.content.decode()

    refused = anna.post(url)
    assert refused.status_code == 400
    [message, arrows] = refused.context["form"].errors["confirm"]
    assert message.startswith("The initiative has 3 chain nodes:")
    assert arrows == (
        "With its activities and outputs goes 1 arrow to or from a node that stays: "
        "“Quote engine live” → “Price while still on the page”."
    )
    assert ChainNode.objects.count() == 5

    assert anna.post(url, {"confirm": "on"}).status_code == 302
    assert not Initiative.objects.exists()
    assert not ChainNode.objects.filter(pk__in=[activity.pk, chain["output"].pk]).exists()
    shared.refresh_from_db()
    assert shared.initiative is None


# -- chain nodes ----------------------------------------------------------------------------------


def test_the_new_node_form_is_prefilled_from_the_query(anna, quote, chain):
    output = chain["output"]
    url = (
        reverse("node-create") + f"?level=activity&initiative={quote.pk}&contributes_to={output.pk}"
    )
    response = anna.get(url)
    form = response.context["form"]
    assert form["level"].value() == "activity"
    assert form["initiative"].value() == str(quote.pk)
    assert form["contributes_to"].value() == [str(output.pk)]
    page = response.content.decode()
    assert f'value="{output.pk}" checked' in page


def test_a_prefill_with_unknown_or_other_organisations_ids_is_left_out(
    anna, other_organisation, chain
):
    theirs = create_initiative(organisation=other_organisation, data={"title": "Theirs"})
    their_outcome = node(other_organisation, "outcome", "Theirs")
    query = f"?level=sideways&initiative={theirs.pk}&contributes_to={their_outcome.pk}"
    form = anna.get(reverse("node-create") + query).context["form"]
    assert form["level"].value() is None
    assert form["initiative"].value() is None
    assert not form["contributes_to"].value()


def test_the_choices_are_this_organisations_initiatives_and_the_nodes_above_activities(
    anna, other_organisation, quote, chain, organisation
):
    node(organisation, "activity", "Train agents", quote)
    create_initiative(organisation=other_organisation, data={"title": "Theirs"})
    node(other_organisation, "outcome", "Their outcome")
    form = anna.get(reverse("node-create")).context["form"]
    assert [label for _v, label in form.fields["initiative"].choices] == [
        "—",
        "Instant online quote",
    ]
    assert sorted(label for _v, label in form.fields["contributes_to"].choices) == [
        "New customers",
        "Price while still on the page",
        "Quote engine live",
    ]
    assert [g["level"] for g in form.target_groups()] == ["output", "outcome", "impact"]


def test_an_analyst_adds_an_activity_linked_upward_with_weighted_indicators(
    anna, organisation, quote, chain
):
    IndicatorFactory(organisation=organisation, code="fast_quote", name="Fast Quote")
    IndicatorFactory(organisation=organisation, code="quotes_sent", name="Quotes sent")
    response = anna.post(
        reverse("node-create"),
        node_post(
            initiative=str(quote.pk),
            contributes_to=[str(chain["output"].pk)],
            indicators=[("fast_quote", "2"), ("quotes_sent", "0.5")],
        ),
    )
    activity = ChainNode.objects.get(title="Launch instant online quote")
    assert response.status_code == 302
    assert response["Location"] == reverse("node-detail", args=[activity.pk])
    assert (activity.organisation, activity.level, activity.initiative) == (
        organisation,
        "activity",
        quote,
    )
    assert list(activity.contributes_to.all()) == [chain["output"]]
    weights = {m.indicator.code: m.weight for m in NodeIndicator.objects.filter(node=activity)}
    assert weights == {"fast_quote": 2.0, "quotes_sent": 0.5}


def test_a_blank_weight_is_1_and_empty_indicator_rows_are_skipped(anna, organisation, chain):
    IndicatorFactory(organisation=organisation, code="fast_quote")
    response = anna.post(
        reverse("node-create"),
        node_post(level="outcome", title="Fast answer", indicators=[("fast_quote", ""), ("", "")]),
    )
    assert response.status_code == 302
    assert [(m.indicator.code, m.weight) for m in NodeIndicator.objects.all()] == [
        ("fast_quote", 1.0)
    ]


def test_an_activity_without_initiative_is_the_services_error_on_the_initiative(anna, chain):
    response = anna.post(reverse("node-create"), node_post())
    assert response.status_code == 400
    assert response.context["form"].errors["initiative"] == [
        "An activity belongs to an initiative: choose one."
    ]
    assert ChainNode.objects.count() == 3


def test_a_link_to_a_lower_level_is_the_services_error_on_contributes_to(anna, chain):
    response = anna.post(
        reverse("node-create"),
        node_post(level="outcome", title="Agents know the answer",
                  contributes_to=[str(chain["output"].pk)]),
    )  # fmt: skip
    assert response.status_code == 400
    assert response.context["form"].errors["contributes_to"] == [
        "An outcome can contribute only to a higher level; 'Quote engine live' is an output."
    ]
    assert ChainNode.objects.count() == 3 and ChainLink.objects.count() == 2


def test_a_negative_weight_is_an_error_on_its_row_and_nothing_is_saved(anna, organisation, quote):
    IndicatorFactory(organisation=organisation, code="fast_quote")
    response = anna.post(
        reverse("node-create"),
        node_post(initiative=str(quote.pk), indicators=[("fast_quote", "-1")]),
    )
    assert response.status_code == 400
    assert response.context["measures"].forms[0].errors["weight"] == [
        "The weight must be 0 or more."
    ]
    assert not ChainNode.objects.exists() and not NodeIndicator.objects.exists()


def test_a_weight_that_is_not_a_number_is_an_error_on_its_row(anna, organisation, quote):
    IndicatorFactory(organisation=organisation, code="fast_quote")
    response = anna.post(
        reverse("node-create"),
        node_post(initiative=str(quote.pk), indicators=[("fast_quote", "heavy")]),
    )
    assert response.status_code == 400
    assert response.context["measures"].forms[0].errors["weight"] == [
        "Enter the weight as a number, e.g. 1 or 0.5."
    ]
    assert 'class="field-error">Enter the weight as a number' in response.content.decode()
    assert not ChainNode.objects.exists()


def test_a_swedish_analyst_writes_a_weight_with_a_decimal_comma_and_sees_it_so_again(
    anna, organisation, quote
):
    organisation.language = "sv"
    organisation.save(update_fields=["language"])
    IndicatorFactory(organisation=organisation, code="fast_quote")
    response = anna.post(
        reverse("node-create"),
        node_post(initiative=str(quote.pk), indicators=[("fast_quote", "0,25")]),
    )
    activity = ChainNode.objects.get()
    assert response.status_code == 302
    assert [m.weight for m in activity.measures.all()] == [0.25]
    page = anna.get(reverse("node-edit", args=[activity.pk])).content.decode()
    assert 'value="0,25"' in page


def test_another_organisations_initiative_indicator_or_node_is_not_a_choice(
    anna, other_organisation, quote
):
    theirs = create_initiative(organisation=other_organisation, data={"title": "Theirs"})
    their_outcome = node(other_organisation, "outcome", "Theirs")
    IndicatorFactory(organisation=other_organisation, code="their_code")
    response = anna.post(
        reverse("node-create"),
        node_post(
            initiative=str(theirs.pk),
            contributes_to=[str(their_outcome.pk)],
            indicators=[("their_code", "1")],
        ),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"initiative", "contributes_to"}
    assert "indicator" in response.context["measures"].forms[0].errors
    assert ChainNode.objects.filter(organisation=quote.organisation).count() == 0


def test_the_edit_form_shows_the_nodes_indicators_weights_and_links(
    anna, organisation, quote, chain
):
    indicator = IndicatorFactory(organisation=organisation, code="fast_quote")
    output = chain["output"]
    NodeIndicator.objects.create(node=output, indicator=indicator, weight=0.25)
    response = anna.get(reverse("node-edit", args=[output.pk]))
    form, measures = response.context["form"], response.context["measures"]
    assert form["level"].value() == "output"
    assert form["initiative"].value() == str(quote.pk)
    assert form["contributes_to"].value() == [str(chain["outcome"].pk)]
    assert str(output.pk) not in dict(form.fields["contributes_to"].choices)
    assert measures.forms[0]["indicator"].value() == "fast_quote"
    assert 'value="0.25"' in response.content.decode()


def test_a_change_of_level_that_turns_a_link_around_is_refused_and_nothing_changes(
    anna, quote, chain
):
    impact = chain["impact"]
    response = anna.post(
        reverse("node-edit", args=[impact.pk]), node_post(level="outcome", title="Renamed")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["level"] == [
        "These nodes contribute to this one and are not of a lower level: "
        "'Price while still on the page'."
    ]
    impact.refresh_from_db()
    assert (impact.level, impact.title) == ("impact", "New customers")
    assert ChainLink.objects.count() == 2
    assert response.context["node"].title == "New customers"  # the page's heading


def test_editing_a_node_replaces_its_links_and_indicators(anna, organisation, quote, chain):
    indicator = IndicatorFactory(organisation=organisation, code="fast_quote")
    output = chain["output"]
    response = anna.post(
        reverse("node-edit", args=[output.pk]),
        node_post(
            level="output",
            title="Quote engine live",
            initiative=str(quote.pk),
            contributes_to=[str(chain["impact"].pk)],
            indicators=[("fast_quote", "3")],
        ),
    )
    assert response.status_code == 302
    assert list(output.contributes_to.all()) == [chain["impact"]]
    assert [(m.indicator, m.weight) for m in output.measures.all()] == [(indicator, 3.0)]


def test_the_node_form_costs_the_same_queries_for_a_chain_twice_as_big(
    anna, organisation, quote, django_assert_max_num_queries
):
    def grow(count):
        for n in range(count):
            outcome = node(organisation, "outcome", f"Outcome {n}")
            node(organisation, "output", f"Output {n}", quote, up=[outcome])
            IndicatorFactory(organisation=organisation)

    grow(5)
    with django_assert_max_num_queries(9):
        assert anna.get(reverse("node-create")).status_code == 200
    grow(10)
    with django_assert_max_num_queries(9):
        assert anna.get(reverse("node-create")).status_code == 200


def test_the_delete_page_lists_the_arrows_of_another_initiative_and_the_objectives_that_go(
    anna, organisation, quote
):
    training = create_initiative(organisation=organisation, data={"title": "Agent training"})
    fewer_calls = node(organisation, "outcome", "Fewer calls")
    trained = node(organisation, "output", "Agents trained", quote, up=[fewer_calls])
    train = node(organisation, "activity", "Train agents", training, up=[trained])
    scorecard = create_scorecard(organisation=organisation, data={"name": "Company"})
    objective = create_objective(
        perspective=scorecard.perspectives.get(kind="customer"),
        data={"title": "Answers on the first call", "initiatives": [quote]},
    )
    url = reverse("initiative-delete", args=[quote.pk])

    page = anna.get(url)
    body = page.content.decode()
    arrows = [
        "“Train agents” (Agent training) → “Agents trained”",
        "“Agents trained” → “Fewer calls”",
    ]
    assert page.context["arrows"] == arrows
    assert all(f"<li>{arrow}</li>" in body for arrow in arrows)
    assert "Answers on the first call" in body
    assert "Delete it with its activities and outputs" in body

    refused = anna.post(url)
    assert refused.status_code == 400
    messages = refused.context["form"].errors["confirm"]
    assert messages[1] == (
        "With its activities and outputs go 2 arrows to or from nodes that stay: "
        "“Train agents” (Agent training) → “Agents trained”; “Agents trained” → “Fewer calls”."
    )
    assert messages[2].startswith("It serves 1 objective, which loses it:")
    assert ChainLink.objects.count() == 2 and ChainNode.objects.count() == 3
    assert list(objective.initiatives.all()) == [quote]

    assert anna.post(url, {"confirm": "on"}).status_code == 302
    assert set(ChainNode.objects.values_list("pk", flat=True)) == {fewer_calls.pk, train.pk}
    assert not ChainLink.objects.exists()
    assert list(objective.initiatives.all()) == []


def test_an_initiative_of_only_outcomes_and_impacts_is_not_asked_to_delete_its_work(
    anna, organisation, quote
):
    impact = node(organisation, "impact", "A customers", quote)
    outcome = node(organisation, "outcome", "B price on the page", quote, up=[impact])
    url = reverse("initiative-delete", args=[quote.pk])

    page = anna.get(url)
    body = page.content.decode()
    # In chain order, not by the name of the level ("impact" sorts before "outcome").
    assert page.context["kept"] == [outcome, impact]
    assert page.context["deleted"] == [] and page.context["arrows"] == []
    assert "Delete it, and keep its outcomes and impacts without an initiative" in body
    assert "activities and outputs" not in body

    assert anna.post(url, {"confirm": "on"}).status_code == 302
    assert set(ChainNode.objects.values_list("pk", "initiative")) == {
        (impact.pk, None),
        (outcome.pk, None),
    }
    assert ChainLink.objects.count() == 1


def test_an_initiative_with_nothing_else_shows_no_tick(anna, quote):
    body = anna.get(reverse("initiative-delete", args=[quote.pk])).content.decode()
    assert 'name="confirm"' not in body
    assert "nothing else changes" in body


# -- deleting a node ------------------------------------------------------------------------------


def test_the_delete_page_lists_the_contributors_and_the_tick_is_needed(anna, chain):
    outcome = chain["outcome"]
    url = reverse("node-delete", args=[outcome.pk])
    page = anna.get(url)
    assert [n.title for n in page.context["contributors"]] == ["Quote engine live"]
    assert [n.title for n in page.context["targets"]] == ["New customers"]
    assert "Quote engine live" in page.content.decode()

    refused = anna.post(url)
    assert refused.status_code == 400
    assert refused.context["form"].errors["confirm"] == [
        "1 node contributes to this one: 'Quote engine live'. Confirm to delete it with that link."
    ]
    assert ChainNode.objects.filter(pk=outcome.pk).exists()

    response = anna.post(url, {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("chain")
    assert not ChainNode.objects.filter(pk=outcome.pk).exists()
    assert ChainLink.objects.count() == 0


def test_deleting_an_initiatives_node_nobody_contributes_to_goes_back_to_the_initiative(
    anna, organisation, quote, chain
):
    activity = node(organisation, "activity", "Launch", quote, up=[chain["output"]])
    response = anna.post(reverse("node-delete", args=[activity.pk]))
    assert response["Location"] == reverse("initiative-detail", args=[quote.pk])
    assert not ChainNode.objects.filter(pk=activity.pk).exists()
    assert ChainLink.objects.count() == 2


def test_the_node_delete_page_lists_the_nodes_in_chain_order(anna, organisation, quote):
    impact = node(organisation, "impact", "A customers")
    outcome = node(organisation, "outcome", "B price on the page")
    output = node(organisation, "output", "Quote engine live", quote, up=[impact, outcome])
    page = anna.get(reverse("node-delete", args=[output.pk]))
    # "impact" sorts before "outcome" by name, and "A" before "B".
    assert page.context["targets"] == [outcome, impact]


def test_the_edit_form_costs_the_same_queries_for_a_node_with_more_indicators(
    anna, organisation, quote, chain, django_assert_max_num_queries
):
    output = chain["output"]
    for _n in range(2):
        NodeIndicator.objects.create(
            node=output, indicator=IndicatorFactory(organisation=organisation)
        )
    with django_assert_max_num_queries(12):
        assert anna.get(reverse("node-edit", args=[output.pk])).status_code == 200
    for _n in range(6):
        NodeIndicator.objects.create(
            node=output, indicator=IndicatorFactory(organisation=organisation)
        )
    with django_assert_max_num_queries(12):
        assert anna.get(reverse("node-edit", args=[output.pk])).status_code == 200


def test_a_refused_change_keeps_the_initiatives_own_title_in_the_heading(anna, quote):
    response = anna.post(
        reverse("initiative-edit", args=[quote.pk]),
        initiative_post(title="Renamed", start="2026-06-01", end="2026-01-01"),
    )
    assert response.status_code == 400
    assert response.context["initiative"].title == "Instant online quote"
    assert response.context["form"]["title"].value() == "Renamed"
    quote.refresh_from_db()
    assert quote.title == "Instant online quote"
