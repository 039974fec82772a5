"""Scoring a period value: progress to target, band position, assessment, weighted scores."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from operator import itemgetter
from typing import TypeVar

T = TypeVar("T")

DIRECTIONS = ("higher_is_better", "lower_is_better", "in_range")
POSITIONS = ("below", "within", "above")

# position -> assessment, per direction
_ASSESSMENTS = {
    "higher_is_better": {"below": "worse", "within": "expected", "above": "better"},
    "lower_is_better": {"below": "better", "within": "expected", "above": "worse"},
    "in_range": {"below": "worse", "within": "expected", "above": "worse"},
}


def progress(value: float | None, baseline: float | None, target: float | None) -> float | None:
    """clamp((value - baseline) / (target - baseline), 0, 1).

    The sign of target - baseline carries the direction, so lower-is-better needs no special case.
    None when any input is None or target == baseline.
    """
    if value is None or baseline is None or target is None or target == baseline:
        return None
    return min(1.0, max(0.0, (value - baseline) / (target - baseline)))


def band_position(value: float | None, low: float | None, high: float | None) -> str | None:
    """Position in the band: "below" if value < low, "above" if value > high, else "within".

    A None bound is open; None when value is None or both bounds are None.
    """
    if value is None or (low is None and high is None):
        return None
    if low is not None and value < low:
        return "below"
    if high is not None and value > high:
        return "above"
    return "within"


def assessment(position: str | None, direction: str) -> str | None:
    """worse / expected / better for a band position, read in the indicator's direction."""
    if direction not in _ASSESSMENTS:
        raise ValueError(
            f"unknown direction '{direction}'; expected one of {', '.join(DIRECTIONS)}"
        )
    if position is None:
        return None
    if position not in POSITIONS:
        raise ValueError(f"unknown band position '{position}'")
    return _ASSESSMENTS[direction][position]


def entry_in_force(entries: Iterable[T], on: date, *, valid_from: Callable[[T], date]) -> T | None:
    """The entry with the latest `valid_from(entry)` on or before `on`, or None; order-free.

    On equal dates the entry that comes later in `entries` wins.
    """
    best, best_from = None, None
    for entry in entries:
        day = valid_from(entry)
        if day <= on and (best_from is None or day >= best_from):
            best, best_from = entry, day
    return best


def in_force(series: Sequence[tuple[date, float]], on: date) -> float | None:
    """Value of the latest (from, value) entry dated on or before `on` (targets, benchmarks,
    bands); see `entry_in_force`."""
    best = entry_in_force(series, on, valid_from=itemgetter(0))
    return None if best is None else best[1]


def weighted_mean(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    """sum(w * s) / sum(w) over the (score s, weight w) pairs that have a score.

    Weights are renormalised over the scored pairs; None if no pair is scored or the scored
    weights sum to 0.
    """
    scored = [(score, weight) for score, weight in pairs if score is not None]
    total = math.fsum(weight for _, weight in scored)
    if not scored or total == 0:
        return None
    return math.fsum(score * weight for score, weight in scored) / total
