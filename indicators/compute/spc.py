"""Statistical process control: XmR (individuals and moving range) chart limits and signals."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

SCALING = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two points
RUN_LENGTH = 8


@dataclass(frozen=True)
class XmrLimits:
    """Centre line and natural process limits of an XmR chart."""

    centre: float
    lower: float
    upper: float
    mean_moving_range: float


def xmr_limits(values: Sequence[float]) -> XmrLimits | None:
    """centre = mean(x); limits = centre -/+ 2.66 * mean(|x_i - x_(i-1)|); None below 2 values."""
    if len(values) < 2:
        return None
    centre = statistics.fmean(values)
    mean_moving_range = statistics.fmean(abs(b - a) for a, b in pairwise(values))
    spread = SCALING * mean_moving_range
    return XmrLimits(centre, centre - spread, centre + spread, mean_moving_range)


def xmr_signals(values: Sequence[float]) -> list[str | None]:
    """One signal per value, or None.

    "above_limit" / "below_limit" for a point beyond a limit; otherwise "run_above" / "run_below"
    for every point of a run of 8 or more consecutive points strictly on one side of the centre
    (a point exactly on the centre breaks a run).
    """
    limits = xmr_limits(values)
    if limits is None:
        return [None] * len(values)
    signals: list[str | None] = [_limit_signal(x, limits) for x in values]
    sides = [(x > limits.centre) - (x < limits.centre) for x in values]
    start = 0
    while start < len(values):
        end = start
        while end < len(values) and sides[end] == sides[start]:
            end += 1
        if sides[start] != 0 and end - start >= RUN_LENGTH:
            run = "run_above" if sides[start] > 0 else "run_below"
            for i in range(start, end):
                signals[i] = signals[i] or run
        start = end
    return signals


def _limit_signal(value: float, limits: XmrLimits) -> str | None:
    if value > limits.upper:
        return "above_limit"
    if value < limits.lower:
        return "below_limit"
    return None
