"""Ask for fresh period values: mark (indicator, day) pairs dirty and wake the recompute.

Every write that changes what a period value depends on (ingest, a changed definition, a rebuild
request) calls these two, so no service imports the Celery tasks: the wake-up goes by the task's
registered name.
"""

from datetime import date, datetime

from core.db import sqlite_parameter_limit
from core.wake import wake

from .measurement_store import upsert_dirty_marks

RECOMPUTE_TASK = "indicators.tasks.recompute"


def mark_dirty(pairs: set[tuple[int, date]], now: datetime) -> None:
    """Upsert (indicator, day) dirty marks; a newer mark replaces the version of an older one."""
    with sqlite_parameter_limit():
        upsert_dirty_marks(pairs, now)


def enqueue_recompute() -> None:
    """Wake a worker after commit. If the broker is down, the periodic sweep picks the marks up."""
    wake(RECOMPUTE_TASK)
