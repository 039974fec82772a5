"""Forecast of the lagging effect from the leading cause, and its rolling-origin backtest.

The model is OLS of the effect on the cause `lag` periods earlier (a distributed-lag model):
effect(t) = a + b * cause(t - lag) + e. Since the cause leads by `lag` periods, its latest values
already give the effect's next `lag` periods; each comes with its 95 % prediction interval
(statsmodels `get_prediction(...).summary_frame(alpha=0.05)`, `obs_ci_*`).

The backtest walks the origin through the history: for each period t after the first
`MIN_TRAIN` pairs it fits on the pairs before t and forecasts t, beside the naive forecast
"same as last period" (the effect at t - 1). The forecast is shown only when its mean absolute
error beats the naive one's.
"""

import math
import warnings

import numpy as np

MIN_TRAIN = 6  # pairs the model is fitted on before the first backtest origin
MIN_ORIGINS = 3  # backtest origins needed for a verdict on the naive forecast


def lagged_pairs(cause: dict[int, float], effect: dict[int, float], lag: int) -> list[tuple]:
    """(t, cause(t - lag), effect(t)) for every t where both values exist, in time order."""
    return [(t, cause[t - lag], effect[t]) for t in sorted(effect) if t - lag in cause]


def _fit(xs, ys):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.OLS(np.asarray(ys, float), sm.add_constant(np.asarray(xs, float))).fit()


def _predict(model, xs) -> list[dict]:
    import statsmodels.api as sm

    exog = sm.add_constant(np.asarray(xs, float), has_constant="add")
    prediction = model.get_prediction(exog)
    # The prediction interval of a new observation (summary_frame's obs_ci_*, without pandas).
    bounds = prediction.conf_int(obs=True, alpha=0.05)
    return [
        {"value": float(mean), "low": float(low), "high": float(high)}
        for mean, (low, high) in zip(prediction.predicted_mean, bounds, strict=True)
    ]


def forecast(cause: dict[int, float], effect: dict[int, float], lag: int) -> dict | None:
    """The next periods of the effect (t = last effect period + 1 .. + lag) from the cause's
    known values, each {t, value, low, high}; None when it cannot be fitted (lag < 1, fewer
    than MIN_TRAIN pairs, a constant cause)."""
    pairs = lagged_pairs(cause, effect, lag)
    if lag < 1 or len(pairs) < MIN_TRAIN:
        return None
    _, xs, ys = zip(*pairs, strict=True)
    if np.ptp(xs) == 0:
        return None
    model = _fit(xs, ys)
    last = max(effect)
    ahead = [t for t in range(last + 1, last + lag + 1) if t - lag in cause]
    if not ahead:
        return None
    points = _predict(model, [cause[t - lag] for t in ahead])
    if not all(math.isfinite(v) for p in points for v in p.values()):
        return None
    return {
        "lag": lag,
        "n": len(pairs),
        "intercept": float(model.params[0]),
        "slope": float(model.params[1]),
        "points": [{"t": t, **point} for t, point in zip(ahead, points, strict=True)],
    }


def _expanding_lines(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(slope, intercept) of the least-squares line through the first i pairs, for every i,
    from running sums of the centred values (one pass instead of one fit per origin; the same
    line as numpy.polyfit and the forecast's OLS). A prefix with no spread in x gets NaN."""
    x0, y0 = xs - xs.mean(), ys - ys.mean()
    n = np.arange(1, len(xs) + 1, dtype=float)
    sx, sy = np.cumsum(x0), np.cumsum(y0)
    sxx, sxy = np.cumsum(x0 * x0) - sx * sx / n, np.cumsum(x0 * y0) - sx * sy / n
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(sxx > 1e-12 * np.cumsum(x0 * x0).clip(min=1e-300), sxy / sxx, np.nan)
    intercept = (sy - slope * sx) / n + ys.mean() - slope * xs.mean()
    return slope, intercept


def backtest(cause: dict[int, float], effect: dict[int, float], lag: int) -> dict | None:
    """Rolling-origin one-step backtest against "same as last period"; None when too short."""
    pairs = lagged_pairs(cause, effect, lag)
    if len(pairs) <= MIN_TRAIN:
        return None
    ts, xs, ys = (np.asarray(column, float) for column in zip(*pairs, strict=True))
    slope, intercept = _expanding_lines(xs, ys)
    errors, naive_errors = [], []
    for i in range(MIN_TRAIN, len(pairs)):
        t = int(ts[i])
        # Fitted on the pairs before t (the first i); no spread in x there: no forecast.
        if t - 1 not in effect or not np.isfinite(slope[i - 1]):
            continue
        predicted = float(intercept[i - 1] + slope[i - 1] * xs[i])
        errors.append(abs(predicted - ys[i]))
        naive_errors.append(abs(effect[t - 1] - ys[i]))
    if len(errors) < MIN_ORIGINS:
        return None
    mae, naive_mae = float(np.mean(errors)), float(np.mean(naive_errors))
    return {
        "origins": len(errors),
        "mae": mae,
        "naive_mae": naive_mae,
        "beats_naive": bool(mae < naive_mae),
    }
