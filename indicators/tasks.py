"""Thin Celery wrappers around the recompute service. Idempotent: safe to run twice or late."""

import logging

from celery import shared_task
from django.conf import settings

from .services.recompute import recompute_dirty

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=10,
)
def recompute(limit: int = 5000) -> int:
    """Recompute what is dirty; the marks in the database say what, the message only wakes us."""
    done = recompute_dirty(limit=limit)
    logger.info("recompute done marks=%d", done)
    return done


@shared_task(acks_late=True)
def sweep_dirty() -> int:
    """Periodic safety net: picks up marks whose wake-up message was lost."""
    return recompute_dirty()


def enqueue_recompute() -> None:
    """Wake a worker after commit. If the broker is down, the sweep picks the marks up later."""
    try:
        recompute.delay()
    except Exception:  # the marks are safe in the database; never fail the push for the broker
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.warning("recompute enqueue failed; the periodic sweep will catch up", exc_info=True)
