"""Scores, intervals and differences of `surveys.compute`, checked against scipy / statsmodels on
the raw answers (not the frequency tables compute works on) and against worked examples."""

import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from surveys import compute

Z = stats.norm.ppf(0.975)


def counts(values) -> dict[int, int]:
    return dict(Counter(values))


def nps_contributions(values) -> np.ndarray:
    """+100 per promoter, 0 per passive, -100 per detractor: NPS is their mean."""
    values = np.asarray(values)
    return np.where(values >= 9, 100.0, np.where(values <= 6, -100.0, 0.0))


# A skewed set of answers with every scale point used at least once.
NPS_ANSWERS = [10] * 23 + [9] * 17 + [8] * 11 + [7] * 9 + [6] * 5 + [5] * 4 + [3] * 3 + [0] * 2
CSAT_ANSWERS = [5] * 31 + [4] * 22 + [3] * 12 + [2] * 6 + [1] * 4
CES_ANSWERS = [7] * 3 + [6] * 9 + [5] * 14 + [4] * 11 + [3] * 6 + [2] * 4 + [1] * 2


def test_nps_worked_by_hand():
    # 50 promoters, 20 passives, 30 detractors of 100: p = 0.5, d = 0.3, NPS = 100 (0.5 - 0.3) = 20;
    # MoE95 = 1.96 * 100 * sqrt(((0.5 + 0.3) - (0.5 - 0.3)^2) / 100)
    #       = 196 * sqrt((0.8 - 0.04) / 100) = 196 * sqrt(0.0076) = 196 * 0.0871780 = 17.0869
    answers = [10] * 30 + [9] * 20 + [8] * 20 + [6] * 10 + [0] * 20
    score = compute.score("nps", (0, 10), counts(answers), 30)
    assert score.n == 100
    assert score.score == pytest.approx(20)
    assert (score.promoters, score.passives, score.detractors) == pytest.approx((50, 20, 30))
    assert score.moe95 == pytest.approx(17.0869, abs=1e-4)
    assert (score.ci_low, score.ci_high) == pytest.approx((20 - 17.0869, 20 + 17.0869), abs=1e-4)
    assert score.too_few is False
    assert dict(score.distribution) == {
        0: 20, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 10, 7: 0, 8: 20, 9: 20, 10: 30
    }  # fmt: skip


def test_nps_and_its_moe_from_the_raw_answers():
    contributions = nps_contributions(NPS_ANSWERS)
    n = len(NPS_ANSWERS)
    score = compute.score("nps", (0, 10), counts(NPS_ANSWERS), 30)
    assert score.n == n
    assert score.score == pytest.approx(contributions.mean())
    # The formula's variance is the population variance of the +100/0/-100 contributions.
    assert score.moe95 == pytest.approx(1.96 * np.std(contributions, ddof=0) / math.sqrt(n))
    assert score.promoters == pytest.approx(100 * np.mean(np.asarray(NPS_ANSWERS) >= 9))
    assert score.detractors == pytest.approx(100 * np.mean(np.asarray(NPS_ANSWERS) <= 6))


def test_nps_interval_stays_inside_the_scale():
    score = compute.score("nps", (0, 10), {10: 30, 6: 1}, 30)
    assert score.ci_high == 100
    assert score.score + score.moe95 > 100


def test_csat_is_the_top_two_box_share_with_a_wilson_interval():
    top = sum(1 for v in CSAT_ANSWERS if v >= 4)
    low, high = proportion_confint(top, len(CSAT_ANSWERS), alpha=0.05, method="wilson")
    score = compute.score("csat", (1, 5), counts(CSAT_ANSWERS), 30)
    assert score.score == pytest.approx(100 * top / len(CSAT_ANSWERS))
    assert score.top_box == score.score
    assert (score.ci_low, score.ci_high) == pytest.approx((100 * low, 100 * high))
    assert score.promoters is None and score.moe95 is None


def test_csat_wilson_worked_by_hand():
    # 40 of 50 in the top two boxes: p = 0.8, z = 1.959964, z^2 = 3.841459;
    # centre = (p + z^2 / 2n) / (1 + z^2 / n) = (0.8 + 0.0384146) / 1.0768292 = 0.778596;
    # half = z sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2 / n)
    #      = 1.959964 * sqrt(0.0032 + 0.000384146) / 1.0768292 = 0.117339 / 1.0768292 = 0.108967;
    # interval 0.778596 -/+ 0.108967 = 0.669629 .. 0.887563
    score = compute.score("csat", (1, 5), {5: 25, 4: 15, 3: 6, 1: 4}, 30)
    assert score.score == pytest.approx(80)
    assert (score.ci_low, score.ci_high) == pytest.approx((66.9629, 88.7563), abs=1e-3)


def test_ces_mean_with_a_t_interval_from_the_raw_answers():
    values = np.asarray(CES_ANSWERS, dtype=float)
    sem = np.std(values, ddof=1) / math.sqrt(len(values))
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=sem)
    score = compute.score("ces", (1, 7), counts(CES_ANSWERS), 30)
    assert score.score == pytest.approx(values.mean())
    assert (score.ci_low, score.ci_high) == pytest.approx((low, high))
    assert score.top_box is None


def test_ces_worked_by_hand():
    # Answers 2, 4, 6: mean 4, sample sd sqrt(((-2)^2 + 0 + 2^2) / 2) = 2, sem 2 / sqrt(3) = 1.154701;
    # t(0.975, 2) = 4.302653: interval 4 -/+ 4.968275
    score = compute.score("ces", (1, 7), {2: 1, 4: 1, 6: 1}, 30)
    assert score.score == pytest.approx(4)
    assert (score.ci_low, score.ci_high) == pytest.approx((-0.968275, 8.968275), abs=1e-5)


def test_likert_gives_the_mean_and_the_top_two_box_share():
    answers = [5, 5, 4, 4, 4, 3, 2, 1, 1, 1]
    score = compute.score("likert", (1, 5), counts(answers), 10)
    assert score.score == pytest.approx(3.0)
    assert score.top_box == pytest.approx(50)
    assert score.too_few is False


def test_one_answer_has_a_mean_but_no_interval():
    score = compute.score("ces", (1, 7), {5: 1}, 30)
    assert (score.n, score.score, score.ci_low, score.ci_high) == (1, 5.0, None, None)


def test_no_answers_have_no_score():
    score = compute.score("nps", (0, 10), {}, 30)
    assert (score.n, score.score, score.moe95, score.too_few) == (0, None, None, True)


@pytest.mark.parametrize(("n", "min_n", "too_few"), [(29, 30, True), (30, 30, False), (9, 10, True), (10, 10, False)])  # fmt: skip
def test_too_few_below_the_minimum_n(n, min_n, too_few):
    score = compute.score("nps", (0, 10), {9: n}, min_n)
    assert score.too_few is too_few
    assert score.score == 100  # the score is still given


def test_nps_difference_from_the_raw_answers():
    a = NPS_ANSWERS
    b = [10] * 10 + [9] * 8 + [8] * 12 + [6] * 9 + [2] * 7
    ca, cb = nps_contributions(a), nps_contributions(b)
    estimate = ca.mean() - cb.mean()
    error = math.sqrt(np.var(ca) / len(a) + np.var(cb) / len(b))
    found = compute.difference("nps", (0, 10), counts(a), counts(b))
    assert found.estimate == pytest.approx(estimate)
    z = stats.norm.ppf(0.975)  # the exact quantile: only the NPS's own MoE uses the literal 1.96
    assert (found.ci_low, found.ci_high) == pytest.approx(
        (estimate - z * error, estimate + z * error)
    )
    assert found.p_value == pytest.approx(2 * stats.norm.sf(abs(estimate) / error))
    assert found.distinguishable is bool(found.p_value < 0.05)
    assert (found.n_a, found.n_b) == (len(a), len(b))


def test_csat_difference_is_a_wald_interval_of_two_proportions():
    a, b = CSAT_ANSWERS, [5] * 10 + [4] * 12 + [3] * 15 + [2] * 8 + [1] * 5
    pa = sum(v >= 4 for v in a) / len(a)
    pb = sum(v >= 4 for v in b) / len(b)
    error = math.sqrt(pa * (1 - pa) / len(a) + pb * (1 - pb) / len(b))
    found = compute.difference("csat", (1, 5), counts(a), counts(b))
    assert found.estimate == pytest.approx(100 * (pa - pb))
    assert (found.ci_low, found.ci_high) == pytest.approx(
        (100 * (pa - pb - Z * error), 100 * (pa - pb + Z * error))
    )
    assert found.p_value == pytest.approx(2 * stats.norm.sf(abs(pa - pb) / error))
    assert found.distinguishable is True


def test_mean_difference_is_welchs_t_test_on_the_raw_answers():
    a = np.asarray(CES_ANSWERS, dtype=float)
    b = np.asarray([7] * 8 + [6] * 12 + [5] * 9 + [4] * 4 + [2] * 1, dtype=float)
    welch = stats.ttest_ind(a, b, equal_var=False)
    interval = welch.confidence_interval(0.95)
    found = compute.difference("ces", (1, 7), counts(a.astype(int)), counts(b.astype(int)))
    assert found.estimate == pytest.approx(a.mean() - b.mean())
    assert (found.ci_low, found.ci_high) == pytest.approx((interval.low, interval.high))
    assert found.p_value == pytest.approx(welch.pvalue)
    assert welch.pvalue < 0.05
    assert found.distinguishable is True


def test_same_answers_are_not_distinguishable():
    found = compute.difference("ces", (1, 7), counts(CES_ANSWERS), counts(CES_ANSWERS))
    assert found.estimate == 0
    assert found.p_value == pytest.approx(1)
    assert found.distinguishable is False


def test_no_difference_below_two_answers_a_side():
    assert compute.difference("nps", (0, 10), {9: 1}, {9: 40}) is None
    assert compute.difference("ces", (1, 7), {}, {3: 40}) is None


def test_correlation_is_pearsons_r_with_its_p_value():
    xs = [1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 8.0, 9.0, 11.0, 12.0, 14.0]
    ys = [2.1, 2.9, 3.2, 4.8, 5.1, 6.9, 8.3, 8.8, 10.2, 12.5, 13.1]
    expected = stats.pearsonr(xs, ys)
    found = compute.correlation(xs, ys)
    assert found.r == pytest.approx(np.corrcoef(xs, ys)[0, 1])
    assert found.p_value == pytest.approx(expected.pvalue)
    assert (found.n, found.few) == (11, False)
    small = compute.correlation(xs[:5], ys[:5])
    assert small.few is True
    assert compute.correlation([1, 1, 1], [1, 2, 3]).r is None


def test_shares_stay_within_0_and_100():
    # 29 promoters and 1 detractor: no passive at all, exactly 0 (not a rounding residue below).
    found = compute.score("nps", (0, 10), {10: 29, 0: 1}, 30)
    assert found.passives == 0
    assert found.promoters + found.detractors == pytest.approx(100)
