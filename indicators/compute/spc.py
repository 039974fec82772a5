"""Statistical process control: XmR (individuals and moving range) chart limits and signals.

Limits (Wheeler's natural process limits), over a baseline window of values x_1..x_k:

    centre      = mean(x)
    mR-bar      = mean(|x_i - x_(i-1)|)                  (k - 1 moving ranges)
    limits      = centre -/+ 2.66 * mR-bar               (2.66 = 3 / d2, d2 = 1.128)
    2-sigma     = centre -/+ 2/3 * 2.66 * mR-bar         (sigma = mR-bar / 1.128, with d2 as rounded
                                                          in 2.66, so 2 sigma is 2/3 of the way out)

A window of fewer than 2 values has no limits, and its points no signals.

Phases: the baseline window is `baseline_points` values starting at the first value whose period
starts on or after `baseline_from` (None: the first value). When `baseline_from` moves the window
past some points, those earlier points form an earlier phase whose limits come from its own first
`baseline_points` values, so the chart shows a step where the limits were recalculated. Every point
of a phase is judged against that phase's limits, also the points after its baseline window.

Signals of a point, each rule read inside its phase (a recalculation starts the counting anew):

- `above_limit` / `below_limit`: the value is beyond the upper / lower limit;
- `run_above` / `run_below`: the value is one of 8 or more consecutive values strictly above /
  below the centre line (a value exactly on the centre breaks the run);
- `two_of_three_above` / `two_of_three_below` (only when asked for): 2 of 3 consecutive values are
  beyond 2 sigma on the same side; the values of such a triple beyond 2 sigma are marked.

When several rules fire on one point the first of limit > run > two_of_three names it.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

SCALING = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two points
TWO_SIGMA = 2 / 3 * SCALING
RUN_LENGTH = 8
DEFAULT_BASELINE_POINTS = 20
SIGNALS = (
    "above_limit",
    "below_limit",
    "run_above",
    "run_below",
    "two_of_three_above",
    "two_of_three_below",
)


@dataclass(frozen=True)
class XmrLimits:
    """Centre line and natural process limits of an XmR chart."""

    centre: float
    lower: float
    upper: float
    mean_moving_range: float

    @property
    def two_sigma(self) -> float:
        """The distance of the 2-sigma lines from the centre: 2/3 * 2.66 * mR-bar."""
        return TWO_SIGMA * self.mean_moving_range


@dataclass(frozen=True)
class Phase:
    """Points [start, end) of a series judged by `limits`, computed from the values with indices
    [baseline_start, baseline_end) (`limits` None: fewer than 2 values in the window)."""

    start: int
    end: int
    baseline_start: int
    baseline_end: int
    limits: XmrLimits | None


@dataclass(frozen=True)
class XmrChart:
    """The phases of a series and one signal (or None) per value."""

    phases: list[Phase]
    signals: list[str | None]

    def phase_of(self, index: int) -> Phase | None:
        return next((p for p in self.phases if p.start <= index < p.end), None)


def xmr_limits(values: Sequence[float]) -> XmrLimits | None:
    """centre = mean(x); limits = centre -/+ 2.66 * mean(|x_i - x_(i-1)|); None below 2 values."""
    if len(values) < 2:
        return None
    centre = statistics.fmean(values)
    mean_moving_range = statistics.fmean(abs(b - a) for a, b in pairwise(values))
    spread = SCALING * mean_moving_range
    return XmrLimits(centre, centre - spread, centre + spread, mean_moving_range)


def xmr_phases(
    starts: Sequence[date],
    *,
    values: Sequence[float],
    baseline_from: date | None = None,
    baseline_points: int = DEFAULT_BASELINE_POINTS,
) -> list[Phase]:
    """The phases of a series of values whose periods start at `starts` (ascending): one phase, or
    an earlier phase and the phase of the baseline window from `baseline_from` (module docstring)."""
    split = 0
    if baseline_from is not None:
        split = next((i for i, start in enumerate(starts) if start >= baseline_from), len(starts))
    bounds = [(0, split), (split, len(values))] if split else [(0, len(values))]
    phases = []
    for start, end in bounds:
        if start == end:
            continue
        window_end = min(start + baseline_points, end)
        limits = xmr_limits(values[start:window_end])
        phases.append(Phase(start, end, start, window_end, limits))
    return phases


def xmr_chart(
    starts: Sequence[date],
    *,
    values: Sequence[float],
    baseline_from: date | None = None,
    baseline_points: int = DEFAULT_BASELINE_POINTS,
    two_of_three: bool = False,
) -> XmrChart:
    """Phases and per-value signals of a series (the rules and their precedence: module docstring)."""
    phases = xmr_phases(
        starts, values=values, baseline_from=baseline_from, baseline_points=baseline_points
    )
    signals: list[str | None] = [None] * len(values)
    for phase in phases:
        if phase.limits is not None:
            part = values[phase.start : phase.end]
            signals[phase.start : phase.end] = _phase_signals(part, phase.limits, two_of_three)
    return XmrChart(phases, signals)


def xmr_signals(values: Sequence[float], *, two_of_three: bool = False) -> list[str | None]:
    """One signal per value, or None, with limits from all the values (one phase)."""
    if len(values) < 2:
        return [None] * len(values)
    return _phase_signals(values, xmr_limits(values), two_of_three)


@dataclass(frozen=True)
class SeriesChart:
    """An XmR chart of the valued points of a series, read by period start."""

    starts: list[date]
    chart: XmrChart

    def _phase_at(self, start: date) -> Phase | None:
        phases = self.chart.phases
        earlier = [p for p in phases if self.starts[p.start] <= start]
        return earlier[-1] if earlier else (phases[0] if phases else None)

    def point(self, start: date) -> dict:
        """`centre`, `lower_limit`, `upper_limit` in force for the period and its `signal`."""
        phase = self._phase_at(start)
        limits = phase.limits if phase else None
        index = bisect_left(self.starts, start)
        valued = index < len(self.starts) and self.starts[index] == start
        return {
            "centre": limits.centre if limits else None,
            "lower_limit": limits.lower if limits else None,
            "upper_limit": limits.upper if limits else None,
            "signal": self.chart.signals[index] if valued else None,
        }

    def phases(self) -> list[dict]:
        """Each phase: its periods, its baseline window and its limits (ISO dates)."""
        return [
            {
                "from": self.starts[p.start].isoformat(),
                "to": self.starts[p.end - 1].isoformat(),
                "baseline_from": self.starts[p.baseline_start].isoformat(),
                "baseline_to": self.starts[p.baseline_end - 1].isoformat(),
                "baseline_points": p.baseline_end - p.baseline_start,
                "centre": p.limits.centre if p.limits else None,
                "lower_limit": p.limits.lower if p.limits else None,
                "upper_limit": p.limits.upper if p.limits else None,
                "mean_moving_range": p.limits.mean_moving_range if p.limits else None,
            }
            for p in self.chart.phases
        ]


def series_chart(
    pairs: Sequence[tuple[date, float | None]],
    *,
    baseline_from: date | None = None,
    baseline_points: int = DEFAULT_BASELINE_POINTS,
    two_of_three: bool = False,
) -> SeriesChart:
    """The XmR chart of (period start, value) pairs, ascending. Periods without a value take no
    part in limits or rules; they get the limits in force at their start and no signal."""
    valued = [(start, value) for start, value in pairs if value is not None]
    starts = [start for start, _ in valued]
    chart = xmr_chart(
        starts,
        values=[value for _, value in valued],
        baseline_from=baseline_from,
        baseline_points=baseline_points,
        two_of_three=two_of_three,
    )
    return SeriesChart(starts, chart)


def _phase_signals(
    values: Sequence[float], limits: XmrLimits, two_of_three: bool
) -> list[str | None]:
    """Rules in reverse precedence, each later one overwriting: two_of_three, run, limit."""
    signals: list[str | None] = [None] * len(values)
    if two_of_three:
        for i in _two_of_three(values, limits, side=1):
            signals[i] = "two_of_three_above"
        for i in _two_of_three(values, limits, side=-1):
            signals[i] = "two_of_three_below"
    sides = [(x > limits.centre) - (x < limits.centre) for x in values]
    for start, end, side in _runs(sides):
        if side and end - start >= RUN_LENGTH:
            signals[start:end] = ["run_above" if side > 0 else "run_below"] * (end - start)
    for i, x in enumerate(values):
        signals[i] = _limit_signal(x, limits) or signals[i]
    return signals


def _runs(sides: list[int]):
    """(start, end, side) of each maximal stretch of equal sides."""
    start = 0
    while start < len(sides):
        end = start
        while end < len(sides) and sides[end] == sides[start]:
            end += 1
        yield start, end, sides[start]
        start = end


def _two_of_three(values: Sequence[float], limits: XmrLimits, *, side: int) -> set[int]:
    """Indices beyond 2 sigma on `side` (+1 above, -1 below) that share a window of 3 consecutive
    values with another such index."""
    beyond = [side * (x - limits.centre) > limits.two_sigma for x in values]
    marked: set[int] = set()
    for first in range(len(values) - 2):
        window = [i for i in range(first, first + 3) if beyond[i]]
        if len(window) >= 2:
            marked.update(window)
    return marked


def _limit_signal(value: float, limits: XmrLimits) -> str | None:
    if value > limits.upper:
        return "above_limit"
    if value < limits.lower:
        return "below_limit"
    return None
