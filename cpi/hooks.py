"""The values-changed and indicators-changed handlers of the CPI evidence: mark, then enqueue
one recompute.

Registered in `CpiConfig.ready()`. It runs after the recompute's commit; the marks make the work
durable (the hourly refresh recomputes whatever a lost task left marked), the task does it. The
task is woken by its registered name (`core.wake`): a broker that is down loses nothing but the
wake-up, which the hourly refresh makes up for.

An indicator deleted takes with it the hypotheses it is the cause or effect of and the
experiments on it (cascade): a hypothesis that keeps both series but loses an experiment is
marked before the delete, in its transaction, and recomputed after the commit.
"""

from django.db import transaction
from django.utils import timezone

from core.wake import wake
from indicators.hooks import IndicatorsChanged, ValuesChanged

from .models import Hypothesis
from .services.evidence import mark_touched

RECOMPUTE_TASK = "cpi.tasks.recompute_wanted_evidence"


def evidence_on_values_changed(change: ValuesChanged) -> None:
    """Mark the hypotheses `change` touches; if any, enqueue one task for the organisation."""
    if mark_touched(change):
        organisation_id = change.organisation_id
        transaction.on_commit(lambda: wake(RECOMPUTE_TASK, organisation_id))


def evidence_on_indicators_changed(change: IndicatorsChanged):
    """Mark the hypotheses that stay but lose an experiment on a deleted indicator; if any, wake
    the recompute after the commit. A change of `stale_grace_days` changes no evidence."""
    if not change.deleting:
        return None
    ids = change.indicator_ids
    losing = set(
        Hypothesis.objects.filter(
            organisation_id=change.organisation_id, experiments__indicator_id__in=ids
        )
        .exclude(cause_id__in=ids)
        .exclude(effect_id__in=ids)
        .values_list("pk", flat=True)
    )
    if not losing:
        return None
    Hypothesis.objects.filter(pk__in=losing).update(wanted_at=timezone.now())
    organisation_id = change.organisation_id
    return lambda: wake(RECOMPUTE_TASK, organisation_id)
