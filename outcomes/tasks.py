"""Celery tasks of the results chain: thin wrappers around services."""

from celery import shared_task

from . import services


@shared_task(name="outcomes.tasks.refresh_chain_statuses")
def refresh_chain_statuses() -> int:
    """Refresh every chain's stored status (hourly: an indicator turns stale with time)."""
    return services.refresh_every_chain()
