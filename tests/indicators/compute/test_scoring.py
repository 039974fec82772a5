from datetime import date

import pytest

from indicators.compute.scoring import (
    assessment,
    band_position,
    in_force,
    progress,
    weighted_mean,
)


def test_progress_is_the_share_of_the_way_from_baseline_to_target():
    # baseline 40 %, target 60 %, value 45 %: 5 of the 20 points -> 0.25
    assert progress(45, 40, 60) == 0.25


def test_lower_is_better_progress_follows_the_sign_of_target_minus_baseline():
    # Fast Quote: baseline 60 s, target 20 s, value 30 s: 30 of the 40 seconds cut -> 0.75
    assert progress(30, 60, 20) == 0.75


@pytest.mark.parametrize(
    ("value", "expected"), [(10, 1.0), (70, 0.0), (20, 1.0), (60, 0.0), (40, 0.5)]
)
def test_progress_is_clamped_to_0_and_1(value, expected):
    assert progress(value, 60, 20) == expected


@pytest.mark.parametrize("args", [(None, 1, 2), (1, None, 2), (1, 0, None), (5, 3, 3)])
def test_progress_needs_all_inputs_and_a_target_away_from_the_baseline(args):
    assert progress(*args) is None


@pytest.mark.parametrize(
    ("value", "low", "high", "position"),
    [
        (4.9, 5, 10, "below"),
        (5, 5, 10, "within"),
        (10, 5, 10, "within"),
        (10.1, 5, 10, "above"),
        (-100, None, 10, "within"),
        (11, None, 10, "above"),
        (1000, 5, None, "within"),
        (4, 5, None, "below"),
        (None, 5, 10, None),
        (7, None, None, None),
    ],
)
def test_band_position_has_inclusive_bounds_and_open_missing_bounds(value, low, high, position):
    assert band_position(value, low, high) == position


@pytest.mark.parametrize(
    ("position", "direction", "expected"),
    [
        ("below", "higher_is_better", "worse"),
        ("within", "higher_is_better", "expected"),
        ("above", "higher_is_better", "better"),
        ("below", "lower_is_better", "better"),
        ("within", "lower_is_better", "expected"),
        ("above", "lower_is_better", "worse"),
        ("below", "in_range", "worse"),
        ("within", "in_range", "expected"),
        ("above", "in_range", "worse"),
        (None, "in_range", None),
    ],
)
def test_assessment_reads_the_band_position_in_the_indicators_direction(
    position, direction, expected
):
    assert assessment(position, direction) == expected


def test_assessment_rejects_unknown_words():
    with pytest.raises(ValueError, match="unknown direction"):
        assessment("below", "sideways")
    with pytest.raises(ValueError, match="unknown band position"):
        assessment("beside", "in_range")


def test_the_target_in_force_is_the_latest_one_set_on_or_before_the_day():
    targets = [(date(2026, 7, 1), 80.0), (date(2026, 1, 1), 60.0), (date(2026, 4, 1), 70.0)]
    assert in_force(targets, date(2025, 12, 31)) is None
    assert in_force(targets, date(2026, 1, 1)) == 60.0
    assert in_force(targets, date(2026, 6, 30)) == 70.0
    assert in_force(targets, date(2026, 7, 1)) == 80.0
    assert in_force(targets, date(2030, 1, 1)) == 80.0
    assert in_force([], date(2026, 1, 1)) is None


def test_on_equal_dates_the_later_entry_is_in_force():
    assert in_force([(date(2026, 1, 1), 1.0), (date(2026, 1, 1), 2.0)], date(2026, 2, 1)) == 2.0


def test_weighted_mean_renormalises_over_measures_with_data():
    # 0.5 * 2 + 1.0 * 1 over weights 3 (the unscored weight 5 drops out) -> 2 / 3
    assert weighted_mean([(0.5, 2), (1.0, 1), (None, 5)]) == pytest.approx(2 / 3)
    assert weighted_mean([(0.25, 1), (0.75, 1)]) == 0.5


def test_weighted_mean_without_data_or_weight_is_none():
    assert weighted_mean([]) is None
    assert weighted_mean([(None, 1), (None, 2)]) is None
    assert weighted_mean([(0.5, 0), (None, 2)]) is None


def test_weighted_mean_accepts_a_generator():
    assert weighted_mean((score, 1.0) for score in [0.2, 0.4, None]) == pytest.approx(0.3)
