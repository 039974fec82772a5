"""The shared test scorecard scores its latest complete month as worked by hand."""

import pytest

from scorecard import selectors
from tests.scorecard.scorecard_data import VALUES, progress_of, small_scorecard


@pytest.mark.django_db
def test_the_small_scorecard_scores_the_latest_complete_month(organisation, api):
    scorecard, _found = small_scorecard(organisation, api)

    detail = selectors.scorecard_detail(scorecard=scorecard)

    latest = {code: values[-2] for code, values in VALUES.items()}
    customer = (
        2 * progress_of("fast_quote", latest["fast_quote"]) + progress_of("nps", latest["nps"])
    ) / 3
    financial = progress_of("premium_revenue", latest["premium_revenue"])
    internal = progress_of("engine_up", latest["engine_up"])
    scores = [p.score for p in detail.perspectives]
    assert scores == pytest.approx([financial, customer, internal, None])
    assert detail.total.score == pytest.approx((financial + customer + internal) / 3)
    assert detail.maturity.level == 3  # impact, execution, prerequisite; no choice
