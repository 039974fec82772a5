"""Every write of the CPI evidence; views, the API, the admin and the demo call these."""

from .evidence import recompute_all, recompute_evidence, recompute_wanted
from .experiments import (
    create_experiment,
    delete_experiment,
    minimum_detectable_effect,
    update_experiment,
)
from .hypotheses import create_hypothesis, delete_hypothesis, update_hypothesis
from .profiles import add_evidence_note, delete_evidence_note, save_profile

__all__ = [
    "add_evidence_note",
    "create_experiment",
    "create_hypothesis",
    "delete_evidence_note",
    "delete_experiment",
    "delete_hypothesis",
    "minimum_detectable_effect",
    "recompute_all",
    "recompute_evidence",
    "recompute_wanted",
    "save_profile",
    "update_experiment",
    "update_hypothesis",
]
