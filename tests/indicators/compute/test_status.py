"""indicator_status: every branch of the rule, with inputs worked out from the scoring rules."""

import pytest

from indicators.compute.scoring import assessment, band_position, progress
from indicators.compute.status import (
    AT_RISK,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    STATUSES,
    indicator_status,
)


def status_of(value, *, baseline=None, target=None, low=None, high=None, direction):
    """The status of `value` as a stored period value would give it (compute.scoring)."""
    return indicator_status(
        value=value,
        assessment=assessment(band_position(value, low, high), direction),
        progress=progress(value, baseline, target),
    )


def test_no_value_is_no_data_whatever_else_is_known():
    assert indicator_status(value=None, assessment="worse", progress=1.0) == NO_DATA
    assert indicator_status(value=None, assessment=None, progress=None) == NO_DATA


def test_a_value_outside_the_band_on_the_worse_side_is_off_track_even_at_target():
    # Quote time, lower is better: 38 s reaches the 40 s target (progress 1) but the band
    # 20..35 s says worse.
    assert progress(38, 60, 40) == 1.0
    assert status_of(38, baseline=60, target=40, low=20, high=35, direction="lower_is_better") == (
        OFF_TRACK
    )


@pytest.mark.parametrize(
    ("value", "expected_progress", "status"),
    [
        (40.0, 1.0, ON_TRACK),  # at target
        (42.0, 0.9, ON_TRACK),  # (42 - 60) / (40 - 60) = 0.9: the on-track threshold itself
        (42.2, 0.89, AT_RISK),  # just below it
        (45.0, 0.75, AT_RISK),
        (48.0, 0.6, AT_RISK),  # (48 - 60) / -20 = 0.6: the at-risk threshold itself
        (48.2, 0.59, OFF_TRACK),  # just below it
        (60.0, 0.0, OFF_TRACK),  # still at the baseline
        (70.0, 0.0, OFF_TRACK),  # worse than the baseline: progress clamps to 0
    ],
)
def test_progress_to_target_decides_between_on_track_at_risk_and_off_track(
    value, expected_progress, status
):
    # Baseline 60 s, target 40 s, lower is better, no band.
    assert progress(value, 60, 40) == pytest.approx(expected_progress)
    assert status_of(value, baseline=60, target=40, direction="lower_is_better") == status


def test_progress_decides_even_inside_the_band_or_on_its_better_side():
    # Higher is better, baseline 50, target 90, band 55..70: 66 is within the band,
    # 75 above it (better), but their progress 0.4 and 0.625 fall short.
    common = {"baseline": 50, "target": 90, "low": 55, "high": 70, "direction": "higher_is_better"}
    assert status_of(66, **common) == OFF_TRACK
    assert status_of(75, **common) == AT_RISK


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (30.0, ON_TRACK),  # within 20..35: expected
        (15.0, ON_TRACK),  # below the band, lower is better: better
        (36.0, OFF_TRACK),  # above the band: worse
    ],
)
def test_without_progress_the_band_decides(value, status):
    # A band but no target (or no baseline): no progress to judge by.
    assert progress(value, None, 40) is None and progress(value, 60, None) is None
    assert status_of(value, target=40, low=20, high=35, direction="lower_is_better") == status
    assert status_of(value, baseline=60, low=20, high=35, direction="lower_is_better") == status


def test_a_value_with_neither_progress_nor_band_is_no_data():
    assert status_of(30.0, direction="higher_is_better") == NO_DATA
    # Stored period values say "" for no assessment.
    assert indicator_status(value=30.0, assessment="", progress=None) == NO_DATA


def test_a_target_equal_to_the_baseline_gives_no_progress_and_the_band_decides():
    assert progress(50, 50, 50) is None
    assert status_of(50, baseline=50, target=50, direction="in_range") == NO_DATA
    assert status_of(50, baseline=50, target=50, low=45, high=55, direction="in_range") == ON_TRACK


def test_the_thresholds_can_be_set_by_the_caller():
    assert indicator_status(value=1.0, assessment=None, progress=0.8) == AT_RISK
    assert (
        indicator_status(value=1.0, assessment=None, progress=0.8, on_track_from=0.75) == ON_TRACK
    )
    assert indicator_status(value=1.0, assessment=None, progress=0.5, at_risk_from=0.5) == AT_RISK


def test_every_status_is_one_of_the_four_of_the_contract():
    assert set(STATUSES) == {"on_track", "at_risk", "off_track", "no_data"}
