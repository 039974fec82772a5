"""Wake a Celery task by its registered name.

Services never import tasks (an import-linter contract); they name the task instead. The work
itself waits in the database (dirty marks, unsent notifications, pending deliveries), so the
message is only a wake-up: when the broker is down, the caller's request must not fail, and a
periodic sweep does the work later. In-process (eager) mode has no sweep behind it, so there a
failure raises.
"""

import logging

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)


def wake(task_name: str, *args, **kwargs) -> bool:
    """`delay` the task registered as `task_name`; False if the broker refused (logged)."""
    try:
        current_app.tasks[task_name].delay(*args, **kwargs)
    except Exception:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.warning("could not wake %s; the periodic sweep catches up", task_name, exc_info=True)
        return False
    return True
