"""Celery tasks of the CPI evidence: thin wrappers around services. Idempotent: the marks in the
database say what to recompute, the message only wakes us, so running twice or late is safe."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import evidence

logger = logging.getLogger(__name__)


@shared_task(
    name="cpi.tasks.recompute_wanted_evidence",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),  # the database was away: try again
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=10,
)
def recompute_wanted_evidence(organisation_id: int) -> int:
    """Recompute the hypotheses of one organisation whose series changed since their evidence."""
    done = evidence.recompute_wanted(organisation_id=organisation_id)
    logger.info("evidence recomputed organisation=%s hypotheses=%d", organisation_id, done)
    return done


@shared_task(name="cpi.tasks.refresh_evidence", acks_late=True)
def refresh_evidence() -> int:
    """Recompute every hypothesis (hourly: experiments finish with the calendar alone, and a
    lost wake-up leaves marks behind)."""
    return evidence.recompute_all()
