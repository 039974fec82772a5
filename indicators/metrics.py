"""`/metrics` in the Prometheus text format (version 0.0.4), rendered from database state.

Counters come from PostgreSQL's table statistics, so every gunicorn worker answers the same numbers
without a shared registry; queue lag is the age of the oldest dirty mark. Recompute durations are
recorded by Celery signal handlers in the worker and kept in Redis (in this process when there is
no Redis), as a histogram.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Min, Q
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from .models import DirtyMark, Measurement, MeasurementRevision

logger = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
RECOMPUTE_TASKS = {"indicators.tasks.recompute", "indicators.tasks.sweep_dirty"}
REDIS_KEY = "outcome_chain:metrics:recompute"
PREFIX = "outcome_chain"


class _LocalStore:
    """Recompute histogram of this process (embedded mode, or Redis unreachable)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.values: dict[str, float] = {}

    def add(self, fields: dict[str, float]) -> None:
        with self.lock:
            for name, amount in fields.items():
                self.values[name] = self.values.get(name, 0.0) + amount

    def read(self) -> dict[str, float]:
        with self.lock:
            return dict(self.values)


_local = _LocalStore()
_started: dict[str, float] = {}


def _redis():
    if not settings.REDIS_URL:
        return None
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)


def _histogram_fields(seconds: float, marks: int) -> dict[str, float]:
    fields = {"count": 1.0, "sum": seconds, "marks": float(marks)}
    for bound in BUCKETS:
        if seconds <= bound:
            fields[f"le:{bound}"] = 1.0
    return fields


def observe_recompute(seconds: float, marks: int = 0) -> None:
    """Record one recompute run that took `seconds` and worked off `marks` dirty marks."""
    fields = _histogram_fields(seconds, marks)
    try:
        client = _redis()
        if client is not None:
            with client.pipeline(transaction=False) as pipe:
                for name, amount in fields.items():
                    pipe.hincrbyfloat(REDIS_KEY, name, amount)
                pipe.execute()
            return
    except Exception:  # a metric must never fail a recompute
        logger.warning("could not record the recompute duration in Redis", exc_info=True)
    _local.add(fields)


def recorded_recomputes() -> dict[str, float]:
    """The recompute histogram recorded so far (Redis and this process together)."""
    values = _local.read()
    try:
        client = _redis()
        if client is not None:
            for name, amount in client.hgetall(REDIS_KEY).items():
                values[name.decode()] = values.get(name.decode(), 0.0) + float(amount)
    except Exception:
        logger.warning("could not read the recompute histogram from Redis", exc_info=True)
    return values


@task_prerun.connect(weak=False)
def _recompute_started(task_id=None, task=None, **_kwargs):
    if task is not None and task.name in RECOMPUTE_TASKS:
        _started[task_id] = time.perf_counter()


@task_postrun.connect(weak=False)
def _recompute_finished(task_id=None, task=None, retval=None, **_kwargs):
    started = _started.pop(task_id, None)
    if started is not None:
        marks = retval if isinstance(retval, int) and not isinstance(retval, bool) else 0
        observe_recompute(time.perf_counter() - started, marks)


def _table_counters() -> dict[str, float]:
    """Rows inserted / updated in the measurement table since the statistics were reset."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, n_tup_ins, n_tup_upd FROM pg_stat_user_tables"
                " WHERE relname IN ('indicators_measurement', 'indicators_measurementrevision')"
            )
            stats = {name: (inserted, updated) for name, inserted, updated in cursor.fetchall()}
        measurement = stats.get("indicators_measurement", (0, 0))
        revision = stats.get("indicators_measurementrevision", (0, 0))
        return {"inserted": measurement[0], "updated": measurement[1], "revisions": revision[0]}
    return {
        "inserted": Measurement.objects.count(),
        "updated": MeasurementRevision.objects.count(),
        "revisions": MeasurementRevision.objects.count(),
    }


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _metric(lines: list[str], name: str, kind: str, help_text: str, samples) -> None:
    lines.append(f"# HELP {PREFIX}_{name} {help_text}")
    lines.append(f"# TYPE {PREFIX}_{name} {kind}")
    for suffix, labels, value in samples:
        label_text = "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else ""
        lines.append(f"{PREFIX}_{name}{suffix}{label_text} {_number(value)}")


def render_metrics() -> str:
    """Every metric as Prometheus text."""
    now = timezone.now()
    counters = _table_counters()
    marks = DirtyMark.objects.aggregate(
        total=Count("id"),
        claimed=Count("id", filter=Q(claimed_until__gt=now)),
        oldest=Min("marked_at"),
    )
    lag = (now - marks["oldest"]).total_seconds() if marks["oldest"] else 0.0
    recomputes = recorded_recomputes()
    lines: list[str] = []
    _metric(
        lines,
        "measurements_inserted_total",
        "counter",
        "Measurement rows inserted by pushes and uploads (PostgreSQL table statistics).",
        [("", {}, counters["inserted"])],
    )
    _metric(
        lines,
        "measurements_updated_total",
        "counter",
        "Measurement rows updated with a new value (PostgreSQL table statistics).",
        [("", {}, counters["updated"])],
    )
    _metric(
        lines,
        "measurement_revisions_total",
        "counter",
        "Measurement revisions kept when a push replaced a value.",
        [("", {}, counters["revisions"])],
    )
    _metric(
        lines,
        "dirty_marks",
        "gauge",
        "(indicator, day) marks waiting for a recompute.",
        [("", {}, marks["total"])],
    )
    _metric(
        lines,
        "dirty_marks_claimed",
        "gauge",
        "Dirty marks a worker is recomputing right now.",
        [("", {}, marks["claimed"])],
    )
    _metric(
        lines,
        "queue_lag_seconds",
        "gauge",
        "Age of the oldest dirty mark: how far period values lag behind the measurements.",
        [("", {}, round(lag, 3))],
    )
    cumulative = []
    for bound in BUCKETS:
        cumulative.append(("_bucket", {"le": _number(bound)}, recomputes.get(f"le:{bound}", 0.0)))
    cumulative.append(("_bucket", {"le": "+Inf"}, recomputes.get("count", 0.0)))
    cumulative.append(("_sum", {}, recomputes.get("sum", 0.0)))
    cumulative.append(("_count", {}, recomputes.get("count", 0.0)))
    _metric(
        lines,
        "recompute_duration_seconds",
        "histogram",
        "Duration of recompute runs (Celery tasks and the recompute command).",
        cumulative,
    )
    _metric(
        lines,
        "recompute_marks_total",
        "counter",
        "Dirty marks worked off by recompute runs.",
        [("", {}, recomputes.get("marks", 0.0))],
    )
    return "\n".join(lines) + "\n"


@require_GET
def metrics(request):
    """Prometheus scrape endpoint (aggregate numbers only, no organisation's data)."""
    try:
        body = render_metrics()
    except DatabaseError as exc:  # a scrape during an outage says so instead of failing
        logger.warning("metrics: database unavailable: %s", exc)
        lines: list[str] = []
        _metric(lines, "database_up", "gauge", "1 when the database answers.", [("", {}, 0)])
        return HttpResponse("\n".join(lines) + "\n", content_type=CONTENT_TYPE, status=503)
    lines = []
    _metric(lines, "database_up", "gauge", "1 when the database answers.", [("", {}, 1)])
    return HttpResponse("\n".join(lines) + "\n" + body, content_type=CONTENT_TYPE)


# Mounted with one line in config/urls.py: path("metrics", include("indicators.metrics")).
urlpatterns = [path("", metrics, name="metrics")]
