from datetime import date, timedelta

import numpy as np
import pytest

from indicators.compute.spc import XmrLimits, series_chart, xmr_chart, xmr_limits, xmr_signals


def reference_signals(values: list[float]) -> list[str | None]:
    """Brute force: a point is in a run if some window of 8 containing it is all on one side."""
    x = np.asarray(values, dtype=float)
    centre = x.mean()
    spread = 2.66 * np.abs(np.diff(x)).mean()
    side = np.sign(x - centre)
    signals: list[str | None] = []
    for i, value in enumerate(x):
        if value > centre + spread:
            signals.append("above_limit")
        elif value < centre - spread:
            signals.append("below_limit")
        else:
            windows = [side[s : s + 8] for s in range(max(0, i - 7), min(i, len(x) - 8) + 1)]
            same = [w[0] for w in windows if len(w) == 8 and w[0] != 0 and (w == w[0]).all()]
            signals.append(({1.0: "run_above", -1.0: "run_below"}[same[0]]) if same else None)
    return signals


def test_limits_are_mean_plus_minus_2_66_mean_moving_ranges():
    values = [2.0, 2.5] * 5 + [3.5, 4.0] * 5
    # 18 moving ranges of 0.5 and one of 1.0 (2.5 -> 3.5): mean 10 / 19.
    limits = xmr_limits(values)
    assert limits == XmrLimits(
        centre=3.0,
        lower=pytest.approx(3.0 - 2.66 * 10 / 19),
        upper=pytest.approx(3.0 + 2.66 * 10 / 19),
        mean_moving_range=pytest.approx(10 / 19),
    )


def test_limits_match_numpy_on_irregular_data():
    values = [12.1, 9.8, 11.4, 15.0, 10.2, 8.7, 13.3, 12.0, 10.9]
    x = np.array(values)
    mr = np.abs(np.diff(x)).mean()
    assert xmr_limits(values) == XmrLimits(
        pytest.approx(x.mean()),
        pytest.approx(x.mean() - 2.66 * mr),
        pytest.approx(x.mean() + 2.66 * mr),
        pytest.approx(mr),
    )


def test_fewer_than_two_values_have_no_limits_and_no_signals():
    assert xmr_limits([]) is None
    assert xmr_limits([5.0]) is None
    assert xmr_signals([5.0]) == [None]
    assert xmr_signals([]) == []


def test_a_point_beyond_a_limit_is_a_signal():
    values = [10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 30.0]
    # centre 103 / 8 = 12.875; mean moving range (6 * 1 + 19) / 7; upper = 12.875 + 2.66 * 25 / 7
    assert 12.875 + 2.66 * 25 / 7 < 30.0
    # the first seven are below the centre, but seven in a row is not yet a run
    assert xmr_signals(values) == [None] * 7 + ["above_limit"]
    assert xmr_signals([-v for v in values]) == [None] * 7 + ["below_limit"]


def test_every_point_of_a_run_of_eight_or_more_is_marked():
    values = [2.0, 2.5] * 5 + [3.5, 4.0] * 5  # ten below the centre of 3, then ten above
    assert xmr_signals(values) == ["run_below"] * 10 + ["run_above"] * 10


def test_a_point_on_the_centre_breaks_a_run():
    low, high = [2.0, 2.5, 2.0, 2.5], [3.5, 4.0, 3.5, 4.0]
    on_centre = low + [3.0] + low + high + [3.0] + high  # centre 54 / 18 = 3
    assert xmr_limits(on_centre).centre == 3.0
    assert xmr_signals(on_centre) == [None] * 18
    # the same sum off the centre (2.25 + 3.75 = 3 + 3) joins the runs up into 9 + 9
    off_centre = low + [2.25] + low + high + [3.75] + high
    assert xmr_limits(off_centre).centre == 3.0
    assert xmr_signals(off_centre) == ["run_below"] * 9 + ["run_above"] * 9


def test_a_limit_signal_takes_precedence_inside_a_run():
    values = [1.0] * 3 + [-20.0] + [1.0] * 6 + [12.0] * 8
    signals = xmr_signals(values)
    assert signals[3] == "below_limit"
    assert signals[:3] + signals[4:10] == ["run_below"] * 9
    assert signals == reference_signals(values)


@pytest.mark.parametrize("seed", range(20))
def test_signals_match_a_brute_force_reference(seed):
    rng = np.random.default_rng(seed)
    values = (rng.normal(50, 5, 60) + np.repeat(rng.normal(0, 4, 6), 10)).round(1).tolist()
    assert xmr_signals(values) == reference_signals(values)


# -- baseline windows, phases and the 2-of-3 rule, against hand calculations ---------------------

WEEKS = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(14)]


def close(value: float):
    return pytest.approx(value, abs=1e-9)


def test_limits_of_a_fixed_series_equal_the_hand_calculation():
    values = [5.0, 7.0, 6.0, 8.0, 6.0, 5.0, 7.0, 6.0]
    # sum 50 over 8: centre 6.25; moving ranges 2, 1, 2, 2, 1, 2, 1 = 11 over 7
    limits = xmr_limits(values)
    assert limits.centre == close(6.25)
    assert limits.mean_moving_range == close(11 / 7)
    assert limits.lower == close(6.25 - 2.66 * 11 / 7)  # 2.07
    assert limits.upper == close(6.25 + 2.66 * 11 / 7)  # 10.43
    assert limits.two_sigma == close(2 / 3 * 2.66 * 11 / 7)


def test_limits_come_from_the_first_baseline_points_only():
    values = [5.0, 7.0, 6.0, 8.0, 6.0, 5.0, 20.0, 22.0]
    chart = xmr_chart(WEEKS[:8], values=values, baseline_points=4)
    [phase] = chart.phases
    # window 5, 7, 6, 8: centre 6.5, moving ranges 2, 1, 2 -> 5/3; limits 6.5 -/+ 4.4333
    assert (phase.start, phase.end, phase.baseline_start, phase.baseline_end) == (0, 8, 0, 4)
    assert phase.limits.centre == close(6.5)
    assert phase.limits.mean_moving_range == close(5 / 3)
    assert phase.limits.upper == close(6.5 + 2.66 * 5 / 3)
    assert chart.signals == [None] * 6 + ["above_limit"] * 2


def test_recalculating_from_a_period_gives_the_earlier_points_limits_of_their_own():
    values = [5.0, 7.0, 6.0, 8.0, 6.0, 5.0, 20.0, 22.0, 21.0, 23.0, 22.0, 21.0]
    chart = xmr_chart(WEEKS[:12], values=values, baseline_from=WEEKS[6], baseline_points=4)
    earlier, later = chart.phases
    assert (earlier.start, earlier.end, earlier.baseline_end) == (0, 6, 4)
    assert (later.start, later.end, later.baseline_start, later.baseline_end) == (6, 12, 6, 10)
    assert earlier.limits.centre == close(6.5)  # 5, 7, 6, 8
    assert later.limits.centre == close(21.5)  # 20, 22, 21, 23: 86 / 4
    assert later.limits.mean_moving_range == close(5 / 3)  # 2, 1, 2
    assert later.limits.lower == close(21.5 - 2.66 * 5 / 3)  # 17.0667
    assert chart.signals == [None] * 12  # the step is the change; around it only noise


def test_a_baseline_start_between_periods_takes_the_next_value():
    values = [5.0, 7.0, 6.0, 8.0, 6.0, 5.0]
    between = WEEKS[2] + timedelta(days=3)
    chart = xmr_chart(WEEKS[:6], values=values, baseline_from=between, baseline_points=20)
    assert [(p.start, p.end) for p in chart.phases] == [(0, 3), (3, 6)]
    assert chart.phases[1].limits.centre == close((8 + 6 + 5) / 3)


def test_a_baseline_start_before_the_first_value_is_one_phase_and_after_the_last_is_none():
    values = [5.0, 7.0, 6.0]
    assert len(xmr_chart(WEEKS[:3], values=values, baseline_from=date(2020, 1, 1)).phases) == 1
    [phase] = xmr_chart(WEEKS[:3], values=values, baseline_from=date(2030, 1, 1)).phases
    assert (phase.start, phase.end) == (0, 3)  # nothing from there yet: all one earlier phase


def test_a_window_of_fewer_than_two_values_has_no_limits_and_its_points_no_signals():
    values = [50.0, 5.0, 7.0, 6.0, 8.0]
    chart = xmr_chart(WEEKS[:5], values=values, baseline_from=WEEKS[1])
    earlier, later = chart.phases
    assert earlier.limits is None and later.limits.centre == close(6.5)
    assert chart.signals == [None] * 5
    assert xmr_chart(WEEKS[:1], values=[3.0]).phases[0].limits is None


def test_a_run_of_eight_after_the_baseline_is_a_run_and_seven_is_not():
    baseline = [12.0, 10.0, 12.0, 10.0]  # centre 11, mR-bar 2, limits 5.68 .. 16.32
    eight = [12.0, 13.0] * 4
    chart = xmr_chart(WEEKS[:12], values=baseline + eight, baseline_points=4)
    assert chart.signals == [None] * 4 + ["run_above"] * 8
    seven = xmr_chart(WEEKS[:11], values=baseline + eight[:7], baseline_points=4)
    assert seven.signals == [None] * 11
    below = xmr_chart(WEEKS[:12], values=baseline + [10.0, 9.0] * 4, baseline_points=4)
    # the last baseline value (10) is below the centre too: a run of 9 from it
    assert below.signals == [None] * 3 + ["run_below"] * 9


def test_a_value_on_the_centre_breaks_a_run_after_the_baseline():
    baseline = [12.0, 10.0, 12.0, 10.0]  # centre exactly 11
    values = baseline + [12.0, 13.0, 12.0, 11.0, 13.0, 12.0, 13.0, 12.0]
    assert xmr_chart(WEEKS[:12], values=values, baseline_points=4).signals == [None] * 12


def test_two_of_three_beyond_two_sigma_only_when_switched_on():
    baseline = [10.0, 12.0, 10.0, 12.0]  # centre 11, mR-bar 2: 2 sigma = 2/3 * 2.66 * 2 = 3.5467
    values = baseline + [11.0, 15.0, 11.0, 15.0, 11.0, 7.0, 11.0, 7.0]  # 15 > 14.547, 7 < 7.453
    on = xmr_chart(WEEKS[:12], values=values, baseline_points=4, two_of_three=True)
    up, down = "two_of_three_above", "two_of_three_below"
    assert on.signals == [None] * 4 + [None, up, None, up, None, down, None, down]
    off = xmr_chart(WEEKS[:12], values=values, baseline_points=4)
    assert off.signals == [None] * 12


def test_one_of_three_beyond_two_sigma_or_two_on_opposite_sides_is_noise():
    baseline = [10.0, 12.0, 10.0, 12.0]
    values = baseline + [15.0, 11.0, 11.0, 15.0, 7.0, 11.0]  # 15 _ _ 15: never two in three
    chart = xmr_chart(WEEKS[:10], values=values, baseline_points=4, two_of_three=True)
    assert chart.signals == [None] * 10


def test_a_limit_beats_two_of_three_and_a_run_beats_two_of_three():
    baseline = [10.0, 12.0, 10.0, 12.0]  # limits 5.68 .. 16.32, 2 sigma at 14.547
    triple = xmr_chart(
        WEEKS[:7], values=baseline + [15.0, 17.0, 11.0], baseline_points=4, two_of_three=True
    )
    assert triple.signals[4:] == ["two_of_three_above", "above_limit", None]
    # eight above the centre, two of them beyond 2 sigma: the run names them
    run = baseline[::-1] + [15.0, 12.0, 15.0, 12.0, 12.0, 12.0, 12.0, 12.0]
    chart = xmr_chart(WEEKS[:12], values=run, baseline_points=4, two_of_three=True)
    assert chart.signals == [None] * 4 + ["run_above"] * 8


def test_a_limit_beats_a_run_inside_a_phase():
    baseline = [12.0, 10.0, 12.0, 10.0]
    values = baseline + [12.0, 13.0, 12.0, 30.0, 12.0, 13.0, 12.0, 13.0]
    chart = xmr_chart(WEEKS[:12], values=values, baseline_points=4)
    assert chart.signals == [None] * 4 + ["run_above"] * 3 + ["above_limit"] + ["run_above"] * 4


def test_runs_are_counted_inside_a_phase():
    # five high values end the earlier phase, four more open the later: no run of 8 across
    values = [1.0, 2.0, 1.0, 2.0, 9.0, 9.5, 9.0, 9.5, 9.0, 20.0, 21.0, 20.0, 21.0]
    chart = xmr_chart(WEEKS[:13], values=values, baseline_from=WEEKS[9], baseline_points=4)
    assert "run_above" not in chart.signals


def test_a_series_chart_skips_periods_without_a_value_and_gives_them_the_limits_in_force():
    pairs = [(WEEKS[0], 5.0), (WEEKS[1], None), (WEEKS[2], 7.0), (WEEKS[3], 6.0), (WEEKS[4], 8.0)]
    chart = series_chart(pairs, baseline_from=WEEKS[1], baseline_points=2)
    # earlier phase: only 5 (no limits); from week 2 on: 7, 6 -> centre 6.5, mR-bar 1
    assert chart.point(WEEKS[0]) == dict.fromkeys(
        ("centre", "lower_limit", "upper_limit", "signal")
    )
    assert chart.point(WEEKS[1]) == {
        "centre": None,
        "lower_limit": None,
        "upper_limit": None,
        "signal": None,
    }
    assert chart.point(WEEKS[4]) == {
        "centre": close(6.5),
        "lower_limit": close(6.5 - 2.66),
        "upper_limit": close(6.5 + 2.66),
        "signal": None,
    }
    assert [p["baseline_points"] for p in chart.phases()] == [1, 2]
    assert chart.phases()[1]["from"] == WEEKS[2].isoformat()
