"""The customer-perspective rules are warnings, never refusals: each code on its own, and all of
them read from a stored scorecard by `scorecard_detail`."""

import pytest

from outcomes.services import create_initiative
from scorecard import selectors, services
from scorecard.compute import MeasureFacts, ObjectiveFacts, ScorecardFacts, Warning, warnings_of
from scorecard.models import Objective
from tests.scorecard.scoring_data import TODAY, indicator

KINDS = ("financial", "customer", "internal", "learning")
SAY = MeasureFacts(1, "NPS", "say")
DO = MeasureFacts(2, "Renewal rate", "do")
NEITHER = MeasureFacts(3, "Fast Quote", "")
VOICE = "I get a price while I am still on the page"


def codes(*objectives, kinds=KINDS, phrases=("keep customers longer",), max_measures=3):
    facts = ScorecardFacts(
        id=7,
        perspective_kinds=kinds,
        objectives=objectives,
        generic_phrases=phrases,
        max_measures=max_measures,
    )
    return [(w.code, w.type, w.id) for w in warnings_of(facts)]


def customer(pk=1, *, title="Price on the page", voice=VOICE, measures=(SAY, DO), **more):
    return ObjectiveFacts(pk, title, "customer", voice=voice, measures=measures, **more)


def internal(pk=2, *, title="Quote engine always up", measures=(NEITHER,), **more):
    return ObjectiveFacts(pk, title, "internal", measures=measures, **more)


def test_a_good_scorecard_has_no_warnings():
    assert codes(customer(), internal(initiative_count=2)) == []


def test_no_customer_perspective_is_a_scorecard_warning():
    assert codes(internal(), kinds=("financial", "internal")) == [
        ("no_customer_perspective", "scorecard", 7)
    ]


def test_an_initiative_on_a_customer_objective_warns_but_not_on_internal_ones():
    assert codes(customer(initiative_count=1), internal(initiative_count=3)) == [
        ("initiative_on_customer_objective", "objective", 1)
    ]


@pytest.mark.parametrize("voice", ["", "   \n "])
def test_a_customer_objective_without_a_voice_statement_warns(voice):
    assert codes(customer(voice=voice), internal(title="No voice needed here")) == [
        ("customer_objective_without_voice", "objective", 1)
    ]


def test_a_generic_customer_objective_warns_from_its_title_or_its_voice():
    assert codes(customer(title="Keep customers longer")) == [("generic_objective", "objective", 1)]
    assert codes(customer(voice="They keep customers longer, I guess")) == [
        ("generic_objective", "objective", 1)
    ]


def test_generic_phrases_are_read_in_customer_objectives_only():
    # "grow market share" is a fine financial objective
    financial = ObjectiveFacts(3, "Grow market share", "financial", measures=(NEITHER,))

    assert codes(financial, phrases=("grow market share",)) == []


def test_the_generic_warning_names_the_phrase_it_found():
    facts = ScorecardFacts(
        7, KINDS, (customer(title="Behålla kunderna längre!"),), ("behålla kunderna längre",)
    )

    (warning,) = warnings_of(facts)

    assert "behålla kunderna längre" in warning.message
    assert "Behålla kunderna längre!" in warning.message


def test_a_customer_objective_measured_only_by_say_or_only_by_do_warns():
    assert codes(customer(measures=(SAY, NEITHER))) == [("only_say_measures", "objective", 1)]
    assert codes(customer(measures=(DO,))) == [("only_do_measures", "objective", 1)]
    # internal objectives are not held to say and do
    assert codes(internal(measures=(SAY,))) == []
    # neither say nor do: no say/do warning (nothing to balance)
    assert codes(customer(measures=(NEITHER,))) == []


def test_more_measures_than_the_scorecard_allows_warns():
    four = (SAY, DO, NEITHER, MeasureFacts(4, "CSAT", "say"))

    assert codes(customer(measures=four[:3])) == []
    assert codes(customer(measures=four)) == [("too_many_measures", "objective", 1)]
    assert codes(customer(measures=four), max_measures=4) == []
    assert codes(customer(measures=(SAY, DO)), max_measures=1) == [
        ("too_many_measures", "objective", 1)
    ]


def test_an_objective_without_measures_warns():
    assert codes(internal(measures=())) == [("objective_without_measures", "objective", 2)]


def test_a_measure_that_cannot_score_warns_on_the_measure():
    broken = MeasureFacts(9, "Engine up", "", can_score=False)

    assert codes(internal(measures=(NEITHER, broken))) == [("measure_cannot_score", "measure", 9)]


def test_one_objective_can_break_several_rules_in_a_fixed_order():
    bad = customer(title="Keep customers longer", voice="", measures=(SAY,), initiative_count=1)

    assert [code for code, _type, _id in codes(bad, max_measures=0)] == [
        "initiative_on_customer_objective",
        "customer_objective_without_voice",
        "generic_objective",
        "only_say_measures",
        "too_many_measures",
    ]


def test_a_warning_as_a_dict_is_code_message_and_object():
    warning = Warning("generic_objective", "It is generic.", "objective", 12)

    assert warning.as_dict() == {
        "code": "generic_objective",
        "message": "It is generic.",
        "object": {"type": "objective", "id": 12},
    }


# --- from a stored scorecard --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_detail_warns_of_every_rule_the_stored_scorecard_breaks(organisation):
    nps = indicator(organisation, "nps", evidence="say", kind="kpi")
    csat = indicator(organisation, "csat", evidence="say", kind="kpi")
    renewal = indicator(organisation, "renewal", evidence="do", kind="kpi")
    no_target = indicator(organisation, "engine_up", target=None)
    no_baseline = indicator(organisation, "ftr", baseline=None)
    plain = [indicator(organisation, f"plain_{n}") for n in range(4)]
    initiative = create_initiative(organisation=organisation, data={"title": "Quote engine"})
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Breaks rules",
            "perspectives": [
                {
                    "kind": "customer",
                    "objectives": [
                        {
                            "title": "Keep customers longer",
                            "measures": [{"indicator": nps}, {"indicator": csat}],
                            "initiatives": [initiative],
                        },
                        {
                            "title": "Price on the page",
                            "voice": VOICE,
                            "measures": [{"indicator": nps}, {"indicator": renewal}],
                        },
                    ],
                },
                {
                    "kind": "internal",
                    "objectives": [
                        {"title": "Too many", "measures": [{"indicator": i} for i in plain]},
                        {
                            "title": "Unscorable",
                            "measures": [{"indicator": no_target}, {"indicator": no_baseline}],
                        },
                        {"title": "Unmeasured", "initiatives": [initiative]},
                    ],
                },
            ],
        },
    )
    ids = {o.title: o.pk for o in Objective.objects.filter(perspective__scorecard=scorecard)}
    unscorable = {
        m.indicator.code: m.pk
        for m in Objective.objects.get(pk=ids["Unscorable"]).measures.select_related("indicator")
    }

    detail = selectors.scorecard_detail(scorecard=scorecard, today=TODAY)

    assert [(w.code, w.type, w.id) for w in detail.warnings] == [
        ("initiative_on_customer_objective", "objective", ids["Keep customers longer"]),
        ("customer_objective_without_voice", "objective", ids["Keep customers longer"]),
        ("generic_objective", "objective", ids["Keep customers longer"]),
        ("only_say_measures", "objective", ids["Keep customers longer"]),
        ("too_many_measures", "objective", ids["Too many"]),
        ("measure_cannot_score", "measure", unscorable["engine_up"]),
        ("measure_cannot_score", "measure", unscorable["ftr"]),
        ("objective_without_measures", "objective", ids["Unmeasured"]),
    ]
    assert all(w.message for w in detail.warnings)


@pytest.mark.django_db
def test_the_scorecards_own_settings_change_its_warnings(organisation):
    plain = [indicator(organisation, f"plain_{n}") for n in range(2)]
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Settings",
            "perspectives": [
                {
                    "kind": "customer",
                    "objectives": [
                        {
                            "title": "Be the best insurer",
                            "voice": VOICE,
                            "measures": [{"indicator": i} for i in plain],
                        }
                    ],
                }
            ],
        },
    )

    def found():
        return [w.code for w in selectors.scorecard_detail(scorecard=scorecard).warnings]

    assert found() == []
    services.update_scorecard(
        scorecard=scorecard,
        data={"generic_phrases": ["be the best"], "max_measures_per_objective": 1},
    )
    assert found() == ["generic_objective", "too_many_measures"]
