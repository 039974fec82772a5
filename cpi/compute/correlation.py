"""Lagged correlation of a cause series with an effect series, and Granger causality at a lag.

For each lag k in 0..max_lag: Pearson r between the cause at period t and the effect at period
t + k over the periods where both have a value, with its two-sided p-value and n
(`scipy.stats.pearsonr`). The best lag has the largest |r| (ties: the smaller lag). A lag with
fewer than 3 pairs, or a constant side, has no r: it says why instead (never NaN).
"""

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from .series import aligned, differenced

MIN_PAIRS = 3
NOT_ENOUGH_DATA = "not_enough_data"
CONSTANT_SERIES = "constant_series"
PERFECT_FIT = "perfect_fit"  # Granger: the effect's own past fits it exactly, no F exists
# |r| within this of each other are a tie (the smaller lag wins): the same correlation computed
# on different pairs may differ in the last bits.
TIE = 1e-12


@dataclass(frozen=True)
class LagCorrelation:
    lag: int
    n: int
    r: float | None
    p_value: float | None
    reason: str | None = None  # why r is missing: not_enough_data | constant_series

    def as_dict(self) -> dict:
        return asdict(self)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def correlation_at(xs: list[float], ys: list[float], lag: int) -> LagCorrelation:
    n = len(xs)
    if n < MIN_PAIRS:
        return LagCorrelation(lag, n, None, None, NOT_ENOUGH_DATA)
    if np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return LagCorrelation(lag, n, None, None, CONSTANT_SERIES)
    result = stats.pearsonr(xs, ys)
    r, p = _finite(result.statistic), _finite(result.pvalue)
    if r is None:
        return LagCorrelation(lag, n, None, None, CONSTANT_SERIES)
    return LagCorrelation(lag, n, r, p)


def lagged_correlations(
    cause: dict[int, float], effect: dict[int, float], max_lag: int
) -> list[LagCorrelation]:
    """r, p and n at every lag 0..max_lag of two indexed series (compute/series.py)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # near-constant input: r is still defined
        return [correlation_at(*aligned(cause, effect, lag), lag) for lag in range(max_lag + 1)]


def best_lag(correlations: list[LagCorrelation]) -> LagCorrelation | None:
    """The lag with the largest |r|; ties go to the smaller lag. None when no lag has an r."""
    best = None
    for item in correlations:
        if item.r is not None and (best is None or abs(item.r) > abs(best.r) + TIE):
            best = item
    return best


def evidence(cause: dict[int, float], effect: dict[int, float], max_lag: int) -> dict:
    """The contract's `evidence` block: best lag, r, p_value, n, and every lag in `lags`."""
    lags = lagged_correlations(cause, effect, max_lag)
    best = best_lag(lags)
    return {
        "best_lag": best.lag if best else None,
        "r": best.r if best else None,
        "p_value": best.p_value if best else None,
        "n": best.n if best else max((item.n for item in lags), default=0),
        "lags": [item.as_dict() for item in lags],
    }


def evidence_differenced(cause: dict[int, float], effect: dict[int, float], max_lag: int) -> dict:
    """The same on first differences, so that a shared trend is not mistaken for a link."""
    return evidence(differenced(cause), differenced(effect), max_lag)


def longest_common_run(cause: dict[int, float], effect: dict[int, float]) -> list[int]:
    """The longest run of consecutive periods in which both series have a value."""
    common = sorted(set(cause) & set(effect))
    best, run = [], []
    for t in common:
        run = [*run, t] if run and t == run[-1] + 1 else [t]
        if len(run) > len(best):
            best = run
    return best


def granger(cause: dict[int, float], effect: dict[int, float], lag: int) -> dict:
    """Whether past cause values help predict the effect beyond the effect's own past, at `lag`
    (statsmodels' Granger-causality SSR F-test) over the longest run of consecutive periods in
    which both have a value. A lag below 1 is tested at 1 (Granger needs a past)."""
    from statsmodels.tools.sm_exceptions import InfeasibleTestError
    from statsmodels.tsa.stattools import grangercausalitytests

    lag = max(1, lag)
    run = longest_common_run(cause, effect)
    result = {"lag": lag, "n": len(run), "f": None, "p_value": None, "reason": None}
    # Each lag costs two parameters; fewer observations leave no degrees of freedom.
    if len(run) < 3 * lag + 4:
        return {**result, "reason": NOT_ENOUGH_DATA}
    data = np.column_stack([[effect[t] for t in run], [cause[t] for t in run]])
    if np.ptp(data[:, 0]) == 0 or np.ptp(data[:, 1]) == 0:
        return {**result, "reason": CONSTANT_SERIES}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tests = grangercausalitytests(data, maxlag=[lag])
    except InfeasibleTestError:  # a perfect fit (e.g. the effect copies the cause exactly)
        return {**result, "reason": PERFECT_FIT}
    except (ValueError, np.linalg.LinAlgError):
        return {**result, "reason": NOT_ENOUGH_DATA}
    f, p, _df_denom, _df_num = tests[lag][0]["ssr_ftest"]
    f, p = _finite(f), _finite(p)
    if f is None or p is None:
        return {**result, "reason": PERFECT_FIT}
    return {**result, "f": f, "p_value": p}
