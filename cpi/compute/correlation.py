"""Lagged correlation of a cause series with an effect series, and Granger causality at a lag.

For each lag k in 0..max_lag: Pearson r between the cause at period t and the effect at period
t + k over the periods where both have a value, with its two-sided p-value and n
(`scipy.stats.pearsonr`). The best lag has the largest |r| (ties: the smaller lag). A lag with
fewer than 3 pairs, or a constant side, has no r: it says why instead (never NaN).
"""

import math
import warnings
from dataclasses import dataclass

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
        # By hand: dataclasses.asdict deep-copies, a cost in a recompute of many hypotheses.
        return {
            "lag": self.lag,
            "n": self.n,
            "r": self.r,
            "p_value": self.p_value,
            "reason": self.reason,
        }


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _unusable(xs, ys, lag: int) -> LagCorrelation | None:
    """The missing r of a lag that cannot have one, or None when it can."""
    n = len(xs)
    if n < MIN_PAIRS:
        return LagCorrelation(lag, n, None, None, NOT_ENOUGH_DATA)
    if np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return LagCorrelation(lag, n, None, None, CONSTANT_SERIES)
    return None


def _from_pearson(lag: int, n: int, r: float, p: float) -> LagCorrelation:
    r, p = _finite(r), _finite(p)
    if r is None or p is None:
        return LagCorrelation(lag, n, None, None, CONSTANT_SERIES)
    return LagCorrelation(lag, n, r, p)


def correlations_many(requests: list[tuple[dict, dict, int]]) -> list[list[LagCorrelation]]:
    """`lagged_correlations` of many (cause, effect, max_lag) at once: the pairs of equal length
    go to ONE `scipy.stats.pearsonr(..., axis=1)` call, so that a recompute of many hypotheses
    is not dominated by the per-call cost of scipy on 60 points."""
    answers: list[list] = [[None] * (max_lag + 1) for _c, _e, max_lag in requests]
    by_length: dict[int, list] = {}
    for i, (cause, effect, max_lag) in enumerate(requests):
        for lag in range(max_lag + 1):
            xs, ys = aligned(cause, effect, lag)
            answers[i][lag] = _unusable(xs, ys, lag)
            if answers[i][lag] is None:
                by_length.setdefault(len(xs), []).append((i, lag, xs, ys))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # near-constant input: r is still defined
        for n, jobs in by_length.items():
            result = stats.pearsonr(
                np.array([job[2] for job in jobs]), np.array([job[3] for job in jobs]), axis=1
            )
            rs, ps = np.atleast_1d(result.statistic), np.atleast_1d(result.pvalue)
            for (i, lag, _xs, _ys), r, p in zip(jobs, rs, ps, strict=True):
                answers[i][lag] = _from_pearson(lag, n, r, p)
    return answers


def lagged_correlations(
    cause: dict[int, float], effect: dict[int, float], max_lag: int
) -> list[LagCorrelation]:
    """r, p and n at every lag 0..max_lag of two indexed series (compute/series.py)."""
    return correlations_many([(cause, effect, max_lag)])[0]


def best_lag(correlations: list[LagCorrelation]) -> LagCorrelation | None:
    """The lag with the largest |r|; ties go to the smaller lag. None when no lag has an r."""
    best = None
    for item in correlations:
        if item.r is not None and (best is None or abs(item.r) > abs(best.r) + TIE):
            best = item
    return best


def evidence_of(lags: list[LagCorrelation]) -> dict:
    """The contract's `evidence` block from every lag's correlation: best lag, r, p_value, n, and
    every lag in `lags`."""
    best = best_lag(lags)
    return {
        "best_lag": best.lag if best else None,
        "r": best.r if best else None,
        "p_value": best.p_value if best else None,
        "n": best.n if best else max((item.n for item in lags), default=0),
        "lags": [item.as_dict() for item in lags],
    }


def evidence(cause: dict[int, float], effect: dict[int, float], max_lag: int) -> dict:
    """The `evidence` block of two indexed series."""
    return evidence_of(lagged_correlations(cause, effect, max_lag))


def evidence_differenced(cause: dict[int, float], effect: dict[int, float], max_lag: int) -> dict:
    """The same on first differences, so that a shared trend is not mistaken for a link."""
    return evidence(differenced(cause), differenced(effect), max_lag)


def evidence_many(requests: list[tuple[dict, dict, int]]) -> list[tuple[dict, dict]]:
    """(evidence, evidence_differenced) of many (cause, effect, max_lag), batched."""
    differences = [(differenced(c), differenced(e), lag) for c, e, lag in requests]
    lags = correlations_many([*requests, *differences])
    count = len(requests)
    return [(evidence_of(lags[i]), evidence_of(lags[count + i])) for i in range(count)]


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
    """Whether past cause values help predict the effect beyond the effect's own past, at `lag`,
    over the longest run of consecutive periods in which both have a value: the SSR F-test of
    Granger causality (the `ssr_ftest` of statsmodels' `grangercausalitytests`), as statsmodels'
    `compare_f_test` of the OLS fit with the cause's lags against the fit without them. A lag
    below 1 is tested at 1 (Granger needs a past)."""
    lag = max(1, lag)
    run = longest_common_run(cause, effect)
    result = {"lag": lag, "n": len(run), "f": None, "p_value": None, "reason": None}
    # Each lag costs two parameters; fewer observations leave no degrees of freedom.
    if len(run) < 3 * lag + 4:
        return {**result, "reason": NOT_ENOUGH_DATA}
    ys, xs = np.array([effect[t] for t in run]), np.array([cause[t] for t in run])
    if np.ptp(ys) == 0 or np.ptp(xs) == 0:
        return {**result, "reason": CONSTANT_SERIES}
    fitted = _granger_fits(ys, xs, lag)
    if fitted is None:
        return {**result, "reason": PERFECT_FIT}
    f, p = fitted
    return {**result, "f": f, "p_value": p}


def _granger_fits(ys: np.ndarray, xs: np.ndarray, lag: int) -> tuple[float, float] | None:
    """(F, p) of the cause's lags, or None when the effect's own past fits it exactly."""
    import statsmodels.api as sm

    n = len(ys)
    own = np.column_stack([ys[lag - k : n - k] for k in range(1, lag + 1)])
    other = np.column_stack([xs[lag - k : n - k] for k in range(1, lag + 1)])
    target = ys[lag:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        restricted = sm.OLS(target, sm.add_constant(own, has_constant="add")).fit()
        unrestricted = sm.OLS(
            target, sm.add_constant(np.column_stack([own, other]), has_constant="add")
        ).fit()
        # A residual sum of squares of (numerically) zero leaves F undefined.
        if unrestricted.ssr <= 1e-20 * max(1.0, float(np.sum(target**2))):
            return None
        f, p, _df = unrestricted.compare_f_test(restricted)
    f, p = _finite(f), _finite(p)
    if f is None or p is None:
        return None
    return f, p
