"""The scorecard's pure computations (no ORM): scores, maturity, warnings, generic phrases."""

from .maturity import LAYER_ORDER, Maturity, maturity, maturity_window
from .phrases import default_generic_phrases, generic_phrase_in, normalised
from .scores import (
    MeasureNode,
    ObjectiveNode,
    PerspectiveNode,
    Tree,
    status_of_score,
    tree_scores,
)
from .warnings import MeasureFacts, ObjectiveFacts, ScorecardFacts, Warning, warnings_of

__all__ = [
    "LAYER_ORDER",
    "Maturity",
    "MeasureFacts",
    "MeasureNode",
    "ObjectiveFacts",
    "ObjectiveNode",
    "PerspectiveNode",
    "ScorecardFacts",
    "Tree",
    "Warning",
    "default_generic_phrases",
    "generic_phrase_in",
    "maturity",
    "maturity_window",
    "normalised",
    "status_of_score",
    "tree_scores",
    "warnings_of",
]
