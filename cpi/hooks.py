"""The values-changed handler of the CPI evidence: mark, then enqueue one recompute.

Registered in `CpiConfig.ready()`. It runs after the recompute's commit; the marks make the work
durable (the hourly refresh recomputes whatever a lost task left marked), the task does it. The
task is woken by its registered name (`core.wake`): a broker that is down loses nothing but the
wake-up, which the hourly refresh makes up for.
"""

from django.db import transaction

from core.wake import wake
from indicators.hooks import ValuesChanged

from .services.evidence import mark_touched

RECOMPUTE_TASK = "cpi.tasks.recompute_wanted_evidence"


def evidence_on_values_changed(change: ValuesChanged) -> None:
    """Mark the hypotheses `change` touches; if any, enqueue one task for the organisation."""
    if mark_touched(change):
        organisation_id = change.organisation_id
        transaction.on_commit(lambda: wake(RECOMPUTE_TASK, organisation_id))
