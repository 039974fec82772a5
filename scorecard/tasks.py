"""Celery tasks of the scorecard: thin wrappers around services."""

from celery import shared_task

from . import services


@shared_task(name="scorecard.tasks.refresh_scores")
def refresh_scores() -> int:
    """Re-score every scorecard's history (hourly: catches what no hook told, such as a
    deleted indicator)."""
    return services.refresh_every_scorecard()
