"""Scores (DESIGN section 5) on hand-worked examples: measure = progress against target,
objective / perspective / scorecard = weighted means renormalised over the children that have
data; statuses by each scorecard's own thresholds; one stored score per part and period."""

import pytest

from indicators.compute.status import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK
from scorecard import selectors, services
from scorecard.compute import (
    MeasureNode,
    ObjectiveNode,
    PerspectiveNode,
    Tree,
    status_of_score,
    tree_scores,
)
from scorecard.models import Measure, Objective, Perspective, Score, Scorecard
from tests.scorecard.scoring_data import (
    APR,
    FEB,
    JAN,
    JUN,
    MAR,
    MAY,
    TODAY,
    indicator,
    objective,
    push,
)

# --- the pure rule ------------------------------------------------------------------------------


def small_tree() -> Tree:
    """Measures on indicators 1..7 (see test below for the progress of each)."""
    return Tree(
        1,
        (
            PerspectiveNode(
                10,
                2.0,
                (
                    ObjectiveNode(
                        100,
                        1.0,
                        (
                            MeasureNode(1000, 1, 2.0),
                            MeasureNode(1001, 2, 1.0),
                            MeasureNode(1002, 3, 3.0),
                        ),
                    ),
                    ObjectiveNode(101, 5.0, (MeasureNode(1010, 4, 1.0),)),
                ),
            ),
            PerspectiveNode(
                11,
                1.0,
                (
                    ObjectiveNode(110, 1.0, (MeasureNode(1100, 5, 1.0),)),
                    ObjectiveNode(111, 3.0, (MeasureNode(1110, 6, 1.0),)),
                ),
            ),
            PerspectiveNode(12, 4.0, (ObjectiveNode(120, 1.0, ()),)),
        ),
    )


def test_each_level_is_a_weighted_mean_renormalised_over_children_with_data():
    # indicator 3 and 4 have no progress (no value, or no target / baseline).
    scores = tree_scores(small_tree(), {1: 0.5, 2: 1.0, 5: 0.25, 6: 0.75, 7: 0.0})

    assert scores[("measure", 1000)] == 0.5
    assert scores[("measure", 1002)] is None
    # (2 * 0.5 + 1 * 1.0) / (2 + 1): measure 1002's weight 3 drops out
    assert scores[("objective", 100)] == pytest.approx(2 / 3)
    assert scores[("objective", 101)] is None
    # objective 101 (weight 5) has no data: perspective 10 is objective 100 alone
    assert scores[("perspective", 10)] == pytest.approx(2 / 3)
    # (1 * 0.25 + 3 * 0.75) / 4
    assert scores[("perspective", 11)] == pytest.approx(0.625)
    assert scores[("objective", 120)] is None
    assert scores[("perspective", 12)] is None
    # (2 * 2/3 + 1 * 0.625) / (2 + 1) = 47/72; perspective 12's weight 4 drops out
    assert scores[("scorecard", 1)] == pytest.approx(47 / 72)


def test_no_data_anywhere_is_no_score_not_zero():
    scores = tree_scores(small_tree(), {})

    assert set(scores.values()) == {None}
    assert scores[("scorecard", 1)] is None


def test_a_zero_score_is_data_and_pulls_the_mean_down():
    tree = Tree(
        1,
        (
            PerspectiveNode(
                10,
                1.0,
                (ObjectiveNode(100, 1.0, (MeasureNode(1000, 1, 1.0), MeasureNode(1001, 2, 1.0))),),
            ),
        ),
    )

    scores = tree_scores(tree, {1: 0.0, 2: 1.0})

    assert scores[("objective", 100)] == 0.5
    assert scores[("scorecard", 1)] == 0.5


def test_a_child_of_weight_zero_counts_for_nothing_and_alone_is_no_score():
    tree = Tree(
        1,
        (
            PerspectiveNode(
                10,
                1.0,
                (
                    ObjectiveNode(100, 1.0, (MeasureNode(1000, 1, 0.0), MeasureNode(1001, 2, 1.0))),
                    ObjectiveNode(101, 1.0, (MeasureNode(1010, 1, 0.0),)),
                ),
            ),
        ),
    )

    scores = tree_scores(tree, {1: 1.0, 2: 0.2})

    assert scores[("objective", 100)] == pytest.approx(0.2)
    assert scores[("objective", 101)] is None
    assert scores[("perspective", 10)] == pytest.approx(0.2)


def test_weights_that_make_exactly_the_threshold_are_on_track():
    # 0.1 * 0 + 0.2 * 1 + 0.7 * 1 over 1.0 is 0.8999999999999999 in plain float arithmetic.
    assert (0.1 * 0 + 0.2 * 1 + 0.7 * 1) / (0.1 + 0.2 + 0.7) < 0.9
    tree = Tree(
        1,
        (
            PerspectiveNode(
                10,
                1.0,
                (
                    ObjectiveNode(
                        100,
                        1.0,
                        (MeasureNode(1, 1, 0.1), MeasureNode(2, 2, 0.2), MeasureNode(3, 3, 0.7)),
                    ),
                ),
            ),
        ),
    )

    score = tree_scores(tree, {1: 0.0, 2: 1.0, 3: 1.0})[("objective", 100)]

    assert score == 0.9
    assert status_of_score(score) == ON_TRACK


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (None, NO_DATA),
        (0.0, OFF_TRACK),
        (0.5999, OFF_TRACK),
        (0.6, AT_RISK),
        (0.8999, AT_RISK),
        (0.9, ON_TRACK),
        (1.0, ON_TRACK),
    ],
)
def test_default_thresholds_are_point_nine_and_point_six_inclusive(score, expected):
    assert status_of_score(score) == expected


@pytest.mark.parametrize(
    ("score", "expected"), [(0.49, OFF_TRACK), (0.5, AT_RISK), (0.79, AT_RISK), (0.8, ON_TRACK)]
)
def test_a_scorecards_own_thresholds_move_the_statuses(score, expected):
    assert status_of_score(score, on_track_from=0.8, at_risk_from=0.5) == expected


# --- stored history from real values ------------------------------------------------------------
#
# Progress by month, hand-worked (clamp((v - baseline) / (target - baseline), 0, 1)):
#   revenue (baseline 100, target 200):  Jan 150 -> 0.5   Feb 250 -> 1 (clamped)   Apr 120 -> 0.2
#   quote (baseline 90 s, target 30 s):  Jan 45 -> 0.75   Mar 30 -> 1              Apr 100 -> 0
#   nps (baseline 0, target 50):         Jan 25 -> 0.5    Feb 40 -> 0.8
#   uptime (no target: never scores):    Jan 95, May 97
# Structure: financial (weight 1): "Premium" <- revenue; customer (weight 2): "Price" (1) <-
# quote (2) + nps (1), "Unmeasured" (3) <- nothing; internal (1): "Up" <- uptime; learning: none.

REVENUE = {JAN: 150.0, FEB: 250.0, APR: 120.0}
QUOTE = {JAN: 45.0, MAR: 30.0, APR: 100.0}
NPS = {JAN: 25.0, FEB: 40.0}
UPTIME = {JAN: 95.0, MAY: 97.0}


@pytest.fixture
def indicators(organisation):
    return {
        "revenue": indicator(organisation, "revenue", baseline=100.0, target=200.0, kind="kpi"),
        "quote": indicator(
            organisation, "quote", baseline=90.0, target=30.0, direction="lower_is_better"
        ),
        "nps": indicator(organisation, "nps", baseline=0.0, target=50.0, kind="kpi"),
        "uptime": indicator(organisation, "uptime", baseline=90.0, target=None),
    }


def build(organisation, found, **settings):
    return services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Company",
            **settings,
            "perspectives": [
                {"kind": "financial", "objectives": [objective("Premium", (found["revenue"], 1))]},
                {
                    "kind": "customer",
                    "weight": 2.0,
                    "objectives": [
                        objective("Price", (found["quote"], 2.0), (found["nps"], 1.0)),
                        objective("Unmeasured", weight=3.0),
                    ],
                },
                {"kind": "internal", "objectives": [objective("Up", (found["uptime"], 1))]},
                {"kind": "learning"},
            ],
        },
    )


@pytest.fixture
def scorecard(organisation, indicators):
    push(organisation, {"revenue": REVENUE, "quote": QUOTE, "nps": NPS, "uptime": UPTIME})
    return build(organisation, indicators)


def stored(scorecard) -> dict:
    return {
        (s.period_start, s.part, s.part_id): s.score
        for s in Score.objects.filter(scorecard=scorecard)
    }


def parts(scorecard) -> dict:
    objectives = {o.title: o for o in Objective.objects.filter(perspective__scorecard=scorecard)}
    perspectives = {p.kind: p for p in Perspective.objects.filter(scorecard=scorecard)}
    measures = {
        m.indicator.code: m for m in Measure.objects.filter(objective__in=objectives.values())
    }
    return {"o": objectives, "p": perspectives, "m": measures}


def expected_history(scorecard) -> dict:
    """Every stored score, worked by hand (see the table above)."""
    found = parts(scorecard)
    o, p, m = found["o"], found["p"], found["m"]
    price_jan = (2 * 0.75 + 1 * 0.5) / 3
    return {
        (JAN, "measure", m["revenue"].pk): 0.5,
        (JAN, "measure", m["quote"].pk): 0.75,
        (JAN, "measure", m["nps"].pk): 0.5,
        (JAN, "objective", o["Premium"].pk): 0.5,
        (JAN, "objective", o["Price"].pk): price_jan,
        (JAN, "perspective", p["financial"].pk): 0.5,
        (JAN, "perspective", p["customer"].pk): price_jan,
        (JAN, "scorecard", scorecard.pk): (0.5 + 2 * price_jan) / 3,
        (FEB, "measure", m["revenue"].pk): 1.0,
        (FEB, "measure", m["nps"].pk): 0.8,
        (FEB, "objective", o["Premium"].pk): 1.0,
        (FEB, "objective", o["Price"].pk): 0.8,  # nps alone: quote has no value
        (FEB, "perspective", p["financial"].pk): 1.0,
        (FEB, "perspective", p["customer"].pk): 0.8,
        (FEB, "scorecard", scorecard.pk): (1.0 + 2 * 0.8) / 3,
        (MAR, "measure", m["quote"].pk): 1.0,
        (MAR, "objective", o["Price"].pk): 1.0,
        (MAR, "perspective", p["customer"].pk): 1.0,
        (MAR, "scorecard", scorecard.pk): 1.0,  # customer alone
        (APR, "measure", m["revenue"].pk): 0.2,
        (APR, "measure", m["quote"].pk): 0.0,
        (APR, "objective", o["Premium"].pk): 0.2,
        (APR, "objective", o["Price"].pk): 0.0,
        (APR, "perspective", p["financial"].pk): 0.2,
        (APR, "perspective", p["customer"].pk): 0.0,
        (APR, "scorecard", scorecard.pk): 0.2 / 3,
        # May: only uptime, which has no target: no score at all
    }


@pytest.mark.django_db
def test_the_history_holds_one_score_per_part_and_period_that_has_data(scorecard):
    assert stored(scorecard) == pytest.approx(expected_history(scorecard))


@pytest.mark.django_db
def test_scored_periods_are_the_months_with_a_scorecard_score_newest_first(scorecard):
    assert selectors.scored_periods(scorecard=scorecard) == [APR, MAR, FEB, JAN]


@pytest.mark.django_db
def test_the_detail_reads_the_stored_scores_with_the_previous_period(scorecard):
    detail = selectors.scorecard_detail(scorecard=scorecard, period_start=FEB, today=TODAY)

    assert detail.period_start == FEB
    assert detail.previous_start == JAN
    assert detail.total.score == pytest.approx(2.6 / 3)
    assert detail.total.previous == pytest.approx((0.5 + 2 * (2 / 3)) / 3)
    assert detail.total.change == pytest.approx(2.6 / 3 - (0.5 + 2 * (2 / 3)) / 3)
    financial, customer, internal, learning = detail.perspectives
    assert [financial.score, customer.score, internal.score, learning.score] == pytest.approx(
        [1.0, 0.8, None, None]
    )
    price, unmeasured = customer.children
    assert [m.score for m in price.children] == [None, 0.8]  # quote has no February value
    assert [m.previous for m in price.children] == [0.75, 0.5]
    assert unmeasured.score is None and unmeasured.status == NO_DATA


@pytest.mark.django_db
def test_a_day_inside_a_period_asks_for_that_period(scorecard):
    detail = selectors.scorecard_detail(scorecard=scorecard, period_start=FEB.replace(day=17))

    assert detail.period_start == FEB


@pytest.mark.django_db
def test_without_a_period_the_detail_shows_the_latest_complete_one(scorecard):
    detail = selectors.scorecard_detail(scorecard=scorecard, today=MAY.replace(day=20))

    assert detail.period_start == APR
    assert detail.total.score == pytest.approx(0.2 / 3)
    assert detail.total.previous == 1.0


@pytest.mark.django_db
def test_statuses_follow_each_scorecards_own_thresholds(organisation, scorecard, indicators):
    # February's total is 0.8667: at risk by default, on track from 0.85.
    strict = selectors.scorecard_detail(scorecard=scorecard, period_start=FEB, today=TODAY)
    services.update_scorecard(
        scorecard=scorecard, data={"on_track_from": 0.85, "at_risk_from": 0.7}
    )
    lenient = selectors.scorecard_detail(scorecard=scorecard, period_start=FEB, today=TODAY)

    assert strict.total.status == AT_RISK
    assert lenient.total.status == ON_TRACK
    # customer 0.8: at risk either way; January's total 0.6111 drops to off track
    assert lenient.perspectives[1].status == AT_RISK
    january = selectors.scorecard_detail(scorecard=scorecard, period_start=JAN, today=TODAY)
    assert january.total.status == OFF_TRACK
    # thresholds read the stored scores: nothing is re-scored
    assert stored(scorecard) == pytest.approx(expected_history(scorecard))


@pytest.mark.django_db
def test_score_history_lists_each_part_oldest_first_over_the_last_periods(scorecard):
    history = selectors.score_history(scorecard=scorecard, end=APR, count=3)

    total = history[("scorecard", scorecard.pk)]
    assert [start for start, _score in total] == [FEB, MAR, APR]
    assert [score for _start, score in total] == pytest.approx([2.6 / 3, 1.0, 0.2 / 3])
    premium = parts(scorecard)["o"]["Premium"]
    assert history[("objective", premium.pk)] == [(FEB, 1.0), (APR, 0.2)]
    assert selectors.score_history(scorecard=scorecard, end=JUN, count=1) == {}


# --- structure edits re-score the history -------------------------------------------------------


@pytest.mark.django_db
def test_a_new_measure_weight_re_scores_every_period(scorecard):
    quote = parts(scorecard)["m"]["quote"]

    services.update_measure(measure=quote, weight=1.0)

    price = parts(scorecard)["o"]["Price"]
    history = stored(scorecard)
    assert history[(JAN, "objective", price.pk)] == pytest.approx((0.75 + 0.5) / 2)
    assert history[(JAN, "scorecard", scorecard.pk)] == pytest.approx((0.5 + 2 * 0.625) / 3)
    assert history[(FEB, "objective", price.pk)] == pytest.approx(0.8)  # nps alone still


@pytest.mark.django_db
def test_removing_a_measure_drops_its_history_and_re_scores_its_objective(scorecard):
    nps = parts(scorecard)["m"]["nps"]

    services.remove_measure(measure=nps)

    found = parts(scorecard)
    history = stored(scorecard)
    assert not Score.objects.filter(part="measure", part_id=nps.pk).exists()
    assert history[(JAN, "objective", found["o"]["Price"].pk)] == 0.75
    assert (FEB, "objective", found["o"]["Price"].pk) not in history
    assert history[(FEB, "scorecard", scorecard.pk)] == 1.0  # financial alone


@pytest.mark.django_db
def test_adding_a_measure_scores_it_and_keeps_the_other_measures_ids(scorecard, indicators):
    before = {code: m.pk for code, m in parts(scorecard)["m"].items()}
    premium = parts(scorecard)["o"]["Premium"]

    added = services.add_measure(objective=premium, indicator=indicators["nps"], weight=3.0)

    after = {code: m.pk for code, m in parts(scorecard)["m"].items()}
    assert after["revenue"] == before["revenue"]
    assert Measure.objects.filter(objective=premium).count() == 2
    history = stored(scorecard)
    assert history[(JAN, "measure", added.pk)] == 0.5
    # (1 * 0.5 + 3 * 0.5) / 4 in January, (1 * 1 + 3 * 0.8) / 4 in February
    assert history[(JAN, "objective", premium.pk)] == pytest.approx(0.5)
    assert history[(FEB, "objective", premium.pk)] == pytest.approx(3.4 / 4)


@pytest.mark.django_db
def test_a_perspective_weight_re_scores_the_scorecard(scorecard):
    customer = parts(scorecard)["p"]["customer"]

    services.update_perspective(perspective=customer, data={"weight": 1.0})

    assert stored(scorecard)[(FEB, "scorecard", scorecard.pk)] == pytest.approx(0.9)


@pytest.mark.django_db
def test_deleting_an_objective_or_perspective_drops_its_scores(scorecard):
    found = parts(scorecard)

    services.delete_objective(objective=found["o"]["Premium"])

    history = stored(scorecard)
    assert not any(key[1:] == ("objective", found["o"]["Premium"].pk) for key in history)
    assert (JAN, "perspective", found["p"]["financial"].pk) not in history
    assert history[(FEB, "scorecard", scorecard.pk)] == pytest.approx(0.8)

    services.delete_perspective(perspective=found["p"]["customer"])

    assert set(stored(scorecard)) == set()  # nothing left with a target


@pytest.mark.django_db
def test_a_new_period_re_scores_the_history_by_quarter(scorecard):
    services.update_scorecard(scorecard=scorecard, data={"period": "quarter"})

    q1, q2 = JAN, APR
    # Q1 means: revenue (150 + 250) / 2 = 200 -> 1; quote (45 + 30) / 2 = 37.5 -> 0.875;
    # nps (25 + 40) / 2 = 32.5 -> 0.65; "Price" = (2 * 0.875 + 0.65) / 3 = 0.8
    history = stored(scorecard)
    assert history[(q1, "scorecard", scorecard.pk)] == pytest.approx((1.0 + 2 * 0.8) / 3)
    assert history[(q2, "scorecard", scorecard.pk)] == pytest.approx(0.2 / 3)
    assert {key[0] for key in history} == {q1, q2}
    detail = selectors.scorecard_detail(scorecard=scorecard, today=TODAY)
    assert detail.period_start == q2


@pytest.mark.django_db
def test_renaming_an_objective_or_linking_it_does_not_re_score(scorecard):
    found = parts(scorecard)["o"]
    scored_at = Scorecard.objects.get(pk=scorecard.pk).scores_at

    services.update_objective(objective=found["Price"], data={"title": "A price on the page"})
    services.link_objectives(source=found["Price"], target=found["Premium"])

    assert Scorecard.objects.get(pk=scorecard.pk).scores_at == scored_at
    services.update_objective(objective=found["Price"], data={"weight": 2.0})
    assert Scorecard.objects.get(pk=scorecard.pk).scores_at > scored_at


@pytest.mark.django_db
def test_a_refresh_of_unchanged_values_writes_nothing(scorecard):
    assert services.refresh_scores(scorecard=scorecard) == 0
    assert stored(scorecard) == pytest.approx(expected_history(scorecard))


@pytest.mark.django_db
def test_refresh_costs_the_same_queries_whatever_the_number_of_measures(
    organisation, indicators, django_assert_max_num_queries
):
    push(organisation, {"revenue": REVENUE, "quote": QUOTE, "nps": NPS})
    small = build(organisation, indicators)
    many = [indicator(organisation, f"extra_{n}", baseline=0.0, target=10.0) for n in range(12)]
    push(organisation, {i.code: {JAN: float(n), FEB: 5.0} for n, i in enumerate(many)})
    big = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Big",
            "max_measures_per_objective": 50,
            "perspectives": [
                {
                    "kind": "customer",
                    "objectives": [
                        objective(f"O{n}", *((i, 1.0) for i in many[n::3])) for n in range(3)
                    ],
                },
            ],
        },
    )
    Score.objects.all().delete()
    with django_assert_max_num_queries(10) as small_queries:
        services.refresh_scores(scorecard=small)
    with django_assert_max_num_queries(len(small_queries)):
        services.refresh_scores(scorecard=big)
    assert Score.objects.filter(scorecard=big, part="measure").count() == 24
