"""Every write of the scorecard; views, the API, the admin and the demo call these."""

from .library import add_from_library
from .scorecards import create_scorecard, delete_scorecard, update_scorecard
from .scores import refresh_every_scorecard, refresh_scores, scores_on_values_changed
from .structure import (
    add_measure,
    create_objective,
    create_perspective,
    delete_objective,
    delete_perspective,
    link_objectives,
    remove_measure,
    unlink_objectives,
    update_measure,
    update_objective,
    update_perspective,
)

__all__ = [
    "add_from_library",
    "add_measure",
    "create_objective",
    "create_perspective",
    "create_scorecard",
    "delete_objective",
    "delete_perspective",
    "delete_scorecard",
    "link_objectives",
    "refresh_every_scorecard",
    "refresh_scores",
    "remove_measure",
    "scores_on_values_changed",
    "unlink_objectives",
    "update_measure",
    "update_objective",
    "update_perspective",
    "update_scorecard",
]
