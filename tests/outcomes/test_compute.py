"""The status rule of the results chain on worked examples (pure: no database).

Scores: on track 1, at risk 0.75, off track 0; stale and no data count as no data. Status of a
score: >= 0.9 on track, >= 0.6 at risk, else off track.
"""

import pytest

from indicators.compute.status import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, STALE
from outcomes.compute import (
    FROM_CONTRIBUTORS,
    FROM_INDICATORS,
    FROM_NOTHING,
    Rollup,
    chain_rollup,
    indicators_score,
    node_rollup,
    status_of_score,
    upward_closure,
    weighted_score,
)


def test_one_indicator_on_track_makes_its_node_on_track_with_score_one():
    assert node_rollup(own=[(ON_TRACK, 1.0)], contributor_scores=[]) == Rollup(
        ON_TRACK, 1.0, FROM_INDICATORS
    )


def test_weights_are_renormalised_over_the_indicators_that_have_data():
    # (2 x 1 + 1 x 0) / (2 + 1) = 2/3: the weight 5 without data counts for nothing.
    # Not renormalised it would be 2 / 8 = 0.25, off track.
    rollup = node_rollup(
        own=[(ON_TRACK, 2.0), (OFF_TRACK, 1.0), (NO_DATA, 5.0)], contributor_scores=[]
    )

    assert rollup.score == pytest.approx(2 / 3)
    assert rollup.status == AT_RISK
    assert rollup.source == FROM_INDICATORS


def test_a_stale_indicator_counts_as_no_data():
    # The stale one (weight 3) drops out: 1 x 0.75 / 1 = 0.75, at risk; counted as off track
    # or on track it would be 0.1875 or 0.9375.
    rollup = node_rollup(own=[(STALE, 3.0), (AT_RISK, 1.0)], contributor_scores=[])

    assert rollup == Rollup(AT_RISK, 0.75, FROM_INDICATORS)


def test_a_node_measured_only_by_at_risk_indicators_is_at_risk():
    assert node_rollup(own=[(AT_RISK, 1.0), (AT_RISK, 3.0)], contributor_scores=[]) == Rollup(
        AT_RISK, 0.75, FROM_INDICATORS
    )


def test_indicators_without_any_data_give_no_data_and_do_not_fall_back_to_contributors():
    rollup = node_rollup(own=[(NO_DATA, 1.0), (STALE, 2.0)], contributor_scores=[1.0, 1.0])

    assert rollup == Rollup(NO_DATA, None, FROM_INDICATORS)


def test_a_weight_of_zero_leaves_its_indicator_out():
    # On track with weight 0, off track with weight 1: 0 / 1 = 0.
    assert node_rollup(own=[(ON_TRACK, 0.0), (OFF_TRACK, 1.0)], contributor_scores=[]) == Rollup(
        OFF_TRACK, 0.0, FROM_INDICATORS
    )


def test_only_zero_weights_with_data_give_no_data():
    assert indicators_score([(ON_TRACK, 0.0), (NO_DATA, 1.0)]) is None


def test_one_on_track_and_one_off_track_of_equal_weight_are_off_track_together():
    rollup = node_rollup(own=[(ON_TRACK, 1.0), (OFF_TRACK, 1.0)], contributor_scores=[])

    assert rollup == Rollup(OFF_TRACK, 0.5, FROM_INDICATORS)


def test_three_on_track_and_one_off_track_are_at_risk():
    # (1 + 1 + 1 + 0) / 4 = 0.75
    rollup = node_rollup(own=[(ON_TRACK, 1.0)] * 3 + [(OFF_TRACK, 1.0)], contributor_scores=[])

    assert rollup == Rollup(AT_RISK, 0.75, FROM_INDICATORS)


def test_three_on_track_and_one_at_risk_are_on_track():
    # (1 + 1 + 1 + 0.75) / 4 = 0.9375
    rollup = node_rollup(own=[(ON_TRACK, 1.0)] * 3 + [(AT_RISK, 1.0)], contributor_scores=[])

    assert rollup == Rollup(ON_TRACK, 0.9375, FROM_INDICATORS)


def test_one_at_risk_weighing_as_much_as_two_on_track_is_at_risk():
    # (2 x 1 + 2 x 0.75) / 4 = 0.875
    rollup = node_rollup(own=[(ON_TRACK, 2.0), (AT_RISK, 2.0)], contributor_scores=[])

    assert rollup == Rollup(AT_RISK, 0.875, FROM_INDICATORS)


@pytest.mark.parametrize(
    "own",
    [
        # (0.3 x 1 + 0.3 x 0.75 + 0.15 x 1) / 0.75 = 0.675 / 0.75 = 0.9; plain float sums gave
        # 0.8999999999999999, at risk.
        [(ON_TRACK, 0.3), (AT_RISK, 0.3), (ON_TRACK, 0.15)],
        # (0.2 x 1 + 0.6 x 0.75 + 0.7 x 1) / 1.5 = 1.35 / 1.5 = 0.9
        [(ON_TRACK, 0.2), (AT_RISK, 0.6), (ON_TRACK, 0.7)],
        # (0.1 x 0 + 0.3 x 1 + 0.6 x 1) / 1.0 = 0.9
        [(OFF_TRACK, 0.1), (ON_TRACK, 0.3), (ON_TRACK, 0.6)],
    ],
)
def test_a_score_of_exactly_the_on_track_threshold_is_not_lost_to_float_rounding(own):
    rollup = node_rollup(own=own, contributor_scores=[])

    assert rollup.score == 0.9
    assert rollup.status == ON_TRACK


@pytest.mark.parametrize(
    "own",
    [
        # (0.6 x 1 + 0.4 x 0) / 1.0 = 0.6
        [(ON_TRACK, 0.6), (OFF_TRACK, 0.4)],
        # (0.1 x 0.75 + 0.2 x 0 + 0.7 x 0.75) / 1.0 = 0.6; plain float sums gave
        # 0.5999999999999999, off track.
        [(AT_RISK, 0.1), (OFF_TRACK, 0.2), (AT_RISK, 0.7)],
    ],
)
def test_a_score_of_exactly_the_at_risk_threshold_is_at_risk(own):
    assert node_rollup(own=own, contributor_scores=[]) == Rollup(AT_RISK, 0.6, FROM_INDICATORS)


@pytest.mark.parametrize(
    ("score", "status"),
    [
        (1.0, ON_TRACK),
        (0.9, ON_TRACK),
        (0.8999, AT_RISK),
        (0.6, AT_RISK),
        (0.5999, OFF_TRACK),
        (0.0, OFF_TRACK),
        (None, NO_DATA),
    ],
)
def test_a_score_maps_to_a_status_by_the_platform_thresholds(score, status):
    assert status_of_score(score) == status


def test_a_node_without_indicators_takes_the_mean_of_its_contributors_that_have_a_score():
    # (1 + 0.5) / 2 = 0.75: the contributor without a score is left out, not counted as 0
    # (which would give 0.5, off track).
    rollup = node_rollup(own=[], contributor_scores=[1.0, 0.5, None])

    assert rollup == Rollup(AT_RISK, 0.75, FROM_CONTRIBUTORS)


def test_a_node_whose_contributors_are_all_at_risk_is_at_risk():
    assert node_rollup(own=[], contributor_scores=[0.75, 0.75]) == Rollup(
        AT_RISK, 0.75, FROM_CONTRIBUTORS
    )


def test_contributors_without_any_score_give_no_data_from_contributors():
    assert node_rollup(own=[], contributor_scores=[None, None]) == Rollup(
        NO_DATA, None, FROM_CONTRIBUTORS
    )


def test_a_node_with_neither_indicators_nor_contributors_is_unmeasured():
    assert node_rollup(own=[], contributor_scores=[]) == Rollup(NO_DATA, None, FROM_NOTHING)


def test_weighted_score_renormalises_and_skips_missing_scores():
    # (0.5 x 2 + 1 x 2) / 4 = 0.75
    assert weighted_score([(0.5, 2.0), (None, 9.0), (1.0, 2.0)]) == 0.75
    assert weighted_score([]) is None


# A chain of seven nodes, ids by level:
#   activities 1 (on track), 2 (off track)  -> output 3 (no indicators)
#   output 3, outcome 4 (at risk), activity 1 (skipping two levels) -> impact 5 (no indicators)
#   outcome 6: no indicators, no contributors; impact 7 measured, no data
LEVELS = {
    1: "activity",
    2: "activity",
    3: "output",
    4: "outcome",
    5: "impact",
    6: "outcome",
    7: "impact",
}
OWN = {1: [(ON_TRACK, 1.0)], 2: [(OFF_TRACK, 1.0)], 4: [(AT_RISK, 1.0)], 7: [(NO_DATA, 1.0)]}
CONTRIBUTORS = {3: [1, 2], 5: [3, 4, 1]}


def test_the_chain_rolls_up_from_activities_to_impact():
    result = chain_rollup(levels=LEVELS, own=OWN, contributors=CONTRIBUTORS)

    assert result[1] == Rollup(ON_TRACK, 1.0, FROM_INDICATORS)
    assert result[2] == Rollup(OFF_TRACK, 0.0, FROM_INDICATORS)
    # output 3: (1 + 0) / 2 = 0.5
    assert result[3] == Rollup(OFF_TRACK, 0.5, FROM_CONTRIBUTORS)
    assert result[4] == Rollup(AT_RISK, 0.75, FROM_INDICATORS)
    # impact 5: (0.5 + 0.75 + 1) / 3 = 0.75
    assert result[5] == Rollup(AT_RISK, 0.75, FROM_CONTRIBUTORS)
    assert result[6] == Rollup(NO_DATA, None, FROM_NOTHING)
    assert result[7] == Rollup(NO_DATA, None, FROM_INDICATORS)


def test_the_chain_is_walked_by_level_whatever_the_order_of_the_ids():
    # The impact has the smallest id and the activities the largest.
    levels = {1: "impact", 2: "outcome", 3: "activity"}
    result = chain_rollup(levels=levels, own={3: [(ON_TRACK, 1.0)]}, contributors={1: [2], 2: [3]})

    assert result[1] == Rollup(ON_TRACK, 1.0, FROM_CONTRIBUTORS)


def test_a_partial_rollup_counts_contributors_outside_it_by_their_stored_rollup():
    # Only output 3 and impact 5 are refreshed; activity 1 and 2 are taken as stored (both
    # stored at risk, 0.75, though 1 has an on-track indicator now), outcome 4 as stored on
    # track (1.0).
    known = {
        1: Rollup(AT_RISK, 0.75, FROM_INDICATORS),
        2: Rollup(AT_RISK, 0.75, FROM_INDICATORS),
        4: Rollup(ON_TRACK, 1.0, FROM_INDICATORS),
    }
    result = chain_rollup(
        levels=LEVELS, own=OWN, contributors=CONTRIBUTORS, known=known, only={3, 5}
    )

    assert set(result) == {3, 5}
    # output 3: (0.75 + 0.75) / 2 = 0.75; impact 5: (0.75 + 1.0 + 0.75) / 3 = 5/6
    assert result[3] == Rollup(AT_RISK, 0.75, FROM_CONTRIBUTORS)
    assert result[5].score == pytest.approx(5 / 6)
    assert result[5].status == AT_RISK


def test_a_contributor_neither_refreshed_nor_known_counts_as_no_data():
    result = chain_rollup(levels=LEVELS, own=OWN, contributors=CONTRIBUTORS, only={3})

    assert result[3] == Rollup(NO_DATA, None, FROM_CONTRIBUTORS)


def test_the_upward_closure_holds_the_seeds_and_every_node_above_them():
    targets = {1: [3, 5], 2: [3], 3: [5], 4: [5], 6: []}

    assert upward_closure([2], targets) == {2, 3, 5}
    assert upward_closure([1, 4], targets) == {1, 3, 4, 5}
    assert upward_closure([6], targets) == {6}
    assert upward_closure([], targets) == set()
