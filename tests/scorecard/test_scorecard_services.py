"""Scorecard writes: the nested create, the parts' writes, and every bad input of the issue
refused with a ValidationError naming the field, nothing half-saved and the caller's instance
left as it came."""

import math

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from accounts.services import create_user
from outcomes.services import create_initiative
from scorecard import services
from scorecard.models import (
    Measure,
    Objective,
    ObjectiveLink,
    Perspective,
    Score,
    Scorecard,
)
from scorecard.services import scorecards as scorecards_module
from tests.scorecard.scoring_data import JAN, indicator, objective, push

pytestmark = pytest.mark.django_db

MODELS = (Scorecard, Perspective, Objective, Measure, ObjectiveLink, Score)


def counts() -> tuple:
    return tuple(model.objects.count() for model in MODELS)


def refused(call, **kwargs) -> dict:
    """The error dict of a refused call (it must be refused)."""
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


@pytest.fixture
def codes(organisation):
    return {
        code: indicator(organisation, code)
        for code in ("fast_quote", "nps", "renewal", "engine_up", "training")
    }


def nested(codes, **more) -> dict:
    """Four perspectives, keyed objectives with links learning -> internal -> customer ->
    financial."""
    return {
        "name": "Company",
        "perspectives": [
            {
                "kind": "financial",
                "objectives": [objective("Premium", (codes["renewal"], 1.0), key="premium")],
            },
            {
                "kind": "customer",
                "weight": 2.0,
                "objectives": [
                    objective(
                        "Price",
                        (codes["fast_quote"], 2.0),
                        (codes["nps"], 1.0),
                        key="price",
                        voice="I get a price while I am still on the page",
                        contributes_to=["premium"],
                    )
                ],
            },
            {
                "kind": "internal",
                "objectives": [
                    objective(
                        "Engine", (codes["engine_up"], 1.0), key="engine", contributes_to=["price"]
                    )
                ],
            },
            {
                "kind": "learning",
                "objectives": [
                    objective(
                        "Agents", (codes["training"], 1.0), key="agents", contributes_to=["engine"]
                    )
                ],
            },
        ],
        **more,
    }


# --- nested create ------------------------------------------------------------------------------


def test_a_nested_create_saves_the_whole_tree_with_links(organisation, codes, analyst):
    initiative = create_initiative(organisation=organisation, data={"title": "Quote engine"})
    data = nested(codes, description="Ours", on_track_from=0.8, at_risk_from=0.5)
    engine = data["perspectives"][2]["objectives"][0]
    engine.update(owner=analyst, initiatives=[initiative])

    scorecard = services.create_scorecard(organisation=organisation, data=data)

    assert (scorecard.name, scorecard.description, scorecard.on_track_from) == (
        "Company",
        "Ours",
        0.8,
    )
    perspectives = list(scorecard.perspectives.all())
    assert [(p.kind, p.position, p.weight) for p in perspectives] == [
        ("financial", 0, 1.0),
        ("customer", 1, 2.0),
        ("internal", 2, 1.0),
        ("learning", 3, 1.0),
    ]
    price = Objective.objects.get(title="Price")
    assert price.voice.startswith("I get a price")
    assert [(m.indicator.code, m.weight) for m in price.measures.all()] == [
        ("fast_quote", 2.0),
        ("nps", 1.0),
    ]
    saved_engine = Objective.objects.get(title="Engine")
    assert saved_engine.owner == analyst
    assert list(saved_engine.initiatives.all()) == [initiative]
    titles = dict(Objective.objects.values_list("pk", "title"))
    assert sorted(
        (titles[s], titles[t]) for s, t in ObjectiveLink.objects.values_list("source", "target")
    ) == [("Agents", "Engine"), ("Engine", "Price"), ("Price", "Premium")]


def test_a_key_named_twice_in_contributes_to_is_one_link(organisation, codes):
    data = nested(codes)
    data["perspectives"][1]["objectives"][0]["contributes_to"] = ["premium", "premium"]

    services.create_scorecard(organisation=organisation, data=data)

    assert ObjectiveLink.objects.count() == 3


def test_a_create_scores_the_history_there_already_is(organisation, codes):
    push(organisation, {"renewal": {JAN: 50.0}})

    scorecard = services.create_scorecard(organisation=organisation, data=nested(codes))

    assert Score.objects.get(scorecard=scorecard, part="scorecard").score == 0.5


@pytest.mark.parametrize(
    ("preset", "kinds", "labels"),
    [
        (
            "business",
            ["financial", "customer", "internal", "learning"],
            ["Financial", "Customer", "Internal process", "Learning and growth"],
        ),
        (
            "public",
            ["customer", "financial", "internal", "learning"],
            ["Citizens", "Stewardship", "Internal process", "Learning and growth"],
        ),
    ],
)
def test_without_perspectives_the_preset_creates_its_four(organisation, preset, kinds, labels):
    scorecard = services.create_scorecard(
        organisation=organisation, data={"name": "Preset", "preset": preset}
    )

    perspectives = list(scorecard.perspectives.all())
    assert [p.kind for p in perspectives] == kinds
    assert [str(p.display_label) for p in perspectives] == labels


def test_a_perspectives_own_label_beats_the_presets(organisation):
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={"name": "Own", "perspectives": [{"kind": "customer", "label": "Members"}]},
    )

    assert scorecard.perspectives.get().display_label == "Members"


# --- bad input of the nested create: refused whole ----------------------------------------------


def broken(codes, where, value):
    """The nested payload with one value replaced; `where` is a path of keys and indexes."""
    data = nested(codes)
    target = data
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    return data


@pytest.mark.parametrize(
    ("where", "value", "key"),
    [
        (("perspectives", 1, "weight"), -1.0, "perspectives.1.weight"),
        (("perspectives", 1, "weight"), math.nan, "perspectives.1.weight"),
        (("perspectives", 1, "weight"), math.inf, "perspectives.1.weight"),
        (("perspectives", 1, "weight"), True, "perspectives.1.weight"),
        (("perspectives", 1, "weight"), "2", "perspectives.1.weight"),
        (
            ("perspectives", 1, "objectives", 0, "weight"),
            -0.5,
            "perspectives.1.objectives.0.weight",
        ),
        (
            ("perspectives", 1, "objectives", 0, "measures", 1, "weight"),
            -2.0,
            "perspectives.1.objectives.0.measures.1.weight",
        ),
        (("perspectives", 1, "objectives", 0, "title"), "  ", "perspectives.1.objectives.0.title"),
        (("perspectives", 1, "objectives", 0, "voice"), None, "perspectives.1.objectives.0.voice"),
        (
            ("perspectives", 1, "objectives", 0, "position"),
            -1,
            "perspectives.1.objectives.0.position",
        ),
        (("perspectives", 2, "kind"), "customer", "perspectives.2.kind"),
        (("perspectives", 2, "kind"), "citizens", "perspectives.2.kind"),
        (("perspectives", 2, "kind"), None, "perspectives.2.kind"),
        (("perspectives", 2, "label"), "x" * 101, "perspectives.2.label"),
        (
            ("perspectives", 2, "objectives", 0, "contributes_to"),
            ["nowhere"],
            "perspectives.2.objectives.0.contributes_to",
        ),
        (("perspectives", 3, "objectives", 0, "key"), "premium", "perspectives.3.objectives.0.key"),
        (("name",), "", "name"),
        (("period",), "fortnight", "period"),
        (("scope",), "galaxy", "scope"),
        (("preset",), "military", "preset"),
        (("on_track_from",), 1.5, "on_track_from"),
        (("at_risk_from",), 0.95, "at_risk_from"),  # above on_track_from 0.9
        (("max_measures_per_objective",), 0, "max_measures_per_objective"),
        (("generic_phrases",), "keep customers longer", "generic_phrases"),
    ],
)
def test_a_bad_value_is_refused_under_its_nested_key_and_nothing_is_saved(
    organisation, codes, where, value, key
):
    before = counts()

    errors = refused(
        services.create_scorecard, organisation=organisation, data=broken(codes, where, value)
    )

    assert key in errors, errors
    assert counts() == before


def test_all_zero_weights_are_refused_at_each_level(organisation, codes):
    data = nested(codes)
    for perspective in data["perspectives"]:
        perspective["weight"] = 0.0
    price = data["perspectives"][1]["objectives"][0]
    for measure in price["measures"]:
        measure["weight"] = 0
    data["perspectives"][2]["objectives"][0]["weight"] = 0.0

    errors = refused(services.create_scorecard, organisation=organisation, data=data)

    assert set(errors) >= {
        "perspectives",
        "perspectives.1.objectives.0.measures",
        "perspectives.2.objectives",
    }
    assert counts() == (0,) * len(MODELS)


def test_one_zero_weight_among_others_is_fine(organisation, codes):
    data = nested(codes)
    data["perspectives"][1]["objectives"][0]["measures"][0]["weight"] = 0.0

    services.create_scorecard(organisation=organisation, data=data)

    assert Measure.objects.get(indicator=codes["fast_quote"]).weight == 0.0


def test_another_organisations_indicator_initiative_or_owner_is_refused(
    organisation, other_organisation, codes
):
    theirs = indicator(other_organisation, "fast_quote")
    their_initiative = create_initiative(organisation=other_organisation, data={"title": "X"})
    stranger = create_user(
        organisation=other_organisation, username="olga", role=Role.ANALYST, password="pw-12345!"
    )
    data = nested(codes)
    price = data["perspectives"][1]["objectives"][0]
    price["measures"][0]["indicator"] = theirs
    price["initiatives"] = [their_initiative]
    price["owner"] = stranger

    errors = refused(services.create_scorecard, organisation=organisation, data=data)

    at = "perspectives.1.objectives.0"
    assert {f"{at}.measures.0.indicator", f"{at}.initiatives.0", f"{at}.owner"} <= set(errors)
    assert counts() == (0,) * len(MODELS)


def test_the_same_indicator_twice_on_one_objective_is_refused(organisation, codes):
    data = nested(codes)
    data["perspectives"][1]["objectives"][0]["measures"][1]["indicator"] = codes["fast_quote"]

    errors = refused(services.create_scorecard, organisation=organisation, data=data)

    assert "perspectives.1.objectives.0.measures.1.indicator" in errors


@pytest.mark.parametrize("premium_to", [["agents"], ["premium"]], ids=["long-cycle", "to-itself"])
def test_a_cycle_of_links_is_refused(organisation, codes, premium_to):
    data = nested(codes)
    data["perspectives"][0]["objectives"][0]["contributes_to"] = premium_to

    errors = refused(services.create_scorecard, organisation=organisation, data=data)

    assert "cycle" in errors["links"][0]
    assert counts() == (0,) * len(MODELS)


def test_a_failure_while_saving_leaves_nothing_and_the_instance_unsaved(
    organisation, codes, monkeypatch
):
    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(scorecards_module, "refresh_scores", fail)

    with pytest.raises(RuntimeError):
        services.create_scorecard(organisation=organisation, data=nested(codes))

    assert counts() == (0,) * len(MODELS)


# --- the scorecard's settings ------------------------------------------------------------------


@pytest.fixture
def scorecard(organisation, codes):
    return services.create_scorecard(organisation=organisation, data=nested(codes))


def test_refused_settings_leave_the_row_and_the_instance_as_they_were(scorecard):
    errors = refused(
        services.update_scorecard,
        scorecard=scorecard,
        data={"name": "New", "on_track_from": 0.5, "at_risk_from": 0.7},
    )

    assert "at_risk_from" in errors
    assert (scorecard.name, scorecard.on_track_from) == ("Company", 0.9)
    scorecard.refresh_from_db()
    assert (scorecard.name, scorecard.on_track_from) == ("Company", 0.9)


def test_deleting_a_scorecard_deletes_its_parts_and_history(organisation, scorecard):
    push(organisation, {"renewal": {JAN: 50.0}})
    services.refresh_scores(scorecard=scorecard)
    assert Score.objects.exists()

    services.delete_scorecard(scorecard=scorecard)

    assert counts() == (0,) * len(MODELS)


# --- parts -------------------------------------------------------------------------------------


def test_a_second_perspective_of_a_kind_or_an_unknown_kind_is_refused(scorecard):
    before = counts()

    assert "kind" in refused(
        services.create_perspective, scorecard=scorecard, data={"kind": "customer"}
    )
    assert "kind" in refused(
        services.create_perspective, scorecard=scorecard, data={"kind": "social"}
    )
    customer = scorecard.perspectives.get(kind="customer")
    assert "kind" in refused(
        services.update_perspective, perspective=customer, data={"kind": "internal"}
    )
    assert counts() == before
    customer.refresh_from_db()
    assert customer.kind == "customer"


def test_a_perspective_is_added_after_the_others(organisation):
    scorecard = services.create_scorecard(
        organisation=organisation, data={"name": "Two", "perspectives": [{"kind": "customer"}]}
    )

    added = services.create_perspective(scorecard=scorecard, data={"kind": "learning"})

    assert added.position == 1


def test_a_refused_perspective_weight_restores_the_instance(scorecard):
    customer = scorecard.perspectives.get(kind="customer")

    assert "weight" in refused(
        services.update_perspective, perspective=customer, data={"weight": -1}
    )
    assert customer.weight == 2.0
    assert "position" in refused(
        services.update_perspective, perspective=customer, data={"position": -3}
    )
    assert customer.position == 1


def test_perspective_weights_cannot_all_become_zero(organisation):
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Z",
            "perspectives": [{"kind": "customer"}, {"kind": "internal", "weight": 0}],
        },
    )
    customer = scorecard.perspectives.get(kind="customer")

    assert "weight" in refused(
        services.update_perspective, perspective=customer, data={"weight": 0.0}
    )
    customer.refresh_from_db()
    assert customer.weight == 1.0


def test_an_objective_refused_for_a_foreign_initiative_is_not_created(
    scorecard, other_organisation
):
    theirs = create_initiative(organisation=other_organisation, data={"title": "Theirs"})
    internal = scorecard.perspectives.get(kind="internal")
    before = counts()

    errors = refused(
        services.create_objective,
        perspective=internal,
        data={"title": "New", "initiatives": [theirs]},
    )

    assert "initiatives" in errors
    assert counts() == before


def test_an_objective_update_refused_on_one_field_changes_nothing_else(
    scorecard, codes, other_organisation
):
    price = Objective.objects.get(title="Price")
    premium = Objective.objects.get(title="Premium")
    agents = Objective.objects.get(title="Agents")
    links = set(ObjectiveLink.objects.values_list("source", "target"))
    measures = list(Measure.objects.values_list("pk", "indicator", "weight"))

    # premium -> agents closes agents -> engine -> price -> premium
    errors = refused(
        services.update_objective,
        objective=premium,
        data={
            "title": "Premium grows",
            "measures": [(codes["renewal"], 5.0), (codes["nps"], 1.0)],
            "contributes_to": [agents],
        },
    )

    assert "cycle" in errors["contributes_to"][0]
    assert premium.title == "Premium"
    premium.refresh_from_db()
    assert premium.title == "Premium"
    assert set(ObjectiveLink.objects.values_list("source", "target")) == links
    assert list(Measure.objects.values_list("pk", "indicator", "weight")) == measures
    assert "measures" in refused(
        services.update_objective,
        objective=price,
        data={"measures": [(indicator(other_organisation, "theirs"), 1.0)]},
    )
    assert "weight" in refused(services.update_objective, objective=price, data={"weight": -1.0})
    assert price.weight == 1.0


def test_links_refuse_a_cycle_themselves_and_another_scorecard(organisation, scorecard, codes):
    premium = Objective.objects.get(title="Premium")
    agents = Objective.objects.get(title="Agents")
    other = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Other",
            "perspectives": [{"kind": "customer", "objectives": [{"title": "Far"}]}],
        },
    )
    far = Objective.objects.get(perspective__scorecard=other)

    assert (
        "cycle"
        in refused(services.link_objectives, source=premium, target=agents)["contributes_to"][0]
    )
    assert "contributes_to" in refused(services.link_objectives, source=premium, target=premium)
    assert "contributes_to" in refused(services.link_objectives, source=premium, target=far)
    assert ObjectiveLink.objects.count() == 3

    services.link_objectives(source=agents, target=premium)  # a shortcut is no cycle
    services.link_objectives(source=agents, target=premium)  # twice is once
    assert ObjectiveLink.objects.filter(source=agents).count() == 2
    services.unlink_objectives(source=agents, target=premium)
    assert ObjectiveLink.objects.filter(source=agents).count() == 1


def test_an_objective_cannot_move_to_another_scorecards_perspective(organisation, scorecard):
    other = services.create_scorecard(organisation=organisation, data={"name": "Other"})
    price = Objective.objects.get(title="Price")
    their_customer = other.perspectives.get(kind="customer")

    errors = refused(
        services.update_objective, objective=price, data={"perspective": their_customer}
    )

    assert "perspective" in errors
    price.refresh_from_db()
    assert price.perspective.scorecard_id == scorecard.pk


def test_an_objective_moves_inside_its_scorecard(scorecard):
    price = Objective.objects.get(title="Price")
    internal = scorecard.perspectives.get(kind="internal")

    services.update_objective(objective=price, data={"perspective": internal})

    assert Objective.objects.get(title="Price").perspective == internal


def test_an_owner_must_be_a_member(scorecard, other_organisation, analyst):
    stranger = create_user(
        organisation=other_organisation, username="olga", role=Role.ANALYST, password="pw-12345!"
    )
    price = Objective.objects.get(title="Price")

    assert "owner" in refused(services.update_objective, objective=price, data={"owner": stranger})
    services.update_objective(objective=price, data={"owner": analyst})
    assert Objective.objects.get(pk=price.pk).owner == analyst
    services.update_objective(objective=price, data={"owner": None})
    assert Objective.objects.get(pk=price.pk).owner is None


def test_measure_writes_keep_their_rules(scorecard, codes, other_organisation):
    price = Objective.objects.get(title="Price")
    quote, nps = price.measures.order_by("position")

    assert "weight" in refused(services.update_measure, measure=quote, weight=-1.0)
    services.update_measure(measure=quote, weight=0.0)
    # both 0 would leave the objective unscorable
    assert "weight" in refused(services.update_measure, measure=nps, weight=0.0)
    assert "measures" in refused(
        services.add_measure, objective=price, indicator=codes["nps"], weight=1.0
    )
    assert "measures" in refused(
        services.add_measure,
        objective=price,
        indicator=indicator(other_organisation, "theirs"),
    )
    assert [(m.pk, m.weight) for m in price.measures.order_by("position")] == [
        (quote.pk, 0.0),
        (nps.pk, 1.0),
    ]


def test_updating_a_measure_keeps_its_id(scorecard):
    quote = Objective.objects.get(title="Price").measures.get(indicator__code="fast_quote")

    updated = services.update_measure(measure=quote, weight=4.0)

    assert updated.pk == quote.pk
    assert Measure.objects.get(pk=quote.pk).weight == 4.0


def test_removing_a_measure_keeps_the_others_in_order(scorecard, codes):
    price = Objective.objects.get(title="Price")
    services.add_measure(objective=price, indicator=codes["training"], weight=1.0)
    quote, nps, training = price.measures.order_by("position")

    services.remove_measure(measure=nps)

    assert [(m.pk, m.position) for m in price.measures.order_by("position")] == [
        (quote.pk, 0),
        (training.pk, 1),
    ]


def test_deleting_parts_deletes_their_children_and_links(scorecard):
    engine = Objective.objects.get(title="Engine")

    services.delete_objective(objective=engine)

    assert not ObjectiveLink.objects.filter(source=engine.pk).exists()
    assert not ObjectiveLink.objects.filter(target=engine.pk).exists()
    assert not Measure.objects.filter(objective=engine.pk).exists()
    services.delete_perspective(perspective=scorecard.perspectives.get(kind="customer"))
    assert not Objective.objects.filter(title="Price").exists()
    assert ObjectiveLink.objects.count() == 0


def test_a_decimal_weight_is_a_number_and_a_decimal_nan_is_not(scorecard):
    from decimal import Decimal

    customer = scorecard.perspectives.get(kind="customer")

    services.update_perspective(perspective=customer, data={"weight": Decimal("1.5")})
    assert scorecard.perspectives.get(kind="customer").weight == 1.5
    for bad in (Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")):
        assert "weight" in refused(
            services.update_perspective, perspective=customer, data={"weight": bad}
        )
    services.update_scorecard(scorecard=scorecard, data={"on_track_from": Decimal("0.8")})
    scorecard.refresh_from_db()
    assert scorecard.on_track_from == 0.8


def test_a_new_objective_goes_after_its_siblings_and_is_scored(organisation, scorecard, codes):
    push(organisation, {"training": {JAN: 25.0}})
    learning = scorecard.perspectives.get(kind="learning")

    added = services.create_objective(
        perspective=learning,
        data={"title": "Coaches", "measures": [(codes["training"], 1.0)]},
    )

    assert added.position == 1
    assert Score.objects.get(part="objective", part_id=added.pk).score == 0.25
