"""`DJANGO_ENV=production` switches on HTTPS and refuses to start with insecure defaults.

Settings are read once per process, so each mode is loaded in a fresh interpreter; the
interpreters start side by side to keep the tests fast.
"""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_NAMES = [
    "DEBUG",
    "CELERY_TASK_ALWAYS_EAGER",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "ALLOWED_HOSTS",
]
# Reading a setting loads the settings module, where the refusals are; no apps are needed.
SHOW_SETTINGS = (
    "import json, django; from django.conf import settings; "
    f"print(json.dumps({{n: getattr(settings, n, None) for n in {SETTINGS_NAMES!r}}}))"
)
ENVIRONMENT_NAMES = (
    "DJANGO_ENV",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOW_EMBEDDED_IN_PRODUCTION",
    "CONNECTOR_SECRET_KEYS",
)

PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "a-long-random-secret-of-our-own-0123",
    "ALLOWED_HOSTS": "outcomes.example.com",
    # Reading settings never connects, so these need not answer.
    "DATABASE_URL": "postgres://outcome@db.example.com:5432/outcome",
    "REDIS_URL": "redis://redis.example.com:6379/0",
    "CONNECTOR_SECRET_KEYS": "u5q8nWcG3Ob0VqvcP1nqSSBn7m1m1v2E3q0yE6r9rJk=",
}
SQLITE_URL = "sqlite:////tmp/outcome-production.sqlite3"
MODES = {
    "production": PRODUCTION,
    "production without a secret key": {**PRODUCTION, "SECRET_KEY": None},
    "production with an empty secret key": {**PRODUCTION, "SECRET_KEY": ""},
    "production with debug": {**PRODUCTION, "DEBUG": "1"},
    "production without connector keys": {**PRODUCTION, "CONNECTOR_SECRET_KEYS": None},
    "production without hosts": {**PRODUCTION, "ALLOWED_HOSTS": None},
    "production with empty hosts": {**PRODUCTION, "ALLOWED_HOSTS": ""},
    "production on SQLite": {**PRODUCTION, "DATABASE_URL": SQLITE_URL},
    "production without a database": {**PRODUCTION, "DATABASE_URL": None},
    "production without redis": {**PRODUCTION, "REDIS_URL": None},
    "production with an empty redis url": {**PRODUCTION, "REDIS_URL": ""},
    "production embedded, opted in": {
        **PRODUCTION,
        "DATABASE_URL": None,
        "REDIS_URL": None,
        "ALLOW_EMBEDDED_IN_PRODUCTION": "1",
    },
    "production embedded, opted in, default secret key": {
        **PRODUCTION,
        "SECRET_KEY": None,
        "DATABASE_URL": None,
        "REDIS_URL": None,
        "ALLOW_EMBEDDED_IN_PRODUCTION": "1",
    },
    "production embedded, opt-in off": {
        **PRODUCTION,
        "REDIS_URL": None,
        "ALLOW_EMBEDDED_IN_PRODUCTION": "0",
    },
    "embedded": {},
    "embedded with DEBUG=1": {"DEBUG": "1"},
    "embedded with DEBUG=true": {"DEBUG": "true"},
}


def start(environment: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT_NAMES}
    env.update({k: v for k, v in environment.items() if v is not None})
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def started() -> dict[str, subprocess.CompletedProcess]:
    with ThreadPoolExecutor(max_workers=len(MODES)) as pool:
        return dict(zip(MODES, pool.map(start, MODES.values()), strict=True))


def settings_of(process) -> dict:
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


def refused(process, words: str) -> None:
    assert process.returncode != 0, process.stdout
    assert "ImproperlyConfigured" in process.stderr
    assert words in process.stderr


def test_production_refuses_the_default_secret_key(started):
    refused(started["production without a secret key"], "SECRET_KEY")


def test_production_refuses_an_empty_secret_key(started):
    refused(started["production with an empty secret key"], "SECRET_KEY")


def test_production_refuses_to_keep_connector_secrets_without_keys_of_its_own(started):
    refused(started["production without connector keys"], "CONNECTOR_SECRET_KEYS")


def test_production_refuses_debug(started):
    refused(started["production with debug"], "DEBUG")


def test_production_refuses_empty_allowed_hosts(started):
    refused(started["production without hosts"], "ALLOWED_HOSTS")
    refused(started["production with empty hosts"], "ALLOWED_HOSTS")


def test_production_refuses_sqlite(started):
    refused(started["production on SQLite"], "refuses SQLite")
    refused(started["production without a database"], "refuses SQLite")


def test_production_refuses_to_run_tasks_inside_web_requests(started):
    refused(started["production without redis"], "needs REDIS_URL")
    refused(started["production with an empty redis url"], "needs REDIS_URL")
    refused(started["production embedded, opt-in off"], "needs REDIS_URL")


def test_every_production_refusal_names_the_opt_in(started):
    for mode in ("production on SQLite", "production without redis"):
        refused(started[mode], "ALLOW_EMBEDDED_IN_PRODUCTION=1")


def test_production_runs_embedded_only_when_the_operator_opts_in(started):
    settings = settings_of(started["production embedded, opted in"])
    assert settings["CELERY_TASK_ALWAYS_EAGER"] is True
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings_of(started["production"])["CELERY_TASK_ALWAYS_EAGER"] is False


def test_the_opt_in_lifts_no_other_refusal(started):
    refused(started["production embedded, opted in, default secret key"], "SECRET_KEY")


def test_production_switches_on_https_redirect_secure_cookies_and_hsts(started):
    settings = settings_of(started["production"])
    assert settings["DEBUG"] is False
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert settings["ALLOWED_HOSTS"] == ["outcomes.example.com"]


def test_the_embedded_mode_runs_on_plain_http_with_debug_off(started):
    settings = settings_of(started["embedded"])
    assert settings["DEBUG"] is False
    assert not settings["SECURE_SSL_REDIRECT"]
    assert not settings["SESSION_COOKIE_SECURE"]
    assert not settings["SECURE_HSTS_SECONDS"]


@pytest.mark.parametrize("mode", ["embedded with DEBUG=1", "embedded with DEBUG=true"])
def test_the_embedded_mode_turns_debug_on_only_when_asked(started, mode):
    assert settings_of(started[mode])["DEBUG"] is True
