"""Celery application. Without REDIS_URL, tasks run in-process (see settings).

Workers and beat log like the web: the LOGGING of settings, structured lines with a request id.
A task carries the request id of the request that enqueued it, so a push and the recompute it
caused share one id in the logs.
"""

import gc
import logging.config
import os

from celery import Celery
from celery.signals import (
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_process_init,
)

from .logging import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("outcome_chain")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

REQUEST_ID_HEADER = "request_id"


@setup_logging.connect
def _log_like_the_web(loglevel=None, **_kwargs) -> None:
    """Replace Celery's own logging set-up (a handler and format of its own on the root logger)
    with settings.LOGGING; `--loglevel` still sets the root level."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@before_task_publish.connect
def _send_request_id(headers=None, **_kwargs) -> None:
    if headers is not None and request_id.get() != "-":
        headers.setdefault(REQUEST_ID_HEADER, request_id.get())


@task_prerun.connect
def _take_request_id(task=None, **_kwargs) -> None:
    """Log the task under its enqueuer's request id; a task run in-process keeps the current one."""
    sent = getattr(task.request, REQUEST_ID_HEADER, None) or (task.request.headers or {}).get(
        REQUEST_ID_HEADER
    )
    task.request.request_id_token = request_id.set(sent) if sent else None


@task_postrun.connect
def _drop_request_id(task=None, **_kwargs) -> None:
    token = getattr(task.request, "request_id_token", None)
    if token is not None:
        request_id.reset(token)


@worker_process_init.connect
def _freeze_start_up_objects(**_kwargs) -> None:
    """Keep the modules loaded at start-up out of every full garbage collection (see wsgi.py)."""
    gc.freeze()
