"""An experiment's test, effect, 95 % interval and verdict; and the minimum detectable effect.

- Mean-type indicators: Welch's t-test on the raw values of the two arms
  (`scipy.stats.ttest_ind(treatment, control, equal_var=False)`); effect = mean(t) - mean(c) with
  the 95 % CI of Welch-Satterthwaite degrees of freedom.
- Ratio indicators: p = sum(numerator) / sum(denominator) per arm; effect = 100 (p_t - p_c) in
  percentage points; 95 % CI = unpooled Wald (statsmodels `confint_proportions_2indep`,
  method "wald"); p-value of the pooled two-proportion z-test (`proportions_ztest`).
- Verdict: supported when the CI excludes 0 on the expected side, refuted when it excludes 0 on
  the other side, else inconclusive (DESIGN section 5).
"""

import math
import warnings
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext, gettext_noop
from scipy import stats

WELCH = "welch_t"
TWO_PROPORTIONS = "two_proportion_z"
ALPHA = 0.05
POWER = 0.8


# Why an experiment has no result: the stored `reason` is the English text (the API's language),
# `reason_code` and `reason_params` let a page say it in the reader's language (`reason_text`).
REASONS = {
    "no_finite_result": gettext_noop("The arms' values give no finite result (constant values?)."),
    "too_few_values": gettext_noop(
        "The %(arm)s arm has %(n)d value(s); a t-test needs at least 2 per arm."
    ),
    "no_spread": gettext_noop("Both arms are constant: their spread is 0, so no interval exists."),
    "zero_denominator": gettext_noop(
        "The %(arm)s arm's denominators sum to %(denominator)g; a share needs more than 0."
    ),
    "not_a_share": gettext_noop(
        "The %(arm)s arm's numerators exceed its denominators (%(percent).0f %%): not a share."
    ),
    "negative_numerator": gettext_noop("The %(arm)s arm's numerators sum below 0: not a share."),
    "same_extreme_share": gettext_noop(
        "Both arms' shares are the same 0 %% or 100 %%: no spread to test."
    ),
}
ARM_NAMES = {"control": gettext_noop("control"), "treatment": gettext_noop("treatment")}


class NotEnoughData(ValueError):
    """The arms' data cannot give a result; `code` says why (REASONS), `params` fill it in."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(REASONS[code] % params)


def reason_text(code: str | None, params: dict | None, fallback: str = "") -> str:
    """The reason of REASONS in the active language (the arm's role translated too)."""
    if code not in REASONS:
        return fallback
    params = dict(params or {})
    if params.get("arm") in ARM_NAMES:
        params["arm"] = gettext(ARM_NAMES[params["arm"]])
    return gettext(REASONS[code]) % params


@dataclass(frozen=True)
class Arm:
    """One arm's data: raw values (mean-type) or summed numerator and denominator (ratio)."""

    values: tuple[float, ...] = ()
    numerator: float = 0.0
    denominator: float = 0.0
    n: int = 0


def verdict(ci_low: float, ci_high: float, expected_effect: str) -> str:
    """supported | refuted | inconclusive, from the 95 % CI and the expected sign."""
    if ci_low > 0 or ci_high < 0:
        positive = ci_low > 0
        return "supported" if positive == (expected_effect == "positive") else "refuted"
    return "inconclusive"


def _finite(*numbers: float) -> None:
    if not all(math.isfinite(x) for x in numbers):
        raise NotEnoughData("no_finite_result")


def welch(control: list[float], treatment: list[float]) -> dict:
    """Welch's t-test; effect = mean(treatment) - mean(control)."""
    for name, values in (("control", control), ("treatment", treatment)):
        if len(values) < 2:
            raise NotEnoughData("too_few_values", arm=name, n=len(values))
    if np.var(control) == 0 and np.var(treatment) == 0:
        raise NotEnoughData("no_spread")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.ttest_ind(treatment, control, equal_var=False)
        ci = result.confidence_interval(0.95)
    effect = float(np.mean(treatment) - np.mean(control))
    _finite(effect, ci.low, ci.high, result.pvalue)
    return {
        "test": WELCH,
        "effect": effect,
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
        "p_value": float(result.pvalue),
        "df": float(result.df),
        "control": {"n": len(control), "mean": float(np.mean(control))},
        "treatment": {"n": len(treatment), "mean": float(np.mean(treatment))},
    }


def _proportion(name: str, arm: Arm) -> float:
    if arm.denominator <= 0:
        raise NotEnoughData("zero_denominator", arm=name, denominator=arm.denominator)
    share = arm.numerator / arm.denominator
    if share > 1:
        raise NotEnoughData("not_a_share", arm=name, percent=100 * share)
    if share < 0:
        raise NotEnoughData("negative_numerator", arm=name)
    return share


def two_proportions(control: Arm, treatment: Arm) -> dict:
    """Pooled two-proportion z-test p-value; effect and unpooled Wald CI in percentage points."""
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    p_c, p_t = _proportion("control", control), _proportion("treatment", treatment)
    if p_c == p_t and p_c in (0.0, 1.0):
        raise NotEnoughData("same_extreme_share")
    counts = np.array([treatment.numerator, control.numerator])
    nobs = np.array([treatment.denominator, control.denominator])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _z, p_value = proportions_ztest(counts, nobs)
        low, high = confint_proportions_2indep(
            treatment.numerator,
            treatment.denominator,
            control.numerator,
            control.denominator,
            method="wald",
            compare="diff",
            alpha=ALPHA,
        )
    effect = 100 * (p_t - p_c)
    _finite(effect, low, high, p_value)
    return {
        "test": TWO_PROPORTIONS,
        "effect": effect,
        "ci_low": 100 * float(low),
        "ci_high": 100 * float(high),
        "p_value": float(p_value),
        "control": {"n": control.n, "share": 100 * p_c, "denominator": control.denominator},
        "treatment": {"n": treatment.n, "share": 100 * p_t, "denominator": treatment.denominator},
    }


def experiment_result(*, ratio: bool, control: Arm, treatment: Arm, expected_effect: str) -> dict:
    """The contract's `result`: {test, effect, ci_low, ci_high, p_value, verdict, ...}; or
    {verdict: None, reason} when the data cannot give one."""
    try:
        if ratio:
            result = two_proportions(control, treatment)
        else:
            result = welch(list(control.values), list(treatment.values))
    except NotEnoughData as reason:
        arms = {
            name: {"n": arm.n, "denominator": arm.denominator} if ratio else {"n": len(arm.values)}
            for name, arm in (("control", control), ("treatment", treatment))
        }
        return {
            **arms,
            "test": TWO_PROPORTIONS if ratio else WELCH,
            "effect": None,
            "ci_low": None,
            "ci_high": None,
            "p_value": None,
            "verdict": None,
            "reason": str(reason),
            "reason_code": reason.code,
            "reason_params": reason.params,
        }
    return {
        **result,
        "verdict": verdict(result["ci_low"], result["ci_high"], expected_effect),
        "reason": None,
        "reason_code": None,
        "reason_params": None,
    }


def minimum_detectable_effect_mean(*, n_per_arm: int, sd: float) -> float | None:
    """The smallest difference of means a two-sided Welch/t-test with `n_per_arm` per arm detects
    at 80 % power and alpha 0.05, in the indicator's unit: Cohen's d (statsmodels
    `TTestIndPower`) times the observed standard deviation."""
    from statsmodels.stats.power import TTestIndPower

    if n_per_arm < 2 or not sd > 0:
        return None
    d = TTestIndPower().solve_power(
        effect_size=None, nobs1=n_per_arm, alpha=ALPHA, power=POWER, ratio=1.0
    )
    return float(d) * sd


def minimum_detectable_effect_share(*, n_per_arm: float, share: float) -> float | None:
    """The smallest rise of a share (0..1) from `share` that a two-proportion test with
    `n_per_arm` per arm detects at 80 % power and alpha 0.05, in percentage points: Cohen's h
    (statsmodels `NormalIndPower`) turned back into a share."""
    from statsmodels.stats.power import NormalIndPower

    if n_per_arm < 2 or not 0 < share < 1:
        return None
    h = NormalIndPower().solve_power(
        effect_size=None, nobs1=n_per_arm, alpha=ALPHA, power=POWER, ratio=1.0
    )
    angle = 2 * math.asin(math.sqrt(share)) + float(h)
    if angle >= math.pi:
        return 100 * (1 - share)
    return 100 * (math.sin(angle / 2) ** 2 - share)
