"""Survey scores and their uncertainty, from the frequency table of one question's answers.

The database counts the answers per scale point (one GROUP BY); everything here works on those
counts, so a score of 100,000 answers costs the same as one of 100. Formulas are DESIGN section 5:

- NPS on 0..10: promoters 9-10, passives 7-8, detractors 0-6; NPS = 100 (p - d);
  MoE95 = 1.96 * 100 * sqrt(((p + d) - (p - d)^2) / n), the literal 1.96 of that formula;
- CSAT: the share of the top two boxes, with a 95 % Wilson interval;
- CES and likert: the mean, with a 95 % t interval (likert also gives its top-2-box share).

Shares and CSAT are percentages 0..100, NPS in points -100..100, means on the question's scale.
Differences between two groups come with their own 95 % interval (the exact normal or t
quantile) and a p-value; they are
`distinguishable` from noise when the interval excludes 0. Statistics come from scipy and
statsmodels (frequency weights); nothing here re-derives a distribution.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

NPS_Z = 1.96  # the literal of the NPS margin-of-error formula (DESIGN section 5)
PROMOTER_FROM = 9
DETRACTOR_UP_TO = 6
TOP_BOXES = 2
ALPHA = 0.05
FEW_POINTS = 10  # a correlation over fewer points (units) is flagged as small

NPS, CSAT, CES, LIKERT = "nps", "csat", "ces", "likert"
SHARE_TYPES = (NPS, CSAT)  # scored as shares (percentages / points), the rest as means


@dataclass(frozen=True)
class Score:
    """One question's score over a set of answers."""

    type: str
    n: int
    score: float | None
    ci_low: float | None
    ci_high: float | None
    too_few: bool
    promoters: float | None = None
    passives: float | None = None
    detractors: float | None = None
    moe95: float | None = None
    top_box: float | None = None
    distribution: tuple[tuple[int, int], ...] = ()  # (scale point, count), every point

    def as_dict(self) -> dict:
        answer = asdict(self)
        answer["distribution"] = [{"value": v, "count": c} for v, c in self.distribution]
        return answer


@dataclass(frozen=True)
class Difference:
    """`a - b` of two groups' scores, in the score's unit, with a 95 % interval."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    distinguishable: bool
    n_a: int
    n_b: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Correlation:
    r: float | None
    p_value: float | None
    n: int
    few: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _points(scale: tuple[int, int], counts: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    low, high = scale
    values = np.arange(low, high + 1, dtype=float)
    weights = np.array([counts.get(v, 0) for v in range(low, high + 1)], dtype=float)
    return values, weights


def _finite(number) -> float | None:
    number = float(number)
    return number if math.isfinite(number) else None


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _nps_parts(counts: dict[int, int], n: int) -> tuple[float, float]:
    promoters = sum(c for v, c in counts.items() if v >= PROMOTER_FROM)
    detractors = sum(c for v, c in counts.items() if v <= DETRACTOR_UP_TO)
    return promoters / n, detractors / n


def _nps_variance(counts: dict[int, int], n: int) -> float:
    """The variance of one answer's NPS contribution (+1, 0, -1), in NPS points squared."""
    p, d = _nps_parts(counts, n)
    return 100**2 * ((p + d) - (p - d) ** 2)


def _top_count(scale: tuple[int, int], counts: dict[int, int]) -> int:
    return sum(c for v, c in counts.items() if v > scale[1] - TOP_BOXES)


def _nps(n: int, counts: dict[int, int], common: dict) -> Score:
    p, d = _nps_parts(counts, n)
    score = 100 * (p - d)
    moe = NPS_Z * math.sqrt(_nps_variance(counts, n) / n)
    return Score(
        score=score,
        ci_low=_clip(score - moe, -100, 100),
        ci_high=_clip(score + moe, -100, 100),
        promoters=100 * p,
        passives=100 * sum(c for v, c in counts.items() if DETRACTOR_UP_TO < v < PROMOTER_FROM) / n,
        detractors=100 * d,
        moe95=moe,
        **common,
    )


def _csat(n: int, scale, counts: dict[int, int], common: dict) -> Score:
    top = _top_count(scale, counts)
    low, high = proportion_confint(top, n, alpha=ALPHA, method="wilson")
    share = 100 * top / n
    return Score(score=share, ci_low=100 * low, ci_high=100 * high, top_box=share, **common)


def _mean(question_type: str, n: int, scale, counts: dict[int, int], common: dict) -> Score:
    values, weights = _points(scale, counts)
    described = DescrStatsW(values, weights=weights)
    low = high = None
    if n >= 2:
        low, high = (_finite(bound) for bound in described.tconfint_mean(alpha=ALPHA))
    top_box = 100 * _top_count(scale, counts) / n if question_type == LIKERT else None
    return Score(score=float(described.mean), ci_low=low, ci_high=high, top_box=top_box, **common)


def score(question_type: str, scale: tuple[int, int], counts: dict[int, int], min_n: int) -> Score:
    """The score of answers counted per scale point (`counts`: {point: count})."""
    counts = {int(v): int(c) for v, c in counts.items() if c}
    n = sum(counts.values())
    common = {
        "type": question_type,
        "n": n,
        "too_few": n < min_n,
        "distribution": tuple((v, counts.get(v, 0)) for v in range(scale[0], scale[1] + 1)),
    }
    if n == 0:
        return Score(score=None, ci_low=None, ci_high=None, **common)
    if question_type == NPS:
        return _nps(n, counts, common)
    if question_type == CSAT:
        return _csat(n, scale, counts, common)
    return _mean(question_type, n, scale, counts, common)


def _interval(estimate, low, high, p_value, n_a, n_b) -> Difference:
    low, high, p_value = _finite(low), _finite(high), _finite(p_value)
    separated = low is not None and high is not None and (low > 0 or high < 0)
    return Difference(float(estimate), low, high, p_value, separated, n_a, n_b)


def _nps_difference(a: dict, b: dict, n_a: int, n_b: int) -> Difference:
    pa, da = _nps_parts(a, n_a)
    pb, db = _nps_parts(b, n_b)
    estimate = 100 * ((pa - da) - (pb - db))
    error = math.sqrt(_nps_variance(a, n_a) / n_a + _nps_variance(b, n_b) / n_b)
    # The exact normal quantile (DESIGN section 6): the literal 1.96 is only the NPS's own MoE.
    half = stats.norm.ppf(1 - ALPHA / 2) * error
    p_value = 2 * stats.norm.sf(abs(estimate) / error) if error else (0.0 if estimate else 1.0)
    return _interval(estimate, estimate - half, estimate + half, p_value, n_a, n_b)


def _csat_difference(scale, a: dict, b: dict, n_a: int, n_b: int) -> Difference:
    top_a, top_b = _top_count(scale, a), _top_count(scale, b)
    low, high = confint_proportions_2indep(
        top_a, n_a, top_b, n_b, method="wald", compare="diff", alpha=ALPHA
    )
    tested = test_proportions_2indep(top_a, n_a, top_b, n_b, method="wald", compare="diff")
    estimate = 100 * (top_a / n_a - top_b / n_b)
    return _interval(estimate, 100 * low, 100 * high, tested.pvalue, n_a, n_b)


def _mean_difference(scale, a: dict, b: dict, n_a: int, n_b: int) -> Difference:
    values_a, weights_a = _points(scale, a)
    values_b, weights_b = _points(scale, b)
    first, second = (
        DescrStatsW(values_a, weights=weights_a),
        DescrStatsW(values_b, weights=weights_b),
    )
    compared = CompareMeans(first, second)
    low, high = compared.tconfint_diff(alpha=ALPHA, usevar="unequal")
    _t, p_value, _df = compared.ttest_ind(usevar="unequal")
    return _interval(first.mean - second.mean, low, high, p_value, n_a, n_b)


def difference(
    question_type: str, scale: tuple[int, int], a: dict[int, int], b: dict[int, int]
) -> Difference | None:
    """Group a's score minus group b's, or None when either group has fewer than 2 answers."""
    a = {int(v): int(c) for v, c in a.items() if c}
    b = {int(v): int(c) for v, c in b.items() if c}
    n_a, n_b = sum(a.values()), sum(b.values())
    if n_a < 2 or n_b < 2:
        return None
    if question_type == NPS:
        return _nps_difference(a, b, n_a, n_b)
    if question_type == CSAT:
        return _csat_difference(scale, a, b, n_a, n_b)
    return _mean_difference(scale, a, b, n_a, n_b)


def correlation(xs: list[float], ys: list[float]) -> Correlation:
    """Pearson's r of paired points with its p-value; None below three points or without spread."""
    n = len(xs)
    few = n < FEW_POINTS
    if n < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return Correlation(None, None, n, few)
    result = stats.pearsonr(xs, ys)
    return Correlation(_finite(result.statistic), _finite(result.pvalue), n, few)
