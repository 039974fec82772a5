"""Writes of the results chain: the level rule, organisations, weights, deletes, and nothing
half-changed when a write is refused or fails."""

import contextlib
import math
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.services import create_user
from indicators.models import PeriodValue
from indicators.selectors import today_of
from outcomes import selectors, services
from outcomes.models import ChainLink, ChainNode, Initiative, NodeIndicator
from outcomes.services import nodes as nodes_module
from scorecard.services import create_objective, create_scorecard
from tests.factories import IndicatorFactory
from tests.outcomes.chain_data import node

pytestmark = pytest.mark.django_db


# --- builders -------------------------------------------------------------------------------


@pytest.fixture
def quote(organisation):
    return services.create_initiative(
        organisation=organisation, data={"title": "Instant online quote"}
    )


@pytest.fixture
def rival_quote(other_organisation):
    return services.create_initiative(organisation=other_organisation, data={"title": "Theirs"})


def month_value(indicator, *, assessment="", progress=None, value=1.0):
    """A total value of the indicator's month this month (not stale)."""
    start = today_of(indicator.organisation).replace(day=1)
    return PeriodValue.objects.create(
        indicator=indicator,
        period="month",
        segment="",
        period_start=start,
        value=value,
        assessment=assessment,
        progress=progress,
        computed_at=timezone.now(),
    )


def indicator(organisation, code, status=None):
    """A monthly indicator whose value this month is `status` (None: no value)."""
    made = IndicatorFactory(organisation=organisation, code=code, period="month")
    if status == "on_track":
        month_value(made, assessment="expected")
    elif status == "at_risk":
        month_value(made, progress=0.7)
    elif status == "off_track":
        month_value(made, assessment="worse")
    return made


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def stored(node_):
    return ChainNode.objects.get(pk=node_.pk)


# --- the level rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source_level", "target_level"),
    [
        ("activity", "output"),
        ("activity", "outcome"),
        ("activity", "impact"),
        ("output", "outcome"),
        ("output", "impact"),
        ("outcome", "impact"),
    ],
)
def test_a_node_contributes_to_any_higher_level_skipping_levels_too(
    organisation, quote, source_level, target_level
):
    target = node(organisation, target_level, "Up", quote)

    source = node(organisation, source_level, "Down", quote, contributes_to=[target])

    assert list(ChainLink.objects.values_list("source", "target")) == [(source.pk, target.pk)]


@pytest.mark.parametrize(
    ("source_level", "target_level"),
    [
        ("output", "activity"),
        ("impact", "outcome"),
        ("impact", "activity"),
        ("outcome", "output"),
        ("activity", "activity"),
        ("outcome", "outcome"),
        ("impact", "impact"),
    ],
)
def test_a_link_downwards_or_to_the_same_level_is_refused_and_nothing_is_created(
    organisation, quote, source_level, target_level
):
    target = node(organisation, target_level, "Customers get a price", quote)

    with pytest.raises(ValidationError) as excinfo:
        node(organisation, source_level, "Wrong way", quote, contributes_to=[target])

    [message] = errors_of(excinfo)["contributes_to"]
    assert "can contribute only to a higher level" in message
    assert "'Customers get a price'" in message
    assert list(ChainNode.objects.all()) == [target]
    assert not ChainLink.objects.exists()


def test_link_nodes_follows_the_same_level_rule(organisation, quote):
    output = node(organisation, "output", "Quote engine live", quote)
    activity = node(organisation, "activity", "Launch the quote", quote)
    other_output = node(organisation, "output", "Another output", quote)

    with pytest.raises(ValidationError) as downwards:
        services.link_nodes(source=output, target=activity)
    with pytest.raises(ValidationError) as sideways:
        services.link_nodes(source=output, target=other_output)
    with pytest.raises(ValidationError) as itself:
        services.link_nodes(source=output, target=output)

    assert "contributes_to" in errors_of(downwards)
    assert "contributes_to" in errors_of(sideways)
    assert errors_of(itself)["contributes_to"] == ["A node cannot contribute to itself."]
    assert not ChainLink.objects.exists()


def test_link_nodes_adds_one_arrow_and_again_is_a_no_op(organisation, quote):
    activity = node(organisation, "activity", "Launch", quote)
    output = node(organisation, "output", "Live", quote)

    first = services.link_nodes(source=activity, target=output)
    again = services.link_nodes(source=activity, target=output)

    assert first == again
    assert ChainLink.objects.count() == 1


def test_a_node_cannot_contribute_to_itself(organisation):
    outcome = node(organisation, "outcome", "Price on the page")

    with pytest.raises(ValidationError) as excinfo:
        services.update_node(node=outcome, data={"contributes_to": [outcome]})

    assert errors_of(excinfo)["contributes_to"] == ["A node cannot contribute to itself."]


def test_an_activity_or_output_without_an_initiative_is_refused(organisation):
    for level in ("activity", "output"):
        with pytest.raises(ValidationError) as excinfo:
            node(organisation, level, "Orphan")
        assert list(errors_of(excinfo)) == ["initiative"]
    assert not ChainNode.objects.exists()


def test_outcomes_and_impacts_need_no_initiative(organisation):
    node(organisation, "outcome", "Issue solved on first contact")
    node(organisation, "impact", "Retention")

    assert ChainNode.objects.filter(initiative=None).count() == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"level": "programme"}, "level"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_an_unknown_level_a_blank_title_or_a_long_one_is_refused(organisation, data, field):
    with pytest.raises(ValidationError) as excinfo:
        services.create_node(
            organisation=organisation, data={"level": "outcome", "title": "T", **data}
        )

    assert field in errors_of(excinfo)
    assert not ChainNode.objects.exists()


def test_a_title_of_200_characters_is_kept(organisation):
    assert node(organisation, "outcome", "x" * 200).title == "x" * 200


# --- changing a level -------------------------------------------------------------------------


def test_changing_a_level_below_a_contributor_is_refused(organisation, quote):
    outcome = node(organisation, "outcome", "Price on the page")
    node(organisation, "output", "Quote engine live", quote, contributes_to=[outcome])

    with pytest.raises(ValidationError) as excinfo:
        services.update_node(node=outcome, data={"level": "output", "initiative": quote})

    [message] = errors_of(excinfo)["level"]
    assert "'Quote engine live'" in message
    assert stored(outcome).level == "outcome"


def test_changing_a_level_up_to_a_target_is_refused_with_the_error_on_the_level(organisation):
    impact = node(organisation, "impact", "Retention")
    outcome = node(organisation, "outcome", "Price on the page", contributes_to=[impact])

    with pytest.raises(ValidationError) as excinfo:
        services.update_node(node=outcome, data={"level": "impact"})

    [message] = errors_of(excinfo)["level"]
    assert "'Retention'" in message
    assert stored(outcome).level == "outcome"
    assert ChainLink.objects.filter(source=outcome, target=impact).exists()


def test_changing_a_level_is_allowed_when_every_link_still_points_upwards(organisation, quote):
    impact = node(organisation, "impact", "Retention")
    output = node(organisation, "output", "Agents trained", quote, contributes_to=[impact])
    node(organisation, "activity", "Train agents", quote, contributes_to=[output])

    services.update_node(node=output, data={"level": "outcome"})

    assert stored(output).level == "outcome"


def test_a_new_level_and_new_links_are_checked_together(organisation):
    impact = node(organisation, "impact", "Retention")
    outcome = node(organisation, "outcome", "Price on the page", contributes_to=[impact])

    # An impact contributes to nothing: dropping the link makes the change fine.
    services.update_node(node=outcome, data={"level": "impact", "contributes_to": []})

    assert stored(outcome).level == "impact"
    assert not ChainLink.objects.exists()


# --- other organisations ----------------------------------------------------------------------


def test_a_node_in_another_organisations_initiative_is_refused(organisation, rival_quote):
    with pytest.raises(ValidationError) as excinfo:
        node(organisation, "activity", "Borrowed work", rival_quote)

    assert errors_of(excinfo)["initiative"] == ["The initiative belongs to another organisation."]
    assert not ChainNode.objects.exists()


def test_an_indicator_of_another_organisation_is_refused(organisation, other_organisation):
    theirs = IndicatorFactory(organisation=other_organisation, code="their_nps")

    with pytest.raises(ValidationError) as excinfo:
        node(organisation, "outcome", "Loyal customers", indicators=[(theirs, 1.0)])

    assert errors_of(excinfo)["indicators"] == [
        "Indicator 'their_nps' belongs to another organisation."
    ]
    assert not NodeIndicator.objects.exists()


def test_a_link_to_another_organisations_node_is_refused(organisation, other_organisation, quote):
    theirs = node(other_organisation, "impact", "Their revenue")
    ours = node(organisation, "outcome", "Our outcome")

    with pytest.raises(ValidationError) as on_save:
        services.update_node(node=ours, data={"contributes_to": [theirs]})
    with pytest.raises(ValidationError) as on_link:
        services.link_nodes(source=ours, target=theirs)

    message = f"Node {theirs.pk} belongs to another organisation."
    assert errors_of(on_save)["contributes_to"] == [message]
    assert errors_of(on_link)["contributes_to"] == [message]
    assert not ChainLink.objects.exists()


# --- weights ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weight",
    [
        -1.0,
        -0.001,
        1_000_001,
        1e308,
        math.nan,
        math.inf,
        -math.inf,
        True,
        False,
        "1",
        None,
        Decimal("NaN"),
    ],
)
def test_a_weight_that_is_negative_or_not_a_finite_number_is_refused(organisation, weight):
    fast_quote = IndicatorFactory(organisation=organisation, code="fast_quote")

    with pytest.raises(ValidationError) as excinfo:
        node(organisation, "outcome", "Price on the page", indicators=[(fast_quote, weight)])

    assert errors_of(excinfo)["indicators"] == [
        "The weight of 'fast_quote' must be a number from 0 to 1,000,000."
    ]
    assert not ChainNode.objects.exists()


def test_weights_all_zero_are_refused(organisation):
    one = IndicatorFactory(organisation=organisation, code="one")
    two = IndicatorFactory(organisation=organisation, code="two")

    with pytest.raises(ValidationError) as excinfo:
        node(organisation, "outcome", "Nothing counts", indicators=[(one, 0), (two, 0.0)])

    assert errors_of(excinfo)["indicators"] == ["At least one indicator needs a weight above 0."]


def test_one_zero_weight_beside_a_positive_one_is_kept(organisation):
    one = IndicatorFactory(organisation=organisation, code="one")
    two = IndicatorFactory(organisation=organisation, code="two")

    made = node(organisation, "outcome", "Half counts", indicators=[(one, 0), (two, 2)])

    assert sorted(NodeIndicator.objects.filter(node=made).values_list("weight", flat=True)) == [
        0.0,
        2.0,
    ]


def test_a_decimal_weight_from_a_form_is_a_number(organisation):
    one = IndicatorFactory(organisation=organisation, code="one")

    made = node(organisation, "outcome", "Decimal", indicators=[(one, Decimal("1.50"))])

    assert NodeIndicator.objects.get(node=made).weight == 1.5


def test_an_indicator_listed_twice_is_refused(organisation):
    one = IndicatorFactory(organisation=organisation, code="one")

    with pytest.raises(ValidationError) as excinfo:
        node(organisation, "outcome", "Twice", indicators=[(one, 1), (one, 2)])

    assert errors_of(excinfo)["indicators"] == ["Indicator 'one' is listed twice."]


def test_indicators_replace_the_list_and_an_empty_list_clears_it(organisation):
    one = IndicatorFactory(organisation=organisation, code="one")
    two = IndicatorFactory(organisation=organisation, code="two")
    made = node(organisation, "outcome", "Measured", indicators=[(one, 1), (two, 3)])

    services.update_node(node=made, data={"indicators": [(two, 0.5)]})
    assert list(NodeIndicator.objects.values_list("indicator__code", "weight")) == [("two", 0.5)]

    services.update_node(node=made, data={"indicators": []})
    assert not NodeIndicator.objects.exists()


def test_fields_not_in_the_data_stay_as_they_are(organisation, quote):
    one = IndicatorFactory(organisation=organisation, code="one")
    outcome = node(organisation, "outcome", "Kept")
    made = node(
        organisation,
        "output",
        "Live",
        quote,
        description="The engine",
        indicators=[(one, 2)],
        contributes_to=[outcome],
    )

    services.update_node(node=made, data={"title": "Quote engine live"})

    again = stored(made)
    assert (again.title, again.description, again.initiative) == (
        "Quote engine live",
        "The engine",
        quote,
    )
    assert list(NodeIndicator.objects.values_list("indicator__code", "weight")) == [("one", 2.0)]
    assert list(ChainLink.objects.values_list("source", "target")) == [(made.pk, outcome.pk)]


# --- nothing half-changed ---------------------------------------------------------------------


def _snapshot(node_):
    row = ChainNode.objects.filter(pk=node_.pk).values().get()
    row.pop("updated_at")
    return (
        row,
        list(NodeIndicator.objects.filter(node=node_).values_list("indicator_id", "weight")),
        list(ChainLink.objects.filter(source=node_).values_list("target_id", flat=True)),
    )


def test_a_refused_update_changes_nothing_in_the_database_nor_in_the_callers_node(
    organisation, quote, other_organisation
):
    one = IndicatorFactory(organisation=organisation, code="one")
    two = IndicatorFactory(organisation=organisation, code="two")
    outcome = node(organisation, "outcome", "Price on the page")
    output = node(
        organisation, "output", "Live", quote, indicators=[(one, 1)], contributes_to=[outcome]
    )
    before = _snapshot(output)

    # Good title and indicators, one bad link: none of it is written.
    with pytest.raises(ValidationError):
        services.update_node(
            node=output,
            data={
                "title": "Renamed",
                "description": "New",
                "indicators": [(two, 5)],
                "contributes_to": [node(other_organisation, "impact", "Theirs")],
            },
        )

    assert _snapshot(output) == before
    assert (output.title, output.description) == ("Live", "")


def test_a_write_that_fails_half_way_is_rolled_back_whole(organisation, quote, monkeypatch):
    one = IndicatorFactory(organisation=organisation, code="one")
    outcome = node(organisation, "outcome", "Price on the page")

    def broken(node_, targets):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(nodes_module, "_replace_links", broken)
    fresh = ChainNode(organisation=organisation)
    with pytest.raises(RuntimeError):
        nodes_module._save(
            fresh,
            {
                "level": "output",
                "title": "Live",
                "initiative": quote,
                "indicators": [(one, 1)],
                "contributes_to": [outcome],
            },
            new=True,
        )

    assert list(ChainNode.objects.all()) == [outcome]
    assert not NodeIndicator.objects.exists()
    # The caller's instance is not left looking saved.
    assert fresh.pk is None and fresh._state.adding


# --- deletes ----------------------------------------------------------------------------------


def test_deleting_a_node_others_contribute_to_is_refused_with_their_titles(organisation, quote):
    outcome = node(organisation, "outcome", "Price on the page")
    node(organisation, "output", "Quote engine live", quote, contributes_to=[outcome])
    node(organisation, "activity", "Launch the quote", quote, contributes_to=[outcome])

    with pytest.raises(ValidationError) as excinfo:
        services.delete_node(node=outcome)

    [message] = errors_of(excinfo)["contributors"]
    assert message.startswith("2 nodes contribute to this one:")
    assert "'Quote engine live', 'Launch the quote'" in message
    assert ChainNode.objects.count() == 3 and ChainLink.objects.count() == 2


def test_deleting_with_confirm_removes_the_node_and_its_links_both_ways(organisation, quote):
    impact = node(organisation, "impact", "Retention")
    outcome = node(organisation, "outcome", "Price on the page", contributes_to=[impact])
    output = node(organisation, "output", "Live", quote, contributes_to=[outcome, impact])

    services.delete_node(node=outcome, confirm=True)

    assert set(ChainNode.objects.values_list("pk", flat=True)) == {impact.pk, output.pk}
    assert list(ChainLink.objects.values_list("source", "target")) == [(output.pk, impact.pk)]


def test_deleting_a_node_nothing_contributes_to_needs_no_confirm(organisation, quote):
    outcome = node(organisation, "outcome", "Price on the page")
    output = node(organisation, "output", "Live", quote, contributes_to=[outcome])

    services.delete_node(node=output)

    assert list(ChainNode.objects.all()) == [outcome]
    assert not ChainLink.objects.exists()


def test_deleting_a_node_refreshes_the_nodes_it_contributed_to(organisation, quote):
    one = indicator(organisation, "one", "on_track")
    outcome = node(organisation, "outcome", "Price on the page")
    output = node(organisation, "output", "Live", quote, indicators=[(one, 1)])
    services.link_nodes(source=output, target=outcome)
    assert stored(outcome).status == "on_track"

    services.delete_node(node=output)

    assert (stored(outcome).status, stored(outcome).status_source) == ("no_data", "none")


def test_deleting_an_initiative_with_nodes_is_refused_with_their_titles(organisation, quote):
    node(organisation, "activity", "Launch the quote", quote)

    with pytest.raises(ValidationError) as excinfo:
        services.delete_initiative(initiative=quote)

    [message] = errors_of(excinfo)["nodes"]
    assert message.startswith("The initiative has 1 chain node: 'Launch the quote'.")
    assert Initiative.objects.filter(pk=quote.pk).exists()
    assert ChainNode.objects.count() == 1


def test_deleting_an_initiative_with_confirm_keeps_its_outcomes_without_it(organisation, quote):
    one = indicator(organisation, "one", "off_track")
    impact = node(organisation, "impact", "New customers")
    outcome = node(organisation, "outcome", "Price on the page", quote, contributes_to=[impact])
    output = node(organisation, "output", "Live", quote, indicators=[(one, 1)])
    node(organisation, "activity", "Launch", quote, contributes_to=[output])
    services.link_nodes(source=output, target=outcome)
    assert stored(impact).status == "off_track"

    services.delete_initiative(initiative=quote, confirm=True)

    assert not Initiative.objects.exists()
    assert set(ChainNode.objects.values_list("title", "initiative")) == {
        ("New customers", None),
        ("Price on the page", None),
    }
    assert list(ChainLink.objects.values_list("source", "target")) == [(outcome.pk, impact.pk)]
    # The outcome lost its only contributor, and with it the impact its status.
    assert stored(outcome).status_source == "none"
    assert (stored(impact).status, stored(impact).status_source) == ("no_data", "contributors")


@pytest.fixture
def shared_work(organisation, quote):
    """Another initiative's activity contributes to the quote's output, which contributes to a
    shared outcome; the quote serves an objective of the company scorecard.

        [Agent training] Train agents --> [quote] Agents trained --> Fewer calls (shared)
        [quote] Write the script ----------^       Train agents -------^
    """
    training = services.create_initiative(
        organisation=organisation, data={"title": "Agent training"}
    )
    fewer_calls = node(organisation, "outcome", "Fewer calls")
    trained = node(organisation, "output", "Agents trained", quote, contributes_to=[fewer_calls])
    script = node(organisation, "activity", "Write the script", quote, contributes_to=[trained])
    train = node(
        organisation, "activity", "Train agents", training, contributes_to=[trained, fewer_calls]
    )
    scorecard = create_scorecard(organisation=organisation, data={"name": "Company"})
    objective = create_objective(
        perspective=scorecard.perspectives.get(kind="customer"),
        data={"title": "Answers on the first call", "initiatives": [quote]},
    )
    return {
        "training": training,
        "fewer_calls": fewer_calls,
        "trained": trained,
        "script": script,
        "train": train,
        "objective": objective,
    }


def test_deleting_an_initiative_lists_the_arrows_of_other_nodes_and_the_objectives_that_go(
    organisation, quote, shared_work
):
    links_before = set(ChainLink.objects.values_list("pk", flat=True))

    with pytest.raises(ValidationError) as excinfo:
        services.delete_initiative(initiative=quote)

    errors = errors_of(excinfo)
    assert errors["nodes"] == [
        "The initiative has 2 chain nodes: 'Write the script', 'Agents trained'. Confirm to "
        "delete its activities and outputs with it.",
        # The script's arrow to "Agents trained" goes with both its ends: it is not listed.
        "With its activities and outputs go 2 arrows to or from nodes that stay: "
        "“Train agents” (Agent training) → “Agents trained”; "
        "“Agents trained” → “Fewer calls”.",
    ]
    assert errors["objectives"] == [
        "It serves 1 objective, which loses it: “Answers on the first call” (Company · Customer)."
    ]
    # Nothing changed.
    assert Initiative.objects.filter(pk=quote.pk).exists()
    assert ChainNode.objects.count() == 4
    assert set(ChainLink.objects.values_list("pk", flat=True)) == links_before
    assert list(shared_work["objective"].initiatives.all()) == [quote]


def test_deleting_an_initiative_with_confirm_removes_exactly_what_the_refusal_listed(
    organisation, quote, shared_work
):
    w = shared_work

    services.delete_initiative(initiative=quote, confirm=True)

    assert set(ChainNode.objects.values_list("pk", flat=True)) == {
        w["fewer_calls"].pk,
        w["train"].pk,
    }
    # Of the four arrows, only the other initiative's own one to the shared outcome stays.
    assert list(ChainLink.objects.values_list("source", "target")) == [
        (w["train"].pk, w["fewer_calls"].pk)
    ]
    assert Initiative.objects.get() == w["training"]
    w["objective"].refresh_from_db()  # the objective stays, without the initiative
    assert list(w["objective"].initiatives.all()) == []


def test_an_initiative_that_serves_an_objective_and_has_no_nodes_needs_a_confirm(
    organisation, quote
):
    scorecard = create_scorecard(organisation=organisation, data={"name": "Company"})
    objective = create_objective(
        perspective=scorecard.perspectives.get(kind="customer"),
        data={"title": "Answers on the first call", "initiatives": [quote]},
    )

    with pytest.raises(ValidationError) as excinfo:
        services.delete_initiative(initiative=quote)

    assert errors_of(excinfo) == {
        "objectives": [
            "The initiative serves 1 objective, which loses it: "
            "“Answers on the first call” (Company · Customer). Confirm to delete it."
        ]
    }
    assert list(objective.initiatives.all()) == [quote]
    services.delete_initiative(initiative=quote, confirm=True)
    assert not Initiative.objects.exists() and list(objective.initiatives.all()) == []


def test_an_initiative_of_only_outcomes_asks_to_keep_them_not_to_delete_its_work(
    organisation, quote
):
    node(organisation, "impact", "New customers", quote)
    node(organisation, "outcome", "Price on the page", quote)

    with pytest.raises(ValidationError) as excinfo:
        services.delete_initiative(initiative=quote)

    # In chain order: the outcome before the impact.
    assert errors_of(excinfo) == {
        "nodes": [
            "The initiative has 2 chain nodes: 'Price on the page', 'New customers'. Confirm "
            "to delete it; the nodes stay, without an initiative."
        ]
    }


def test_deleting_an_initiative_without_nodes_needs_no_confirm(organisation, quote):
    services.delete_initiative(initiative=quote)

    assert not Initiative.objects.exists()


# --- initiatives ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"state": "paused"}, "state"),
        ({"start": date(2026, 3, 1), "end": date(2026, 2, 28)}, "end"),
        ({"budget": Decimal("-0.01")}, "budget"),
        ({"budget": Decimal("NaN")}, "budget"),
        ({"budget": Decimal("Infinity")}, "budget"),
        ({"budget": math.nan}, "budget"),
        ({"budget": Decimal("1000000000000")}, "budget"),
        ({"budget": Decimal("10.005")}, "budget"),
        ({"budget": True}, "budget"),
        ({"budget": "100"}, "budget"),
    ],
)
def test_a_bad_initiative_is_refused_and_not_created(organisation, data, field):
    with pytest.raises(ValidationError) as excinfo:
        services.create_initiative(organisation=organisation, data={"title": "Ok", **data})

    assert list(errors_of(excinfo)) == [field]
    assert not Initiative.objects.exists()


def test_an_initiative_keeps_the_largest_budget_that_fits(organisation):
    made = services.create_initiative(
        organisation=organisation,
        data={"title": "Big", "budget": Decimal("999999999999.99"), "state": "running"},
    )

    assert Initiative.objects.get(pk=made.pk).budget == Decimal("999999999999.99")


def test_an_initiative_owner_must_be_a_member(organisation, other_organisation, analyst):
    outsider = create_user(organisation=other_organisation, username="olga", role="analyst")

    with pytest.raises(ValidationError) as excinfo:
        services.create_initiative(
            organisation=organisation, data={"title": "Theirs", "owner": outsider}
        )
    made = services.create_initiative(
        organisation=organisation, data={"title": "Ours", "owner": analyst}
    )

    assert list(errors_of(excinfo)) == ["owner"]
    assert made.owner == analyst


def test_a_refused_initiative_update_leaves_the_row_and_the_callers_object(organisation, quote):
    with pytest.raises(ValidationError):
        services.update_initiative(
            initiative=quote, data={"title": "Renamed", "budget": Decimal("-5")}
        )

    assert Initiative.objects.get(pk=quote.pk).title == "Instant online quote"
    assert (quote.title, quote.budget) == ("Instant online quote", None)


# --- a saved node carries its status ----------------------------------------------------------


def test_a_saved_node_answers_with_its_fresh_stored_status(organisation):
    on = indicator(organisation, "on", "on_track")
    off = indicator(organisation, "off", "off_track")

    made = node(organisation, "outcome", "Mixed", indicators=[(on, 3), (off, 1)])

    # (3 x 1 + 1 x 0) / 4 = 0.75, at risk: on the instance as in the database.
    assert (made.status, made.score, made.status_source) == ("at_risk", 0.75, "indicators")
    again = stored(made)
    assert (again.status, again.score, again.status_source) == ("at_risk", 0.75, "indicators")
    assert again.status_at is not None


def test_a_node_updated_through_a_selector_row_reads_its_new_indicators(organisation):
    one = indicator(organisation, "one", "on_track")
    two = indicator(organisation, "two", "off_track")
    made = node(organisation, "outcome", "Measured", indicators=[(one, 1)])
    row = selectors.node_by_id(organisation=organisation, pk=made.pk)
    assert [m.indicator.code for m in row.measures.all()] == ["one"]

    services.update_node(node=row, data={"indicators": [(two, 1)]})

    assert [m.indicator.code for m in row.measures.all()] == ["two"]
    assert row.status == "off_track"


def test_linking_and_unlinking_refresh_the_target_in_the_database_and_in_hand(organisation, quote):
    one = indicator(organisation, "one", "at_risk")
    outcome = node(organisation, "outcome", "Price on the page")
    output = node(organisation, "output", "Live", quote, indicators=[(one, 1)])
    assert (outcome.status, outcome.status_source) == ("no_data", "none")

    services.link_nodes(source=output, target=outcome)
    assert (outcome.status, outcome.score, outcome.status_source) == (
        "at_risk",
        0.75,
        "contributors",
    )
    assert stored(outcome).status == "at_risk"

    services.unlink_nodes(source=output, target=outcome)
    assert (outcome.status, outcome.status_source) == ("no_data", "none")
    assert stored(outcome).status == "no_data"


def test_unlinking_an_arrow_that_does_not_exist_is_refused_naming_both_nodes(organisation, quote):
    outcome = node(organisation, "outcome", "Price on the page")
    output = node(organisation, "output", "Live", quote)
    other = node(organisation, "outcome", "Other")
    node(organisation, "activity", "Launch", quote, contributes_to=[output])
    services.link_nodes(source=output, target=other)

    with pytest.raises(ValidationError) as excinfo:
        services.unlink_nodes(source=output, target=outcome)

    assert errors_of(excinfo) == {
        "contributes_to": [
            "“Live” does not contribute to “Price on the page”: there is no arrow to remove."
        ]
    }
    assert ChainLink.objects.count() == 2


def test_moving_a_link_refreshes_the_old_target_and_the_new_one(organisation, quote):
    one = indicator(organisation, "one", "on_track")
    old = node(organisation, "outcome", "Old target")
    new = node(organisation, "outcome", "New target")
    output = node(
        organisation, "output", "Live", quote, indicators=[(one, 1)], contributes_to=[old]
    )
    assert stored(old).status == "on_track"

    services.update_node(node=output, data={"contributes_to": [new]})

    assert (stored(old).status, stored(old).status_source) == ("no_data", "none")
    assert (stored(new).status, stored(new).status_source) == ("on_track", "contributors")


def test_changing_an_activitys_indicators_refreshes_every_node_above_it(organisation, quote):
    on = indicator(organisation, "on", "on_track")
    off = indicator(organisation, "off", "off_track")
    impact = node(organisation, "impact", "Premium revenue")
    outcome = node(organisation, "outcome", "Price on the page", contributes_to=[impact])
    output = node(organisation, "output", "Live", quote, contributes_to=[outcome])
    activity = node(
        organisation, "activity", "Launch", quote, indicators=[(on, 1)], contributes_to=[output]
    )
    assert {n.status for n in ChainNode.objects.all()} == {"on_track"}

    services.update_node(node=activity, data={"indicators": [(off, 1)]})

    assert {n.title: n.status for n in ChainNode.objects.all()} == {
        "Premium revenue": "off_track",
        "Price on the page": "off_track",
        "Live": "off_track",
        "Launch": "off_track",
    }


def test_reading_the_chain_recomputes_no_status(organisation, quote, monkeypatch):
    one = indicator(organisation, "one", "on_track")
    outcome = node(organisation, "outcome", "Price on the page", indicators=[(one, 1)])
    node(organisation, "output", "Live", quote, contributes_to=[outcome])

    def no_rollup(**kwargs):
        raise AssertionError("a read recomputed the status")

    monkeypatch.setattr("outcomes.services.status.chain_rollup", no_rollup)
    monkeypatch.setattr("outcomes.services.status.indicator_statuses", no_rollup)

    chain = selectors.chain(organisation=organisation)
    assert {n.title: n.status for n in chain.nodes} == {
        "Live": "no_data",
        "Price on the page": "on_track",
    }
    assert selectors.node_by_id(organisation=organisation, pk=outcome.pk).status == "on_track"
    assert selectors.status_counts(organisation=organisation)["outcome"]["on_track"] == 1


# --- two edits at once (PostgreSQL) ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_edits_of_one_chain_at_once_both_succeed_without_a_deadlock(
    organisation, quote, monkeypatch
):
    """Each edit writes its node, then refreshes the chain (which locks every node in id order).
    Writing first and locking the rest after would deadlock two edits of different nodes; the
    chain lock taken before anything else makes the second wait for the first instead."""
    first = node(organisation, "outcome", "First")
    second = node(organisation, "outcome", "Second")
    both_saved = threading.Barrier(2, timeout=1.5)
    real_refresh = nodes_module.refresh_chain_status

    def refresh_when_both_saved(**kwargs):
        # Without the chain lock both get here, each holding its node; with it, the other edit
        # waits for this one to commit and the barrier times out.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_saved.wait()
        return real_refresh(**kwargs)

    monkeypatch.setattr(nodes_module, "refresh_chain_status", refresh_when_both_saved)
    failures = []

    def edit(node_, title):
        try:
            services.update_node(node=node_, data={"title": title})
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    # The later node's edit starts first: it locks a row the other one's refresh needs first.
    threads = [
        threading.Thread(target=edit, args=(second, "Second, renamed")),
        threading.Thread(target=edit, args=(first, "First, renamed")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert set(ChainNode.objects.values_list("title", flat=True)) == {
        "First, renamed",
        "Second, renamed",
    }
