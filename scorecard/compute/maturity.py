"""Measurement maturity of a scorecard: how far up the four layers it measures.

Every indicator sits in one layer: impact, execution (touchpoints during delivery),
prerequisite (capabilities that make good execution possible), choice (strategic
differentiation). A layer is measured when at least one indicator on the scorecard in that layer
has a value in the latest complete period of its own period, or in the one before.
Maturity level k (0..4) = the largest k such that the first k layers, in that order, are all
measured: impact and prerequisite measured without execution is level 1. Level 3 is the first
that predicts future customer behaviour.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from indicators.compute.periods import period_start, previous_period_start

LAYER_ORDER = ("impact", "execution", "prerequisite", "choice")
PREDICTIVE_LEVEL = 3


@dataclass(frozen=True, slots=True)
class Maturity:
    level: int
    layers: dict[str, bool]
    # The first layer not measured (what to measure next), None at level 4.
    next_layer: str | None

    @property
    def predictive(self) -> bool:
        """Level 3 and above predict future customer behaviour."""
        return self.level >= PREDICTIVE_LEVEL


def maturity(measured_layers: Iterable[str]) -> Maturity:
    """The level from the set of layers that are measured (names outside LAYER_ORDER ignored)."""
    measured = set(measured_layers)
    layers = {layer: layer in measured for layer in LAYER_ORDER}
    level = 0
    for layer in LAYER_ORDER:
        if not layers[layer]:
            break
        level += 1
    next_layer = LAYER_ORDER[level] if level < len(LAYER_ORDER) else None
    return Maturity(level=level, layers=layers, next_layer=next_layer)


def maturity_window(today: date, period: str) -> tuple[date, date]:
    """(latest complete period start, the one before) of `period` on `today`: a value in
    either counts as measured."""
    latest = previous_period_start(period_start(today, period), period)
    return latest, previous_period_start(latest, period)
