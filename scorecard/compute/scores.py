"""Scores of a scorecard in one period (DESIGN section 5).

- measure score = its indicator's progress against target in the period,
  clamp((v - baseline) / (target - baseline), 0, 1), as the period value stores it; no
  progress (no value, no target or no baseline) is no data;
- objective score = the weighted mean of its measures' scores over the measures that have
  data (weights renormalised over them); perspective score likewise over its objectives, and
  the scorecard score over its perspectives. No child with data (or only weight 0) is no data.

A score is rounded to 12 decimals (`outcomes.compute.weighted_score`), so that weights such as
0.3 / 0.3 / 0.15 that make exactly 0.9 are not put at risk by the last bit of a float.

A status reads a score with the scorecard's thresholds: >= on_track_from on track,
>= at_risk_from at risk, else off track; None is no data.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from indicators.compute.status import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK
from outcomes.compute import weighted_score

SCORECARD, PERSPECTIVE, OBJECTIVE, MEASURE = "scorecard", "perspective", "objective", "measure"


@dataclass(frozen=True, slots=True)
class MeasureNode:
    id: int
    indicator_id: int
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class ObjectiveNode:
    id: int
    weight: float = 1.0
    measures: tuple[MeasureNode, ...] = ()


@dataclass(frozen=True, slots=True)
class PerspectiveNode:
    id: int
    weight: float = 1.0
    objectives: tuple[ObjectiveNode, ...] = ()


@dataclass(frozen=True, slots=True)
class Tree:
    """The weighted structure of one scorecard, as the scoring sees it."""

    id: int
    perspectives: tuple[PerspectiveNode, ...] = field(default=())

    @property
    def indicator_ids(self) -> set[int]:
        return {
            measure.indicator_id
            for perspective in self.perspectives
            for objective in perspective.objectives
            for measure in objective.measures
        }


Key = tuple[str, int]


def tree_scores(tree: Tree, progress: Mapping[int, float | None]) -> dict[Key, float | None]:
    """{(part, id): score 0..1 or None} of every part of `tree` in one period.

    `progress` maps indicator id -> its progress in the period (missing: no data)."""
    scores: dict[Key, float | None] = {}
    perspective_parts = []
    for perspective in tree.perspectives:
        objective_parts = []
        for objective in perspective.objectives:
            measure_parts = []
            for measure in objective.measures:
                score = progress.get(measure.indicator_id)
                scores[(MEASURE, measure.id)] = score
                measure_parts.append((score, measure.weight))
            score = weighted_score(measure_parts)
            scores[(OBJECTIVE, objective.id)] = score
            objective_parts.append((score, objective.weight))
        score = weighted_score(objective_parts)
        scores[(PERSPECTIVE, perspective.id)] = score
        perspective_parts.append((score, perspective.weight))
    scores[(SCORECARD, tree.id)] = weighted_score(perspective_parts)
    return scores


def status_of_score(
    score: float | None, *, on_track_from: float = 0.9, at_risk_from: float = 0.6
) -> str:
    """on track >= on_track_from, at risk >= at_risk_from, else off track; None: no data."""
    if score is None:
        return NO_DATA
    if score >= on_track_from:
        return ON_TRACK
    return AT_RISK if score >= at_risk_from else OFF_TRACK
