"""Celery application. Without REDIS_URL, tasks run in-process (see settings)."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("outcome_chain")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_start_up_objects(**_kwargs) -> None:
    """Keep the modules loaded at start-up out of every full garbage collection (see wsgi.py)."""
    gc.freeze()
