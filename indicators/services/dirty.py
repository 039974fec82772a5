"""Ask for fresh period values: mark (indicator, day) pairs dirty and wake the recompute.

Every write that changes what a period value depends on (ingest, a changed definition, a rebuild
request) calls these two, so no service imports the Celery tasks: the wake-up goes by the task's
registered name.
"""

import logging
from datetime import date, datetime

from celery import current_app
from django.conf import settings

from core.db import sqlite_parameter_limit

from .measurement_store import upsert_dirty_marks

logger = logging.getLogger(__name__)
RECOMPUTE_TASK = "indicators.tasks.recompute"


def mark_dirty(pairs: set[tuple[int, date]], now: datetime) -> None:
    """Upsert (indicator, day) dirty marks; a newer mark replaces the version of an older one."""
    with sqlite_parameter_limit():
        upsert_dirty_marks(pairs, now)


def enqueue_recompute() -> None:
    """Wake a worker after commit. If the broker is down, the periodic sweep picks the marks up."""
    try:
        current_app.tasks[RECOMPUTE_TASK].delay()
    except Exception:  # the marks are safe in the database; never fail the push for the broker
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.warning("recompute enqueue failed; the periodic sweep will catch up", exc_info=True)
