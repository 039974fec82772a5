"""Keep every scorecard's score history fresh (the rule is `compute.scores`).

A scorecard is scored at its own `period`: each period start where an indicator it measures
has a period value (total over all segments) gets a score for every part that has data. The
history is re-scored whole after each change of the scorecard's structure, weights or period,
and for the changed period starts only through the values-changed hooks; an hourly task
re-scores everything. Each call costs a fixed handful of queries, whatever the size of the
scorecard, and writes only the scores that changed.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone

from indicators.hooks import ValuesChanged
from indicators.models import PeriodValue

from ..compute.scores import MeasureNode, ObjectiveNode, PerspectiveNode, Tree, tree_scores
from ..models import Measure, Objective, Perspective, Score, Scorecard

logger = logging.getLogger(__name__)


def lock_scorecard(scorecard: Scorecard) -> None:
    """Hold the scorecard's row until the current transaction ends: one writer of its
    structure and scores at a time (PostgreSQL; SQLite serialises writers by itself)."""
    Scorecard.objects.select_for_update().filter(pk=scorecard.pk).values_list("pk").first()


def tree_of(scorecard: Scorecard) -> Tree:
    """The scorecard's weighted structure as stored (three queries)."""
    measures = defaultdict(list)
    for pk, objective_id, indicator_id, weight in (
        Measure.objects.filter(objective__perspective__scorecard=scorecard)
        .order_by("position", "pk")
        .values_list("pk", "objective_id", "indicator_id", "weight")
    ):
        measures[objective_id].append(MeasureNode(pk, indicator_id, weight))
    objectives = defaultdict(list)
    for pk, perspective_id, weight in (
        Objective.objects.filter(perspective__scorecard=scorecard)
        .order_by("position", "pk")
        .values_list("pk", "perspective_id", "weight")
    ):
        objectives[perspective_id].append(ObjectiveNode(pk, weight, tuple(measures[pk])))
    perspectives = tuple(
        PerspectiveNode(pk, weight, tuple(objectives[pk]))
        for pk, weight in Perspective.objects.filter(scorecard=scorecard)
        .order_by("position", "pk")
        .values_list("pk", "weight")
    )
    return Tree(scorecard.pk, perspectives)


def refresh_scores(*, scorecard: Scorecard, starts: Iterable[date] | None = None) -> int:
    """Re-score `scorecard` for the period starts `starts` (None: its whole history, dropping
    scores of periods that no longer have data). Returns how many scores changed."""
    with transaction.atomic():
        lock_scorecard(scorecard)
        tree = tree_of(scorecard)
        wanted = None if starts is None else set(starts)
        progress = _progress(tree, scorecard.period, wanted)
        periods = set(progress) if wanted is None else wanted
        computed = {
            (start, part, pk): score
            for start in periods
            for (part, pk), score in tree_scores(tree, progress.get(start, {})).items()
            if score is not None
        }
        changed = _store(scorecard, computed, wanted)
        Scorecard.objects.filter(pk=scorecard.pk).update(scores_at=timezone.now())
    return changed


def _progress(tree: Tree, period: str, starts: set[date] | None) -> dict[date, dict[int, float]]:
    """{period start: {indicator id: progress}} of the tree's indicators (one query)."""
    rows = PeriodValue.objects.filter(
        indicator_id__in=tree.indicator_ids, period=period, segment=""
    ).order_by()
    if starts is not None:
        rows = rows.filter(period_start__in=starts)
    found: dict[date, dict[int, float]] = defaultdict(dict)
    for indicator_id, start, progress in rows.values_list(
        "indicator_id", "period_start", "progress"
    ):
        scored = found[start]  # a period with a value but no progress still has (empty) scores
        if progress is not None:
            scored[indicator_id] = progress
    return found


def _store(scorecard: Scorecard, computed: dict, starts: set[date] | None) -> int:
    stored = Score.objects.filter(scorecard=scorecard)
    if starts is not None:
        stored = stored.filter(period_start__in=starts)
    existing = {
        (s.period_start, s.part, s.part_id): s
        for s in stored.only("pk", "period_start", "part", "part_id", "score")
    }
    gone = [s.pk for key, s in existing.items() if key not in computed]
    changed = [s for key, s in existing.items() if key in computed and s.score != computed[key]]
    for score in changed:
        score.score = computed[(score.period_start, score.part, score.part_id)]
    new = [
        Score(scorecard=scorecard, period_start=start, part=part, part_id=pk, score=value)
        for (start, part, pk), value in computed.items()
        if (start, part, pk) not in existing
    ]
    if gone:
        Score.objects.filter(pk__in=gone).delete()
    Score.objects.bulk_update(changed, ["score"], batch_size=1000)
    Score.objects.bulk_create(new, batch_size=1000)
    return len(gone) + len(changed) + len(new)


def scores_on_values_changed(change: ValuesChanged) -> None:
    """The values-changed handler: re-score the changed period starts of every scorecard that
    measures a changed indicator at the scorecard's period."""
    measured: dict[int, set[int]] = defaultdict(set)
    for scorecard_id, indicator_id in Measure.objects.filter(
        objective__perspective__scorecard__organisation_id=change.organisation_id,
        indicator_id__in=change.indicator_ids,
    ).values_list("objective__perspective__scorecard_id", "indicator_id"):
        measured[scorecard_id].add(indicator_id)
    for scorecard in Scorecard.objects.filter(pk__in=measured).order_by("pk"):
        starts = {
            c.period_start
            for c in change.changed
            if c.indicator_id in measured[scorecard.pk] and c.period == scorecard.period
        }
        if starts:
            count = refresh_scores(scorecard=scorecard, starts=starts)
            if count:
                logger.info("scores refreshed scorecard=%s scores=%d", scorecard.pk, count)


def refresh_every_scorecard() -> int:
    """Re-score every scorecard's whole history (the hourly task); returns the scores changed.
    One scorecard whose refresh fails is logged and does not hold back the others."""
    changed = 0
    for scorecard in Scorecard.objects.order_by("pk"):
        try:
            changed += refresh_scores(scorecard=scorecard)
        except Exception:
            logger.exception("score refresh failed scorecard=%s", scorecard.pk)
    return changed
