"""What indicators adds to `/metrics` (core.metrics): ingest counters, dirty marks, queue lag and
the duration of recompute runs.

Counters come from PostgreSQL's table statistics, so every gunicorn worker answers the same numbers;
queue lag is the age of the oldest dirty mark. Recompute durations are timed by core's Celery signal
handlers in the worker (and by the recompute command) into a histogram kept in Redis.
"""

from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone

from core.metrics import Family, Histogram, register_collector, register_task_timer

from .models import DirtyMark, Measurement, MeasurementRevision

BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
RECOMPUTE_TASKS = ("indicators.tasks.recompute", "indicators.tasks.sweep_dirty")
RECOMPUTES = Histogram("recompute", BUCKETS)


def observe_recompute(seconds: float, marks: int = 0) -> None:
    """Record one recompute run that took `seconds` and worked off `marks` dirty marks."""
    RECOMPUTES.observe(seconds, marks=marks)


def _recompute_task_finished(seconds: float, retval) -> None:
    # The recompute tasks return how many marks they worked off.
    marks = retval if isinstance(retval, int) and not isinstance(retval, bool) else 0
    observe_recompute(seconds, marks)


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


def collect() -> list[Family]:
    """The indicators' metric families, in the order they are scraped."""
    now = timezone.now()
    counters = _table_counters()
    marks = DirtyMark.objects.aggregate(
        total=Count("id"),
        claimed=Count("id", filter=Q(claimed_until__gt=now)),
        oldest=Min("marked_at"),
    )
    lag = (now - marks["oldest"]).total_seconds() if marks["oldest"] else 0.0
    recomputes = RECOMPUTES.read()
    return [
        Family(
            "measurements_inserted_total",
            "counter",
            "Measurement rows inserted by pushes and uploads (PostgreSQL table statistics).",
            [("", {}, counters["inserted"])],
        ),
        Family(
            "measurements_updated_total",
            "counter",
            "Measurement rows updated with a new value (PostgreSQL table statistics).",
            [("", {}, counters["updated"])],
        ),
        Family(
            "measurement_revisions_total",
            "counter",
            "Measurement revisions kept when a push replaced a value.",
            [("", {}, counters["revisions"])],
        ),
        Family(
            "dirty_marks",
            "gauge",
            "(indicator, day) marks waiting for a recompute.",
            [("", {}, marks["total"])],
        ),
        Family(
            "dirty_marks_claimed",
            "gauge",
            "Dirty marks a worker is recomputing right now.",
            [("", {}, marks["claimed"])],
        ),
        Family(
            "queue_lag_seconds",
            "gauge",
            "Age of the oldest dirty mark: how far period values lag behind the measurements.",
            [("", {}, round(lag, 3))],
        ),
        Family(
            "recompute_duration_seconds",
            "histogram",
            "Duration of recompute runs (Celery tasks and the recompute command).",
            RECOMPUTES.samples(recomputes),
        ),
        Family(
            "recompute_marks_total",
            "counter",
            "Dirty marks worked off by recompute runs.",
            [("", {}, recomputes.get("marks", 0.0))],
        ),
    ]


def register() -> None:
    """Contribute the families and the recompute timing to core.metrics (from ready())."""
    register_collector("indicators", collect)
    for task_name in RECOMPUTE_TASKS:
        register_task_timer(task_name, _recompute_task_finished)
