"""Maturity: level k = the largest k such that the first k layers (impact, execution,
prerequisite, choice), in that order, each have an indicator on the scorecard with a value in
the latest complete period of its own period or the one before."""

from datetime import date

import pytest

from scorecard import selectors, services
from scorecard.compute import LAYER_ORDER, maturity, maturity_window
from tests.scorecard.scoring_data import APR, FEB, JAN, JUL, JUN, MAR, MAY, TODAY, indicator, push

# --- the pure rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measured", "level", "next_layer"),
    [
        (set(), 0, "impact"),
        ({"impact"}, 1, "execution"),
        ({"impact", "execution"}, 2, "prerequisite"),
        ({"impact", "execution", "prerequisite"}, 3, "choice"),
        ({"impact", "execution", "prerequisite", "choice"}, 4, None),
        # the gap: prerequisite measured, execution not: level 1, execution is next
        ({"impact", "prerequisite"}, 1, "execution"),
        ({"impact", "prerequisite", "choice"}, 1, "execution"),
        # no impact: nothing counts, however much else is measured
        ({"execution", "prerequisite", "choice"}, 0, "impact"),
        ({"impact", "execution", "choice"}, 2, "prerequisite"),
    ],
)
def test_the_level_counts_the_layers_in_order_up_to_the_first_missing_one(
    measured, level, next_layer
):
    found = maturity(measured)

    assert found.level == level
    assert found.next_layer == next_layer
    assert found.layers == {layer: layer in measured for layer in LAYER_ORDER}


def test_level_three_is_the_first_that_predicts_customer_behaviour():
    assert [maturity(LAYER_ORDER[:k]).predictive for k in range(5)] == [
        False,
        False,
        False,
        True,
        True,
    ]


def test_names_outside_the_four_layers_are_ignored():
    found = maturity(["impact", "", None, "vision"])

    assert found.level == 1
    assert set(found.layers) == set(LAYER_ORDER)


@pytest.mark.parametrize(
    ("period", "window"),
    [
        ("day", (date(2026, 7, 9), date(2026, 7, 8))),
        ("week", (date(2026, 6, 29), date(2026, 6, 22))),  # 10 July 2026 is a Friday
        ("month", (JUN, MAY)),
        ("quarter", (APR, JAN)),
        ("year", (date(2025, 1, 1), date(2024, 1, 1))),
    ],
)
def test_the_window_is_the_latest_complete_period_and_the_one_before(period, window):
    assert maturity_window(TODAY, period) == window


def test_on_the_first_day_of_a_period_the_one_just_ended_is_the_latest():
    assert maturity_window(JUL, "month") == (JUN, MAY)
    assert maturity_window(date(2026, 1, 1), "quarter") == (date(2025, 10, 1), date(2025, 7, 1))


# --- on a stored scorecard ----------------------------------------------------------------------


def layered(organisation, code, layer, **fields):
    return indicator(organisation, code, layer=layer, **fields)


def scorecard_of(organisation, *indicators):
    return services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Layers",
            "max_measures_per_objective": 20,
            "perspectives": [
                {
                    "kind": "customer",
                    "objectives": [
                        {
                            "title": "Measured",
                            "measures": [{"indicator": i} for i in indicators],
                        }
                    ],
                }
            ],
        },
    )


def level_of(scorecard, **read):
    read.setdefault("today", TODAY)
    return selectors.scorecard_detail(scorecard=scorecard, **read).maturity


@pytest.mark.django_db
def test_each_level_on_a_scorecard_from_its_indicators_values(organisation):
    codes = ("impact_i", "execution_i", "prerequisite_i", "choice_i")
    made = [layered(organisation, code, code.split("_")[0]) for code in codes]
    scorecard = scorecard_of(organisation, *made)
    assert level_of(scorecard).level == 0

    for count, code in enumerate(codes, start=1):
        push(organisation, {code: {JUN: 50.0}})
        found = level_of(scorecard)
        assert found.level == count
        assert found.next_layer == (LAYER_ORDER[count] if count < 4 else None)
    assert level_of(scorecard).predictive


@pytest.mark.django_db
def test_impact_and_prerequisite_without_execution_is_level_one(organisation):
    impact = layered(organisation, "renewal", "impact")
    execution = layered(organisation, "fast_quote", "execution")
    prerequisite = layered(organisation, "engine_up", "prerequisite")
    scorecard = scorecard_of(organisation, impact, execution, prerequisite)
    # execution was measured, but in March: too long ago on 10 July
    push(
        organisation, {"renewal": {JUN: 80.0}, "engine_up": {JUN: 99.0}, "fast_quote": {MAR: 40.0}}
    )

    found = level_of(scorecard)

    assert found.level == 1
    assert found.layers == {
        "impact": True,
        "execution": False,
        "prerequisite": True,
        "choice": False,
    }
    assert found.next_layer == "execution"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("month", "counts"),
    [(JUL, False), (JUN, True), (MAY, True), (APR, False)],
    ids=["this-month-incomplete", "latest-complete", "the-one-before", "two-before"],
)
def test_a_value_counts_in_the_latest_complete_period_or_the_one_before(
    organisation, month, counts
):
    scorecard = scorecard_of(organisation, layered(organisation, "renewal", "impact"))
    push(organisation, {"renewal": {month: 80.0}})

    assert level_of(scorecard).layers["impact"] is counts


@pytest.mark.django_db
def test_the_window_is_each_indicators_own_period(organisation):
    """A weekly indicator with a value early in June is old news on 10 July, though June is the
    scorecard's latest complete month; a monthly one with a May value is not."""
    impact = layered(organisation, "renewal", "impact")
    weekly = layered(organisation, "quote_weekly", "execution", period="week")
    scorecard = scorecard_of(organisation, impact, weekly)
    push(organisation, {"renewal": {MAY: 80.0}, "quote_weekly": {date(2026, 6, 16): 40.0}})

    assert level_of(scorecard).level == 1

    push(organisation, {"quote_weekly": {date(2026, 6, 23): 35.0}})  # the week of 22 June

    assert level_of(scorecard).level == 2


@pytest.mark.django_db
def test_a_value_without_a_target_still_measures_its_layer(organisation):
    impact = layered(organisation, "renewal", "impact", target=None)
    scorecard = scorecard_of(organisation, impact)
    push(organisation, {"renewal": {JUN: 80.0}})

    detail = selectors.scorecard_detail(scorecard=scorecard, today=TODAY)

    assert detail.maturity.level == 1
    assert detail.total.score is None  # measured, but nothing to score it against


@pytest.mark.django_db
def test_an_indicator_without_a_layer_measures_no_layer(organisation):
    scorecard = scorecard_of(organisation, layered(organisation, "plain", ""))
    push(organisation, {"plain": {JUN: 1.0}})

    assert level_of(scorecard).level == 0


@pytest.mark.django_db
def test_a_past_period_reads_the_maturity_of_that_time(organisation):
    impact = layered(organisation, "renewal", "impact")
    execution = layered(organisation, "fast_quote", "execution")
    scorecard = scorecard_of(organisation, impact, execution)
    push(organisation, {"renewal": {FEB: 80.0, JUN: 81.0}, "fast_quote": {MAR: 40.0}})

    assert level_of(scorecard).level == 1  # today: fast_quote's March value is old
    assert level_of(scorecard, period_start=MAR).level == 2  # March and February
    # April and March: fast_quote counts, renewal's February value does not, so nothing does
    april = level_of(scorecard, period_start=APR)
    assert (april.level, april.layers["execution"], april.next_layer) == (0, True, "impact")


@pytest.mark.django_db
def test_customer_centricity_counts_distinct_cpi_and_kpi_indicators(organisation):
    quote = indicator(organisation, "fast_quote", kind="cpi")
    ftr = indicator(organisation, "ftr", kind="cpi")
    nps = indicator(organisation, "nps", kind="kpi")
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Counts",
            "perspectives": [
                {
                    "kind": "customer",
                    "objectives": [
                        {"title": "A", "measures": [{"indicator": quote}, {"indicator": nps}]},
                        {"title": "B", "measures": [{"indicator": quote}, {"indicator": ftr}]},
                    ],
                }
            ],
        },
    )

    detail = selectors.scorecard_detail(scorecard=scorecard, today=TODAY)

    assert detail.customer_centricity == {"cpi": 2, "kpi": 1}
