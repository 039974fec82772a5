"""`/healthz`: database, broker and the age of the oldest dirty mark (recompute lag)."""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .models import DirtyMark

logger = logging.getLogger(__name__)


def _database() -> tuple[str, float | None]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        oldest = DirtyMark.objects.order_by("marked_at").values_list("marked_at", flat=True).first()
    except Exception as exc:  # reported in the answer, never raised
        logger.warning("health: database unavailable: %s", exc)
        return "unavailable", None
    return "ok", (timezone.now() - oldest).total_seconds() if oldest else 0.0


def _broker() -> str:
    if not settings.REDIS_URL:
        return "in-process"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        logger.warning("health: broker unavailable: %s", exc)
        return "unavailable"
    return "ok"


@require_GET
def healthz(request):
    database, lag = _database()
    broker = _broker()
    healthy = database == "ok" and broker != "unavailable"
    body = {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "broker": broker,
        "oldest_dirty_seconds": round(lag, 1) if lag is not None else None,
    }
    return JsonResponse(body, status=200 if healthy else 503)
