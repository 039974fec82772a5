"""The Granger sentence of the hypothesis page says why there is no test, in plain words."""

from types import SimpleNamespace

import pytest

from cpi.views.pages import granger_words


def hypothesis(granger):
    return SimpleNamespace(
        granger=granger,
        cause=SimpleNamespace(name="Fast Quote"),
        effect=SimpleNamespace(name="New customers"),
    )


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("perfect_fit", "New customers is predicted exactly by its own past"),
        ("constant_series", "one of the two series is constant"),
        ("not_enough_data", "not enough consecutive periods in common"),
    ],
)
def test_a_missing_granger_test_says_why(reason, words):
    granger = {"lag": 1, "n": 5, "f": None, "p_value": None, "reason": reason}
    assert words in granger_words(hypothesis(granger))


def test_a_granger_test_gives_f_p_and_the_periods():
    granger = {"lag": 1, "n": 17, "f": 198.53, "p_value": 0.00001, "reason": None}
    text = granger_words(hypothesis(granger))
    assert "past values of Fast Quote help predict New customers" in text
    assert "17 periods" in text
