"""Celery tasks of the CPI evidence: thin wrappers around services."""

from celery import shared_task

from .services import evidence


@shared_task(name="cpi.tasks.recompute_wanted_evidence")
def recompute_wanted_evidence(organisation_id: int) -> int:
    """Recompute the hypotheses of one organisation whose series changed since their evidence."""
    return evidence.recompute_wanted(organisation_id=organisation_id)


@shared_task(name="cpi.tasks.refresh_evidence")
def refresh_evidence() -> int:
    """Recompute every hypothesis (hourly: experiments finish with the calendar alone)."""
    return evidence.recompute_all()
