"""Web, workers and beat write the same structured lines, and a task logs under the request id of
the request that enqueued it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.celery import app
from config.logging import request_id

ROOT = Path(__file__).resolve().parents[1]

# What `celery worker` and `celery beat` do at start (Worker/Beat.setup_logging), then two lines
# from a task module: one with the standard logger, one with Celery's task logger.
WORKER_START = """
import logging, django
django.setup()
from celery.utils.log import get_task_logger
import pytest

from config.celery import app
from config.logging import request_id
app.log.setup(loglevel="INFO", redirect_stdouts=False)
request_id.set("push-123")
logging.getLogger("indicators.tasks").warning("recomputed 3 periods")
get_task_logger("indicators.tasks").warning("claimed 2 marks")
"""


@app.task(name="tests.request_id_seen_by_a_task")
def request_id_seen_by_a_task() -> str:
    return request_id.get()


def test_a_worker_keeps_the_structured_format_and_the_request_id():
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "LOG_LEVEL")}
    process = subprocess.run(
        [sys.executable, "-c", WORKER_START], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    line = r"^\S+ \S+ level=WARNING logger=indicators.tasks request_id=push-123 {}$"
    assert re.search(line.format("recomputed 3 periods"), process.stderr, re.M), process.stderr
    assert re.search(line.format("claimed 2 marks"), process.stderr, re.M), process.stderr


def test_the_worker_does_not_take_over_the_root_logger():
    assert app.conf.worker_hijack_root_logger is False


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_published_task_carries_the_request_id_of_its_request():
    token = request_id.set("push-123")
    try:
        with app.connection_for_write("memory://") as connection:
            queue = connection.SimpleQueue("request-id-test")
            app.send_task("tests.request_id_seen_by_a_task", connection=connection,
                          queue="request-id-test")  # fmt: skip
            message = queue.get(timeout=1)
            queue.close()
    finally:
        request_id.reset(token)
    assert message.headers["request_id"] == "push-123"


def test_a_task_logs_under_the_request_id_it_was_sent_with_and_then_lets_it_go():
    sent = request_id_seen_by_a_task.apply(headers={"request_id": "push-456"})
    assert sent.get() == "push-456"
    assert request_id.get() == "-"


def test_a_task_run_in_process_keeps_the_id_of_the_request_it_runs_in():
    token = request_id.set("push-789")
    try:
        assert request_id_seen_by_a_task.apply().get() == "push-789"
        assert request_id.get() == "push-789"
    finally:
        request_id.reset(token)
