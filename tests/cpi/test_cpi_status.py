"""A hypothesis's status: which evidence decides, and the rules of each (no database)."""

from datetime import date
from types import SimpleNamespace

import pytest

from cpi.compute.status import (
    adjusted_p,
    correlation_status,
    expected_effect,
    hypothesis_status,
)
from cpi.services.evidence import latest_finished_verdict

TODAY = date(2026, 6, 15)


def evidence(r, p_value, n):
    return {"best_lag": 1, "r": r, "p_value": p_value, "n": n, "lags": []}


def test_bonferroni_multiplies_by_the_lags_tried_at_most_1():
    assert adjusted_p(0.01, 4) == pytest.approx(0.04)
    assert adjusted_p(0.3, 4) == 1.0


@pytest.mark.parametrize(
    ("block", "sign", "lags", "answer"),
    [
        (evidence(0.8, 0.012, 12), "positive", 4, "supported"),  # 0.048 < 0.05
        (evidence(0.8, 0.0125, 12), "positive", 4, "inconclusive"),  # 0.05 is not below
        (evidence(0.8, 0.012, 12), "positive", 5, "inconclusive"),  # 0.06 with one lag more
        (evidence(0.8, 0.001, 11), "positive", 1, "inconclusive"),  # n below 12
        (evidence(-0.8, 0.001, 12), "negative", 1, "supported"),
        (evidence(-0.8, 0.001, 12), "positive", 1, "refuted"),
        (evidence(0.8, 0.001, 30), "negative", 3, "refuted"),
        (evidence(0.1, 0.6, 30), "positive", 3, "inconclusive"),
        (evidence(None, None, 2), "positive", 3, "proposed"),
        (None, "positive", 3, "proposed"),
    ],
)
def test_the_correlation_rule(block, sign, lags, answer):
    assert correlation_status(block, expected_sign=sign, lags_tried=lags) == answer


def test_an_experiment_verdict_decides_over_the_correlation():
    strong = evidence(0.9, 1e-6, 40)
    assert hypothesis_status(
        evidence=strong, expected_sign="positive", lags_tried=4, experiment_verdict="refuted"
    ) == ("refuted", "experiment")
    assert hypothesis_status(
        evidence=None, expected_sign="positive", lags_tried=4, experiment_verdict="inconclusive"
    ) == ("inconclusive", "experiment")
    assert hypothesis_status(
        evidence=strong, expected_sign="positive", lags_tried=4, experiment_verdict=None
    ) == ("supported", "correlation")
    assert hypothesis_status(
        evidence=evidence(0.2, 0.5, 40),
        expected_sign="positive",
        lags_tried=4,
        experiment_verdict=None,
    ) == ("inconclusive", "correlation")
    assert hypothesis_status(
        evidence=None, expected_sign="positive", lags_tried=4, experiment_verdict=None
    ) == ("proposed", "none")


def experiment(pk, end, verdict):
    return SimpleNamespace(pk=pk, end=end, result={"verdict": verdict} if verdict else None)


def test_the_latest_finished_experiment_decides_an_unfinished_one_does_not():
    older = experiment(1, date(2026, 3, 31), "refuted")
    newer = experiment(2, date(2026, 5, 31), "supported")
    running = experiment(3, TODAY, "refuted")  # ends today: not finished until tomorrow
    assert latest_finished_verdict([older, newer, running], TODAY) == "supported"
    assert latest_finished_verdict([running], TODAY) is None
    assert latest_finished_verdict([running], date(2026, 6, 16)) == "refuted"
    # Without a verdict (not enough data) a finished experiment does not decide.
    empty = experiment(4, date(2026, 6, 1), None)
    assert latest_finished_verdict([older, empty], TODAY) == "refuted"
    # The same end: the later registered one.
    twin = experiment(5, date(2026, 5, 31), "inconclusive")
    assert latest_finished_verdict([twin, newer], TODAY) == "inconclusive"


@pytest.mark.parametrize(
    ("sign", "direction", "answer"),
    [
        # Fast Quote time (lower is better) -> new customers, expected sign negative: the
        # treatment shortens the time, so new customers should rise.
        ("negative", "lower_is_better", "positive"),
        ("positive", "lower_is_better", "negative"),
        ("positive", "higher_is_better", "positive"),
        ("negative", "higher_is_better", "negative"),
        ("positive", "in_range", "positive"),
    ],
)
def test_expected_effect_follows_the_sign_and_the_cause_direction(sign, direction, answer):
    assert expected_effect(expected_sign=sign, cause_direction=direction) == answer
