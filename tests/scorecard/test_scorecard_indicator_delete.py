"""Deleting an indicator takes its measures with it (cascade); the scorecards that measured it
are re-scored right after the commit (the indicators-changed hook), not at the hourly refresh."""

from datetime import date

import pytest
from django.utils import timezone

from indicators.models import PeriodValue
from indicators.services import delete_indicator
from scorecard.models import Score
from scorecard.services import create_objective, create_scorecard, refresh_scores
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


def with_progress(organisation, code, progress):
    indicator = IndicatorFactory(organisation=organisation, code=code, period="month")
    PeriodValue.objects.create(
        indicator=indicator,
        period="month",
        segment="",
        period_start=MARCH,
        value=1.0,
        progress=progress,
        computed_at=timezone.now(),
    )
    return indicator


def test_deleting_a_measured_indicator_rescores_its_scorecard(
    organisation, django_capture_on_commit_callbacks
):
    fast = with_progress(organisation, "fast", 0.9)
    calls = with_progress(organisation, "calls", 0.3)
    scorecard = create_scorecard(organisation=organisation, data={"name": "Company"})
    objective = create_objective(
        perspective=scorecard.perspectives.get(kind="customer"),
        data={"title": "Answers on the first call", "measures": [(fast, 1.0), (calls, 2.0)]},
    )
    refresh_scores(scorecard=scorecard)
    # (0.9 * 1 + 0.3 * 2) / 3 = 0.5
    score = Score.objects.get(part="objective", part_id=objective.pk, period_start=MARCH)
    assert score.score == pytest.approx(0.5)

    with django_capture_on_commit_callbacks(execute=True):
        delete_indicator(indicator=calls)

    # Only "fast" measures it now: 0.9 * 1 / 1 = 0.9; the gone measure has no score left.
    score.refresh_from_db()
    assert score.score == pytest.approx(0.9)
    assert Score.objects.filter(part="measure", period_start=MARCH).count() == 1
