import gc
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import create_api_key, create_organisation, create_user

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))


# Python's default thresholds (700, 10, 10) run a full collection over every live object of the
# session each time the long-lived objects grow by a quarter: a demo load or a 50,000-row upload
# (hundreds of thousands of live rows and dicts) set off ~70 of them, a third of those tests'
# CPU time. Rarer young collections promote far fewer objects, so full ones come seldom; the
# memory held stays the same (the garbage of the tests is mostly freed by reference counting).
GC_THRESHOLDS = (20_000, 20, 10)


def pytest_configure(config):
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_finish(session):
    """The modules, the settings and the collected tests live all session: out of the
    collector's sight, so no full collection walks them again."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need DATABASE_URL on PostgreSQL; skipped only when it is unset."""
    for item in items:
        if "postgres" in item.keywords and not POSTGRES:
            item.add_marker(pytest.mark.skip(reason="DATABASE_URL is not a PostgreSQL URL"))


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing(django_test_environment):
    """Users made by the tests get a cheap hash: the production hasher (PBKDF2, a million
    rounds) spent half a second on every user the fixtures create. Subprocesses (gunicorn,
    Celery) keep their own settings and create their own users."""
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    kept = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *kept]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()
    yield
    settings.PASSWORD_HASHERS = kept
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def flush_by_delete(django_test_environment):
    """A transactional test ends with a flush of every table. On PostgreSQL Django flushes with
    one TRUNCATE, which makes new files for all the tables and their indexes: about 1.2 s per
    test here, against ~20 ms for a DELETE per table of the few rows a test writes. The foreign
    keys Django makes are deferred to the flush's commit, so the order of the tables does not
    matter. Sequences are not reset either way (no test asks for `reset_sequences`)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return ["SET CONSTRAINTS ALL DEFERRED"] + [
            f"DELETE FROM {self.quote_name(table)}" for table in tables
        ]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = truncate


@pytest.fixture(autouse=True)
def tasks_in_process(settings):
    """Unit tests run Celery tasks in-process; the worker test starts a real worker."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    yield


@pytest.fixture(autouse=True)
def default_language():
    """A request in another language leaves it active in the worker: each test starts afresh."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def organisation(db):
    return create_organisation(slug="acme", name="Acme Insurance", time_zone="Europe/Helsinki")


@pytest.fixture
def other_organisation(db):
    return create_organisation(slug="rival", name="Rival Mutual", time_zone="Europe/Stockholm")


@pytest.fixture
def api_key(organisation):
    return create_api_key(organisation=organisation, name="crm")[1]


@pytest.fixture
def api(api_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    return client


@pytest.fixture
def other_api(other_organisation):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Api-Key {create_api_key(organisation=other_organisation, name='x')[1]}"
    )
    return client


@pytest.fixture
def analyst(organisation):
    return create_user(
        organisation=organisation, username="anna", role=Role.ANALYST, password="s3cret-pass!"
    )


@pytest.fixture
def viewer(organisation):
    return create_user(
        organisation=organisation, username="ville", role=Role.VIEWER, password="s3cret-pass!"
    )


@pytest.fixture
def worker_queue():
    """A real Celery worker on a queue of its own, over REDIS_URL and the test database; tasks
    are sent to it (not run in-process) while the fixture lasts."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_QUEUE": queue,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    from config.celery import app

    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    yield worker
    app.conf.task_always_eager, app.conf.task_default_queue = eager, default_queue
    worker.terminate()
    worker.wait(timeout=20)
