"""The lagged correlation, Granger and the experiments' tests, against scipy / statsmodels called
directly on the same numbers (no database)."""

import math
import warnings
from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.tsa.stattools import grangercausalitytests

from cpi.compute import correlation, status
from cpi.compute.experiments import (
    Arm,
    experiment_result,
    minimum_detectable_effect_mean,
    minimum_detectable_effect_share,
    verdict,
)
from cpi.compute.series import aligned, differenced, indexed, period_index

RNG = np.random.default_rng(20260301)
CAUSE = [float(x) for x in RNG.normal(50, 10, 30)]
NOISE = [float(x) for x in RNG.normal(0, 2, 30)]


def months(values, start=(2024, 1)):
    """{month index: value}, consecutive months from `start`."""
    year, month = start
    first = year * 12 + month - 1
    return {first + i: v for i, v in enumerate(values) if v is not None}


# --- lagged Pearson ---------------------------------------------------------------------------


def test_every_lag_matches_pearsonr_on_the_hand_aligned_arrays():
    cause = months(CAUSE)
    effect = months([0.5 * c + n for c, n in zip(CAUSE, NOISE, strict=True)])
    found = correlation.lagged_correlations(cause, effect, 4)

    assert [item.lag for item in found] == [0, 1, 2, 3, 4]
    for item in found:
        k = item.lag
        xs, ys = CAUSE[: 30 - k], [0.5 * c + n for c, n in zip(CAUSE, NOISE, strict=True)][k:]
        expected = stats.pearsonr(xs, ys)
        assert item.n == 30 - k
        assert item.r == pytest.approx(expected.statistic, abs=1e-12)
        assert item.p_value == pytest.approx(expected.pvalue, rel=1e-9)
        assert item.reason is None


def test_an_effect_that_copies_the_cause_two_periods_later_has_best_lag_2():
    cause = months(CAUSE)
    effect = {t + 2: 3.0 * v + 7.0 for t, v in cause.items()}
    block = correlation.evidence(cause, effect, 4)

    assert block["best_lag"] == 2
    assert block["r"] == pytest.approx(1.0)
    assert block["n"] == 30
    assert [lag["n"] for lag in block["lags"]] == [28, 29, 30, 29, 28]
    expected = stats.pearsonr(CAUSE[:-1], [3.0 * v + 7.0 for v in CAUSE][1:])
    assert block["lags"][3]["r"] == pytest.approx(expected.statistic, abs=1e-12)


def test_a_tie_goes_to_the_smaller_lag():
    # A 2-periodic cause copied one period later: |r| = 1 at every lag, up to the last bits
    # (lag 3 computes 0.9999999999999999): lag 0 wins.
    cause = months([1.0, 5.0] * 8 + [1.0])
    effect = {t + 1: v for t, v in cause.items()}
    found = correlation.lagged_correlations(cause, effect, 3)
    assert all(abs(item.r) == pytest.approx(1.0) for item in found)
    assert correlation.best_lag(found).lag == 0
    # Lags 1 and 3 tie above lag 0, with both signs of r and in the last bits.
    tie = [
        correlation.LagCorrelation(0, 10, 0.2, 0.5),
        correlation.LagCorrelation(1, 10, -0.7, 0.01),
        correlation.LagCorrelation(2, 10, None, None, "constant_series"),
        correlation.LagCorrelation(3, 10, 0.7 + 1e-15, 0.01),
    ]
    assert correlation.best_lag(tie).lag == 1
    assert correlation.best_lag(tie[2:3]) is None


def test_gaps_align_by_period_not_by_position():
    values = CAUSE[:14]
    cause = months([v if i not in (3, 4) else None for i, v in enumerate(values)])
    effect_values = [2 * v + n for v, n in zip(values, NOISE, strict=False)]
    effect = months([v if i != 9 else None for i, v in enumerate(effect_values)])
    found = correlation.lagged_correlations(cause, effect, 1)

    # By hand: the periods t where cause(t) and effect(t + k) both exist.
    for k in (0, 1):
        ts = [i for i in range(14) if i not in (3, 4) and i + k < 14 and i + k != 9]
        xs, ys = [values[i] for i in ts], [effect_values[i + k] for i in ts]
        expected = stats.pearsonr(xs, ys)
        assert found[k].n == len(ts)
        assert found[k].r == pytest.approx(expected.statistic, abs=1e-12)
        assert found[k].p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert found[0].n == 11 and found[1].n == 10


@pytest.mark.parametrize(
    ("period", "starts"),
    [
        ("day", [date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]),
        # ISO weeks: Monday 29 December 2025 starts week 1 of 2026.
        ("week", [date(2025, 12, 22), date(2025, 12, 29), date(2026, 1, 5), date(2026, 1, 12)]),
        ("month", [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]),
        ("quarter", [date(2025, 7, 1), date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1)]),
        ("year", [date(2024, 1, 1), date(2025, 1, 1), date(2026, 1, 1), date(2027, 1, 1)]),
    ],
)
def test_periods_index_consecutively_across_a_year_boundary(period, starts):
    indices = [period_index(start, period) for start in starts]
    assert [b - a for a, b in zip(indices, indices[1:], strict=False)] == [1, 1, 1]
    # So a series over the boundary lags correctly: the effect copies the cause one period on.
    cause = indexed({s: float(i * i) for i, s in enumerate(starts[:3])}, period)
    effect = indexed({s: float((i - 1) ** 2) for i, s in enumerate(starts) if i}, period)
    assert aligned(cause, effect, 1) == ([0.0, 1.0, 4.0], [0.0, 1.0, 4.0])
    assert aligned(cause, effect, 0) == ([1.0, 4.0], [0.0, 1.0])


def test_every_day_of_a_week_indexes_as_its_monday():
    monday = date(2026, 1, 5)
    assert {period_index(monday + timedelta(days=d), "week") for d in range(7)} == {
        period_index(monday, "week")
    }


def test_constant_series_and_fewer_than_3_pairs_give_no_r_with_a_reason():
    cause = months([1.0, 2.0, 3.0, 4.0, 5.0])
    flat = months([7.0] * 5)
    [constant] = correlation.lagged_correlations(cause, flat, 0)
    assert (constant.r, constant.p_value, constant.reason, constant.n) == (
        None,
        None,
        "constant_series",
        5,
    )
    short = correlation.lagged_correlations(cause, months([1.0, 3.0, 2.0, 5.0, 4.0]), 3)
    assert [(item.n, item.reason) for item in short] == [
        (5, None),
        (4, None),
        (3, None),
        (2, "not_enough_data"),
    ]
    assert short[3].r is None and short[3].p_value is None
    block = correlation.evidence(cause, flat, 2)
    assert block["best_lag"] is None and block["r"] is None and block["p_value"] is None
    assert not any(isinstance(v, float) and math.isnan(v) for v in block.values())
    assert correlation.evidence({}, {}, 1)["lags"] == [
        {"lag": 0, "n": 0, "r": None, "p_value": None, "reason": "not_enough_data"},
        {"lag": 1, "n": 0, "r": None, "p_value": None, "reason": "not_enough_data"},
    ]


def test_first_differences_skip_a_period_whose_predecessor_is_missing():
    series = months([1.0, 4.0, None, 10.0, 15.0, 21.0])
    first = min(series)
    assert differenced(series) == {first + 1: 3.0, first + 4: 5.0, first + 5: 6.0}


def test_the_differenced_evidence_disagrees_with_the_levels_on_a_shared_trend():
    rng = np.random.default_rng(7)
    trend = np.arange(36) * 2.0
    cause = months(list(trend + rng.normal(0, 1, 36)))
    effect = months(list(trend + rng.normal(0, 1, 36)))  # independent but for the trend
    levels = correlation.evidence(cause, effect, 2)
    changes = correlation.evidence_differenced(cause, effect, 2)

    assert levels["r"] > 0.99 and levels["p_value"] * 3 < 0.05
    assert status.correlation_status(levels, expected_sign="positive", lags_tried=3) == "supported"
    # On changes the trend is gone; scipy on the hand-made differences says the same.
    dc, de = np.diff(list(cause.values())), np.diff(list(effect.values()))
    k = changes["best_lag"]
    expected = stats.pearsonr(dc[: len(dc) - k], de[k:])
    assert changes["r"] == pytest.approx(expected.statistic, abs=1e-12)
    assert changes["p_value"] * 3 >= 0.05
    assert status.differenced_disagrees(levels, changes) is True
    assert status.differenced_disagrees(levels, levels) is False


# --- Granger ----------------------------------------------------------------------------------


def _granger_direct(effect, cause, lag):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = grangercausalitytests(np.column_stack([effect, cause]), maxlag=[lag])
    return result[lag][0]["ssr_ftest"]


def test_granger_at_the_best_lag_matches_statsmodels():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, 40)
    y = np.r_[0.0, 0.0, 0.8 * x[:-2]] + rng.normal(0, 0.5, 40)
    cause, effect = months(list(x)), months(list(y))
    block = correlation.granger(cause, effect, 2)
    f, p, _, _ = _granger_direct(y, x, 2)
    assert block == {
        "lag": 2,
        "n": 40,
        "f": pytest.approx(f),
        "p_value": pytest.approx(p),
        "reason": None,
    }


def test_granger_uses_the_longest_common_run_of_periods():
    rng = np.random.default_rng(4)
    x, y = rng.normal(0, 1, 30), rng.normal(0, 1, 30)
    cause = months(list(x))
    effect = months([v if i != 9 else None for i, v in enumerate(y)])  # runs 0..8 and 10..29
    block = correlation.granger(cause, effect, 1)
    f, p, _, _ = _granger_direct(y[10:], x[10:], 1)
    assert (block["n"], block["f"], block["p_value"]) == (20, pytest.approx(f), pytest.approx(p))


def test_granger_at_lag_0_is_tested_at_1():
    rng = np.random.default_rng(5)
    x, y = rng.normal(0, 1, 20), rng.normal(0, 1, 20)
    block = correlation.granger(months(list(x)), months(list(y)), 0)
    f, p, _, _ = _granger_direct(y, x, 1)
    assert (block["lag"], block["f"], block["p_value"]) == (1, pytest.approx(f), pytest.approx(p))


def test_granger_on_too_short_constant_or_perfectly_fitted_series_gives_a_reason():
    short = correlation.granger(months([1.0, 3.0, 2.0, 5.0, 4.0, 6.0]), months([2.0] * 6), 1)
    assert (short["f"], short["p_value"], short["reason"]) == (None, None, "not_enough_data")
    x = [float(v) for v in RNG.normal(0, 1, 20)]
    flat = correlation.granger(months(x), months([3.0] * 20), 1)
    assert (flat["f"], flat["reason"]) == (None, "constant_series")
    cause = months(x)
    copy = correlation.granger(cause, {t + 1: v for t, v in cause.items()}, 1)
    assert (copy["f"], copy["p_value"], copy["reason"]) == (None, None, "perfect_fit")


# --- experiments: Welch -----------------------------------------------------------------------

CONTROL = [12.1, 14.3, 11.8, 13.0, 15.2, 12.7, 13.9, 11.2]
TREATMENT = [9.4, 10.8, 8.1, 11.5, 9.9, 10.2, 12.6, 8.8, 9.0, 10.4, 11.1]


def test_welch_matches_scipy_ttest_ind_and_its_confidence_interval():
    result = experiment_result(
        ratio=False,
        control=Arm(values=tuple(CONTROL)),
        treatment=Arm(values=tuple(TREATMENT)),
        expected_effect="negative",
    )
    direct = stats.ttest_ind(TREATMENT, CONTROL, equal_var=False)
    ci = direct.confidence_interval(0.95)
    assert result["test"] == "welch_t"
    assert result["effect"] == pytest.approx(np.mean(TREATMENT) - np.mean(CONTROL))
    assert result["p_value"] == pytest.approx(direct.pvalue)
    assert (result["ci_low"], result["ci_high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))
    # Welch-Satterthwaite by hand, and the exact t quantile.
    vc, vt = np.var(CONTROL, ddof=1) / 8, np.var(TREATMENT, ddof=1) / 11
    df = (vc + vt) ** 2 / (vc**2 / 7 + vt**2 / 10)
    assert result["df"] == pytest.approx(df)
    half = stats.t.ppf(0.975, df) * math.sqrt(vc + vt)
    assert result["ci_high"] - result["ci_low"] == pytest.approx(2 * half)
    assert result["verdict"] == "supported" and result["reason"] is None
    assert result["control"] == {"n": 8, "mean": pytest.approx(np.mean(CONTROL))}


def test_worked_two_proportion_example_by_hand():
    # Control 120 of 400 (30 %), treatment 165 of 420 (39.29 %).
    result = experiment_result(
        ratio=True,
        control=Arm(numerator=120, denominator=400, n=40),
        treatment=Arm(numerator=165, denominator=420, n=42),
        expected_effect="positive",
    )
    p_c, p_t = 120 / 400, 165 / 420
    pooled = (120 + 165) / (400 + 420)
    z = (p_t - p_c) / math.sqrt(pooled * (1 - pooled) * (1 / 400 + 1 / 420))
    p_value = 2 * stats.norm.sf(abs(z))
    se = math.sqrt(p_t * (1 - p_t) / 420 + p_c * (1 - p_c) / 400)
    half = stats.norm.ppf(0.975) * se
    assert result["test"] == "two_proportion_z"
    assert result["effect"] == pytest.approx(100 * (p_t - p_c))
    assert result["effect"] == pytest.approx(9.2857142857)
    assert result["p_value"] == pytest.approx(p_value, rel=1e-9)
    assert result["ci_low"] == pytest.approx(100 * (p_t - p_c - half), rel=1e-9)
    assert result["ci_high"] == pytest.approx(100 * (p_t - p_c + half), rel=1e-9)
    assert result["verdict"] == "supported"
    assert result["control"]["share"] == pytest.approx(30.0)
    assert result["treatment"]["denominator"] == 420


@pytest.mark.parametrize(
    ("low", "high", "expected", "answer"),
    [
        (0.5, 2.0, "positive", "supported"),
        (0.5, 2.0, "negative", "refuted"),
        (-2.0, -0.5, "negative", "supported"),
        (-2.0, -0.5, "positive", "refuted"),
        (-0.5, 2.0, "positive", "inconclusive"),
        (-2.0, 0.5, "negative", "inconclusive"),
        (0.0, 2.0, "positive", "inconclusive"),  # touching 0 does not exclude it
    ],
)
def test_verdict_by_the_interval_and_the_expected_sign(low, high, expected, answer):
    assert verdict(low, high, expected) == answer


@pytest.mark.parametrize(
    ("ratio", "control", "treatment", "words"),
    [
        (True, Arm(numerator=0, denominator=0), Arm(numerator=5, denominator=10), "denominators"),
        (True, Arm(numerator=12, denominator=10), Arm(numerator=5, denominator=10), "exceed"),
        (True, Arm(numerator=0, denominator=10), Arm(numerator=0, denominator=20), "0 %"),
        (False, Arm(values=(3.0,)), Arm(values=(1.0, 2.0, 3.0)), "at least 2"),
        (False, Arm(values=(3.0, 4.0)), Arm(values=()), "at least 2"),
        (False, Arm(values=(2.0, 2.0, 2.0)), Arm(values=(5.0, 5.0)), "constant"),
    ],
)
def test_unusable_arms_give_verdict_none_with_a_reason(ratio, control, treatment, words):
    result = experiment_result(
        ratio=ratio, control=control, treatment=treatment, expected_effect="positive"
    )
    assert result["verdict"] is None and words in result["reason"]
    assert (result["effect"], result["ci_low"], result["ci_high"], result["p_value"]) == (None,) * 4
    assert set(result["control"]) >= {"n"} and set(result["treatment"]) >= {"n"}


def test_one_constant_arm_still_has_a_welch_result():
    result = experiment_result(
        ratio=False,
        control=Arm(values=(2.0, 2.0, 2.0)),
        treatment=Arm(values=(4.0, 5.0, 6.0)),
        expected_effect="positive",
    )
    direct = stats.ttest_ind([4.0, 5.0, 6.0], [2.0, 2.0, 2.0], equal_var=False)
    assert result["p_value"] == pytest.approx(direct.pvalue)


def test_the_mde_matches_statsmodels_power_solved_directly():
    d = TTestIndPower().solve_power(effect_size=None, nobs1=50, alpha=0.05, power=0.8, ratio=1.0)
    assert minimum_detectable_effect_mean(n_per_arm=50, sd=4.0) == pytest.approx(4.0 * d)
    # Back: at that difference the power is 80 %.
    power = TTestIndPower().power(effect_size=d, nobs1=50, alpha=0.05, ratio=1.0)
    assert power == pytest.approx(0.8, abs=1e-4)

    h = NormalIndPower().solve_power(effect_size=None, nobs1=400, alpha=0.05, power=0.8, ratio=1.0)
    mde = minimum_detectable_effect_share(n_per_arm=400, share=0.3)
    p2 = 0.3 + mde / 100
    assert 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(0.3)) == pytest.approx(h)
    assert minimum_detectable_effect_mean(n_per_arm=1, sd=4.0) is None
    assert minimum_detectable_effect_mean(n_per_arm=50, sd=0.0) is None
    assert minimum_detectable_effect_share(n_per_arm=400, share=0.0) is None
    assert minimum_detectable_effect_share(n_per_arm=3, share=0.99) == pytest.approx(1.0)
