"""Thin Celery wrappers around the recompute service. Idempotent: safe to run twice or late."""

import logging

from celery import shared_task

from .services import notifications
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


@shared_task(acks_late=True)
def send_notifications() -> int:
    """Send what people want at once: one mail per person for everything pending."""
    return notifications.send_pending()


@shared_task(acks_late=True)
def send_daily_digests() -> int:
    """The daily digest of everyone who chose it."""
    return notifications.send_pending(digest=True)


@shared_task(acks_late=True)
def remind_stale_indicators() -> int:
    """Daily: remind each stale indicator's owner, once per staleness."""
    from .services.stale import remind_all_stale

    return remind_all_stale()
