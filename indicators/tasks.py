"""Thin Celery wrappers around the recompute service. Idempotent: safe to run twice or late."""

import logging

from celery import shared_task
from django.conf import settings

from .services import deviation_notices, notifications, stale, webhooks
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
def notify_deviations() -> int:
    """Tell owners and webhooks of the deviations that opened (woken after each recompute,
    and periodically as the safety net)."""
    return deviation_notices.notify_opened_deviations()


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_webhook(self, delivery_id: int, once: bool = False) -> bool:
    """One attempt of a webhook delivery; a failed one is retried with back-off (the row counts
    the attempts and says when to stop). `once`: "send again", a single attempt."""
    for _try in range(settings.WEBHOOK_IN_PROCESS_ATTEMPTS):
        attempt = webhooks.attempt_delivery(delivery_id=delivery_id, once=once)
        if attempt is None or attempt.retry_in is None:
            return bool(attempt and attempt.delivered)
        if not self.request.is_eager:
            raise self.retry(countdown=attempt.retry_in)
        # In-process (tests; no broker): an eager retry would propagate, so retry here, at once,
        # a few times only: these attempts hold up the request whose recompute opened the
        # deviation. The delivery stays pending for the sweep or "send again".
    return False


@shared_task(acks_late=True)
def sweep_webhook_deliveries() -> int:
    """Periodic safety net: pending deliveries whose message was lost."""
    return webhooks.sweep_lost_deliveries()


@shared_task(acks_late=True)
def remind_stale_indicators() -> int:
    """Daily: remind each stale indicator's owner, once per staleness."""
    return stale.remind_all_stale()
