"""The values-changed handler of the CPI evidence: mark, then enqueue one recompute.

Registered in `CpiConfig.ready()`. It runs after the recompute's commit; the marks make the work
durable (the hourly refresh recomputes whatever a lost task left marked), the task does it.
"""

from django.db import transaction

from indicators.hooks import ValuesChanged

from . import tasks
from .services.evidence import mark_touched


def evidence_on_values_changed(change: ValuesChanged) -> None:
    if mark_touched(change):
        organisation_id = change.organisation_id
        transaction.on_commit(lambda: tasks.recompute_wanted_evidence.delay(organisation_id))
