"""`/healthz`: the database, the broker, and what the apps above contribute.

    {"status": "ok" | "degraded", "database": "ok" | "unavailable",
     "broker": "ok" | "in-process" | "unavailable", <check name>: <value>, ...}

Answers 200 when healthy, 503 when degraded (the database or the broker does not answer, or a
contributed check failed).
"""

import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# The registry: {name in the answer: check() -> a JSON value}, filled by the apps above core in
# their AppConfig.ready() through `register_check`, answered in registration order. Checks run
# only when the database answers (they may read it); one that raises answers null and degrades
# the status.
CHECKS: dict[str, Callable[[], object]] = {}


def register_check(name: str, check: Callable[[], object]) -> None:
    """Add `name: check()` to every `/healthz` answer."""
    if name in CHECKS and CHECKS[name] is not check:
        raise ValueError(f"a health check named {name!r} is already registered")
    CHECKS[name] = check


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # reported in the answer, never raised
        logger.warning("health: database unavailable: %s", exc)
        return "unavailable"
    return "ok"


def _broker() -> str:
    if not settings.REDIS_URL:
        return "in-process"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        logger.warning("health: broker unavailable: %s", exc)
        return "unavailable"
    return "ok"


def _contributed(database: str) -> tuple[dict[str, object], bool]:
    """Each registered check's value, and whether all of them ran."""
    if database != "ok":
        return dict.fromkeys(CHECKS), False
    values, healthy = {}, True
    for name, check in CHECKS.items():
        try:
            values[name] = check()
        except Exception as exc:  # reported in the answer, never raised
            logger.warning("health: check %s failed: %s", name, exc)
            values[name], healthy = None, False
    return values, healthy


@require_GET
def healthz(request):
    database = _database()
    broker = _broker()
    contributed, checks_ran = _contributed(database)
    healthy = database == "ok" and broker != "unavailable" and checks_ran
    body = {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "broker": broker,
        **contributed,
    }
    return JsonResponse(body, status=200 if healthy else 503)
