"""The scores' indicators-changed handler (`indicators.hooks`): an indicator deleted takes its
measures with it (cascade), so the scorecards that measured it are re-scored.

Registered in `ScorecardConfig.ready()`. It is called inside the indicator's transaction, before
the delete, so it reads which scorecards measure the indicators while the measures are still
there; after the commit it re-scores each one's whole history (`services.scores`), which drops
the scores of the measures that went. A change of `stale_grace_days` changes no score: scores
follow the period values' progress, not staleness.
"""

from indicators.hooks import IndicatorsChanged

from .models import Measure, Scorecard
from .services.scores import refresh_scores


def scores_on_indicators_changed(change: IndicatorsChanged):
    """The scorecards that measure `change`'s indicators, now; their re-scoring, after the
    commit (None when no scorecard measures them, or nothing is deleted)."""
    if not change.deleting:
        return None
    scorecard_ids = set(
        Measure.objects.filter(
            objective__perspective__scorecard__organisation_id=change.organisation_id,
            indicator_id__in=change.indicator_ids,
        ).values_list("objective__perspective__scorecard_id", flat=True)
    )
    if not scorecard_ids:
        return None

    def rescore() -> None:
        for scorecard in Scorecard.objects.filter(pk__in=scorecard_ids).order_by("pk"):
            refresh_scores(scorecard=scorecard)

    return rescore
