"""The status rule of the results chain, in one place (pure: no ORM).

A node's status comes, first match wins, from

1. its own indicators, when it has any: each indicator's status by the platform's rule
   (`indicators.compute.status.indicator_status` on its latest value, assessment and
   progress; stale counts as no data) scores 1 on track, 0.75 at risk (the middle of the
   at-risk band), 0 off track. The node's score is the weighted mean of those scores over the
   indicators that have data (weights renormalised over them); no indicator with data gives
   no data;
2. else the nodes that contribute to it: the mean of their scores over those that have one;
3. else nothing: no data, and the node is an unmeasured link.

The score maps back to a status with the platform's thresholds: >= 0.9 on track, >= 0.6 at
risk, else off track. So a node whose indicators are all at risk is at risk (0.75), and so is
an output whose activities are; one on-track and one off-track indicator of equal weight (0.5)
are off track together, three on track with one off track (0.75) are at risk, and three on
track with one at risk (0.9375) are on track. A score is rounded to 12 decimals, so that
weights such as 0.3, 0.3 and 0.15 (on track, at risk, on track: exactly 0.9) are not put at
risk by the last bit of a float.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from indicators.compute.status import (
    AT_RISK,
    AT_RISK_FROM,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    ON_TRACK_FROM,
    rollup_status,
)

STATUS_SCORES = {ON_TRACK: 1.0, AT_RISK: 0.75, OFF_TRACK: 0.0}
SCORE_DECIMALS = 12
LEVEL_ORDER = ("activity", "output", "outcome", "impact")
# A link goes from a lower rank to a higher one.
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVEL_ORDER)}


def chain_order_key(node) -> tuple:
    """How pages list nodes: by level in chain order (activity, output, outcome, impact), then
    by title (any case), then by id."""
    return LEVEL_RANK[node.level], node.title.lower(), node.pk


# Where attention goes: outcomes (leading) first, then impact (lagging), then the work; in a
# level, off track first, then at risk, no data and on track.
ATTENTION_LEVELS = ("outcome", "impact", "output", "activity")
ATTENTION_STATUSES = (OFF_TRACK, AT_RISK, NO_DATA, ON_TRACK)
FROM_INDICATORS = "indicators"
FROM_CONTRIBUTORS = "contributors"
FROM_NOTHING = "none"


@dataclass(frozen=True, slots=True)
class Rollup:
    """A node's status, its score 0..1 (None without data) and what decided it."""

    status: str
    score: float | None
    source: str


def status_of_score(score: float | None) -> str:
    """on track >= 0.9, at risk >= 0.6, else off track; None is no data."""
    if score is None:
        return NO_DATA
    if score >= ON_TRACK_FROM:
        return ON_TRACK
    return AT_RISK if score >= AT_RISK_FROM else OFF_TRACK


def weighted_score(parts: Iterable[tuple[float | None, float]]) -> float | None:
    """The weighted mean of the scores that are not None, weights renormalised over them:
    sum(score * weight) / sum(weight) over those, rounded to `SCORE_DECIMALS`; None when no
    score with a weight above 0 is left."""
    counted = [(score, weight) for score, weight in parts if score is not None and weight > 0]
    total = math.fsum(weight for _score, weight in counted)
    if not total:
        return None
    return round(math.fsum(score * weight for score, weight in counted) / total, SCORE_DECIMALS)


def indicators_score(statuses: Iterable[tuple[str, float]]) -> float | None:
    """The score of (indicator status, weight) pairs: 1 / 0.75 / 0 per status, weighted."""
    return weighted_score(
        (STATUS_SCORES.get(rollup_status(status)), weight) for status, weight in statuses
    )


def node_rollup(*, own: list[tuple[str, float]], contributor_scores: list[float | None]) -> Rollup:
    """The status of one node (the module docstring's rule)."""
    if own:
        score = indicators_score(own)
        return Rollup(status_of_score(score), score, FROM_INDICATORS)
    if contributor_scores:
        score = weighted_score((score, 1.0) for score in contributor_scores)
        return Rollup(status_of_score(score), score, FROM_CONTRIBUTORS)
    return Rollup(NO_DATA, None, FROM_NOTHING)


def chain_rollup(
    *,
    levels: Mapping[int, str],
    own: Mapping[int, list[tuple[str, float]]],
    contributors: Mapping[int, list[int]],
    known: Mapping[int, Rollup] | None = None,
    only: set[int] | None = None,
) -> dict[int, Rollup]:
    """The rollup of every node in `only` (default: all of `levels`), lowest level first.

    `levels` maps node id -> level, `own` node id -> [(indicator status, weight)],
    `contributors` node id -> ids of the nodes that contribute to it. A contributor outside
    `only` counts with its `known` rollup (the stored one). Links only point upwards, so
    walking the levels in order sees every contributor before the node it contributes to.
    """
    known = dict(known or {})
    todo = set(levels) if only is None else only
    result: dict[int, Rollup] = {}
    for node_id in sorted(todo, key=lambda pk: (LEVEL_RANK[levels[pk]], pk)):
        scores = [
            (result.get(pk) or known.get(pk) or Rollup(NO_DATA, None, FROM_NOTHING)).score
            for pk in contributors.get(node_id, ())
        ]
        result[node_id] = node_rollup(own=list(own.get(node_id, ())), contributor_scores=scores)
    return result


def upward_closure(seeds: Iterable[int], targets: Mapping[int, list[int]]) -> set[int]:
    """`seeds` and every node they contribute to, directly or through others."""
    seen, todo = set(), list(seeds)
    while todo:
        node_id = todo.pop()
        if node_id not in seen:
            seen.add(node_id)
            todo.extend(targets.get(node_id, ()))
    return seen


@dataclass(frozen=True, slots=True)
class IndirectLink:
    """Shown node `source` leads to shown node `target` only through hidden nodes: `through`
    counts those nodes by level, lowest level first, e.g. (("output", 2),)."""

    source: int
    target: int
    through: tuple[tuple[str, int], ...]

    @property
    def pair(self) -> tuple[int, int]:
        return (self.source, self.target)


def links_through_hidden(
    links: list[tuple[int, int]], *, shown: set[int], level_of: dict[int, str]
) -> list[IndirectLink]:
    """For each pair of `shown` nodes (s, t) not linked directly, where a path s -> ... -> t
    runs through hidden nodes only (every node in `level_of` but not in `shown` is hidden): one
    `IndirectLink`, counting the hidden nodes that lie on such paths (reachable upwards from s
    and downwards from t through hidden nodes). Pure; pairs by source, then target."""
    up, down = defaultdict(list), defaultdict(list)  # the steps onto hidden nodes only
    shown_up = defaultdict(list)  # the steps onto shown nodes
    for source, target in links:
        (shown_up[source] if target in shown else up[source]).append(target)
        if source not in shown:
            down[target].append(source)

    def hidden_reach(start: int, step) -> set[int]:
        return upward_closure(step.get(start, ()), step)

    direct = set(links)
    below: dict[int, set[int]] = {}
    found = []
    for source in sorted(shown):
        above = hidden_reach(source, up)
        targets = {t for hidden in above for t in shown_up.get(hidden, ())}
        for target in sorted(targets):
            if (source, target) in direct:
                continue
            if target not in below:
                below[target] = hidden_reach(target, down)
            counts = defaultdict(int)
            for hidden in above & below[target]:
                counts[level_of[hidden]] += 1
            through = tuple((level, counts[level]) for level in LEVEL_ORDER if counts[level])
            found.append(IndirectLink(source, target, through))
    return found
