import numpy as np
import pytest

from indicators.compute.spc import XmrLimits, xmr_limits, xmr_signals


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
