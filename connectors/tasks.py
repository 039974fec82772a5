"""Thin Celery wrappers around the connector services. Safe to run twice or late: the lease
lock turns a second run at the same time into a logged skip, and every delivery is idempotent.

`run_connector` is what beat starts on a connector's schedule (`connectors.services.schedules`)
and what "run now" wakes (`connectors.services.start_run`). A failed attempt whose source was
unreachable carries `retry_at`; the task schedules the next attempt for then. In-process mode
(CELERY_TASK_ALWAYS_EAGER, the embedded default) has no worker to wait for an eta, so there an
attempt is never retried (`retry=False`): the failure counts at once, and the next scheduled run
(cron calling `manage.py run_connector`) is the retry.
"""

import logging

from celery import shared_task
from django.conf import settings

from . import services
from .models import Connector, ConnectorKind, RunTrigger
from .services.schedules import RUN_TASK

logger = logging.getLogger(__name__)

# A paused connector still runs when someone asks ("run now"); beat's ticks and their retries wait.
WAIT_WHILE_PAUSED = (RunTrigger.SCHEDULE, RunTrigger.RETRY)


@shared_task(name=RUN_TASK, acks_late=True)
def run_connector(
    connector_id: int,
    trigger: str = RunTrigger.SCHEDULE,
    dry_run: bool = False,
    attempt: int = 1,
) -> int | None:
    """Run the connector once; returns the Run's id (None when there was nothing to run)."""
    connector = (
        Connector.objects.select_related("organisation", "owner", "survey")
        .filter(pk=connector_id)
        .first()
    )
    if connector is None or connector.kind == ConnectorKind.WEBHOOK:
        return None  # deleted since the message was sent; a webhook runs when it is called
    if connector.paused and trigger in WAIT_WHILE_PAUSED:
        return None
    in_process = settings.CELERY_TASK_ALWAYS_EAGER
    run = services.run_connector(
        connector, trigger=trigger, dry_run=dry_run, attempt=attempt, retry=not in_process
    )
    if run.retry_at is not None and not in_process:
        run_connector.apply_async(
            kwargs={
                "connector_id": connector.pk,
                "trigger": RunTrigger.RETRY,
                "dry_run": dry_run,
                "attempt": attempt + 1,
            },
            eta=run.retry_at,
        )
        logger.info(
            "connector %s attempt %d failed; retry at %s", connector.pk, attempt, run.retry_at
        )
    return run.pk
