"""Thin Celery wrappers around core's housekeeping. Idempotent: safe to run twice or late."""

from celery import shared_task

from .idempotency import sweep_expired


@shared_task(acks_late=True)
def sweep_idempotency_records() -> int:
    """Hourly: forget the `Idempotency-Key` answers older than a day."""
    return sweep_expired()
