"""The distributed-lag forecast and its rolling-origin backtest, against statsmodels and numpy
called directly on the same numbers (no database)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.tsa.ardl import ARDL

from cpi.compute import forecast

RNG = np.random.default_rng(11)
X = [float(v) for v in RNG.normal(20, 4, 24)]
LAG = 2
# The effect follows the cause two periods later, plus noise.
Y = [float(v) for v in np.r_[[30.0, 31.0], 5.0 + 1.5 * np.asarray(X[:-LAG])] + RNG.normal(0, 1, 24)]


def series(values, first=0):
    return {first + i: v for i, v in enumerate(values) if v is not None}


def test_the_forecast_and_its_95_prediction_interval_match_statsmodels_ols():
    cause, effect = series(X), series(Y[:22])  # the effect is two periods behind the cause
    result = forecast.forecast(cause, effect, LAG)

    # statsmodels on the lagged pairs by hand: effect(t) on cause(t - 2), t = 2..21.
    xs, ys = np.asarray(X[0:20]), np.asarray(Y[2:22])
    model = sm.OLS(ys, sm.add_constant(xs)).fit()
    ahead = sm.add_constant(np.asarray([X[20], X[21]]), has_constant="add")
    frame = model.get_prediction(ahead).summary_frame(alpha=0.05)

    assert result["lag"] == 2 and result["n"] == 20
    assert result["intercept"] == pytest.approx(model.params[0])
    assert result["slope"] == pytest.approx(model.params[1])
    assert [p["t"] for p in result["points"]] == [22, 23]
    for point, (_, row) in zip(result["points"], frame.iterrows(), strict=True):
        assert point["value"] == pytest.approx(row["mean"])
        assert point["low"] == pytest.approx(row["obs_ci_lower"])
        assert point["high"] == pytest.approx(row["obs_ci_upper"])
    # The prediction interval by hand: t quantile, residual variance and leverage.
    from scipy import stats

    x0 = np.array([1.0, X[20]])
    cov = np.linalg.inv(sm.add_constant(xs).T @ sm.add_constant(xs))
    se = np.sqrt(model.scale * (1 + x0 @ cov @ x0))
    half = stats.t.ppf(0.975, 18) * se
    assert result["points"][0]["high"] - result["points"][0]["value"] == pytest.approx(half)


def test_statsmodels_ardl_with_only_the_lagged_cause_gives_the_same_point_forecast():
    cause, effect = series(X), series(Y[:22])
    result = forecast.forecast(cause, effect, LAG)

    # ARDL(effect, lags=0, exog=cause, order={cause: [2]}) is the same regression. Its
    # out-of-sample exog rows are the cause at the forecast periods (22, 23), which the
    # order [2] never reads: it uses the cause at 20 and 21, already in the sample.
    exog = pd.DataFrame({"cause": X[:22]})
    fitted = ARDL(np.asarray(Y[:22]), lags=0, exog=exog, order={"cause": [LAG]}).fit()
    assert fitted.params["const"] == pytest.approx(result["intercept"])
    assert fitted.params["cause.L2"] == pytest.approx(result["slope"])
    future = pd.DataFrame({"cause": [X[22], X[23]]})
    predicted = fitted.forecast(steps=2, exog=future)
    assert list(predicted) == pytest.approx([p["value"] for p in result["points"]])


def test_the_forecast_needs_a_lag_enough_pairs_and_a_varying_cause():
    assert forecast.forecast(series(X), series(Y), 0) is None
    assert forecast.forecast(series(X[:6]), series(Y[:7]), LAG) is None  # 5 pairs
    assert forecast.forecast(series([3.0] * 20), series(Y[:20]), LAG) is None
    # Points only where the cause is known lag periods before.
    short_cause = series(X[:21])
    result = forecast.forecast(short_cause, series(Y[:22]), LAG)
    assert [p["t"] for p in result["points"]] == [22]


def test_the_backtest_matches_a_rolling_origin_computed_by_hand():
    # 10 points at lag 1: 9 pairs, origins at the 7th, 8th and 9th pair.
    xs = [4.0, 6.0, 5.0, 8.0, 7.0, 9.0, 6.0, 10.0, 8.0, 11.0]
    ys = [10.0, 12.5, 15.0, 13.8, 19.0, 17.2, 21.5, 15.9, 24.0, 20.5]
    result = forecast.backtest(series(xs), series(ys), 1)

    errors, naive = [], []
    for t in (7, 8, 9):  # fit effect(s) ~ cause(s - 1) on s = 1 .. t - 1, forecast t
        slope, intercept = np.polyfit(xs[0 : t - 1], ys[1:t], 1)
        errors.append(abs(intercept + slope * xs[t - 1] - ys[t]))
        naive.append(abs(ys[t - 1] - ys[t]))
    assert result["origins"] == 3
    assert result["mae"] == pytest.approx(np.mean(errors))
    assert result["naive_mae"] == pytest.approx(np.mean(naive))
    assert np.mean(errors) < np.mean(naive)
    assert result["beats_naive"] is True


def test_the_backtest_skips_an_origin_without_last_period_and_needs_3_origins():
    xs = [4.0, 6.0, 5.0, 8.0, 7.0, 9.0, 6.0, 10.0, 8.0, 11.0, 9.0]
    ys = [10.0, 12.5, 15.0, 13.8, 19.0, 17.2, 21.5, 15.9, None, 20.5, 23.0]
    result = forecast.backtest(series(xs), series(ys), 1)
    # Pairs at t = 1..7, 9, 10; origins at t = 7 and 10 (t = 9 has no effect at 8: skipped).
    assert result is None
    xs.append(12.0)
    ys.append(22.0)
    result = forecast.backtest(series(xs), series(ys), 1)
    pairs = [(t, xs[t - 1], ys[t]) for t in range(1, 12) if ys[t] is not None]
    errors, naive = [], []
    for i in range(6, len(pairs)):
        t, x, y = pairs[i]
        if ys[t - 1] is None:
            continue
        px, py = [p[1] for p in pairs[:i]], [p[2] for p in pairs[:i]]
        slope, intercept = np.polyfit(px, py, 1)
        errors.append(abs(intercept + slope * x - y))
        naive.append(abs(ys[t - 1] - y))
    assert result["origins"] == len(errors) == 3
    assert result["mae"] == pytest.approx(np.mean(errors))
    assert result["naive_mae"] == pytest.approx(np.mean(naive))


def test_an_origin_whose_history_has_no_spread_in_the_cause_is_skipped():
    xs = [5.0] * 7 + [6.0, 8.0, 7.0, 9.0, 4.0, 10.0]
    ys = [10.0, 11.0, 9.5, 10.2, 10.8, 9.9, 10.1, 11.4, 12.9, 12.2, 13.8, 9.0, 15.1]
    result = forecast.backtest(series(xs), series(ys), 1)
    errors, naive = [], []
    for t in range(7, 13):  # pairs s = 1..t-1 use the cause at 0..t-2
        if np.ptp(xs[0 : t - 1]) == 0:
            continue  # origins t = 7 and 8: the cause was 5 throughout their history
        slope, intercept = np.polyfit(xs[0 : t - 1], ys[1:t], 1)
        errors.append(abs(intercept + slope * xs[t - 1] - ys[t]))
        naive.append(abs(ys[t - 1] - ys[t]))
    assert result["origins"] == len(errors) == 4
    assert result["mae"] == pytest.approx(np.mean(errors))
    assert result["naive_mae"] == pytest.approx(np.mean(naive))
