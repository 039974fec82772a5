"""`/metrics` in the Prometheus text format (version 0.0.4), rendered from shared state.

Core answers `outcome_chain_database_up`; every other family comes from the apps above through
the registries below, filled in their AppConfig.ready(). Numbers come from the database or Redis,
so every gunicorn worker answers the same without a shared in-process registry. Durations of
Celery tasks are timed by the signal handlers of this module (connected on import, which every
process does through the apps' ready()) into a `Histogram` kept in Redis (in this process when
there is no Redis).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "outcome_chain"


@dataclass(frozen=True)
class Family:
    """One metric family: `samples` are (name suffix, {label: value}, number)."""

    name: str
    kind: str
    help: str
    samples: list[tuple[str, dict[str, str], float]]


# The registries, filled by the apps above core in AppConfig.ready():
# COLLECTORS: {name: collect() -> [Family]}, rendered in registration order after database_up;
#   a collector may read the database (a DatabaseError makes the scrape a 503).
# TASK_TIMERS: {Celery task name: observe(seconds, return value)}, called after each run.
COLLECTORS: dict[str, Callable[[], list[Family]]] = {}
TASK_TIMERS: dict[str, Callable[[float, object], None]] = {}


def register_collector(name: str, collect: Callable[[], list[Family]]) -> None:
    """Render the families `collect()` returns in every scrape."""
    _register(COLLECTORS, name, collect)


def register_task_timer(task_name: str, observe: Callable[[float, object], None]) -> None:
    """Call `observe(seconds, retval)` after every run of the Celery task `task_name`."""
    _register(TASK_TIMERS, task_name, observe)


def _register(registry: dict, name: str, value) -> None:
    if name in registry and registry[name] is not value:
        raise ValueError(f"{name!r} is already registered")
    registry[name] = value


class _LocalStore:
    """Sums of this process (embedded mode, or Redis unreachable)."""

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


def _redis():
    if not settings.REDIS_URL:
        return None
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)


class Histogram:
    """Durations in cumulative buckets, plus named counters, summed across processes in Redis.

    Stored as one Redis hash `outcome_chain:metrics:<name>` of fields `count`, `sum`, `le:<bound>`
    (runs at or below the bound) and each extra counter.
    """

    def __init__(self, name: str, buckets: tuple[float, ...]):
        self.key = f"{PREFIX}:metrics:{name}"
        self.buckets = buckets
        self._local = _LocalStore()

    def observe(self, seconds: float, **counters: float) -> None:
        """Record one run that took `seconds`, adding `counters` to their totals."""
        fields = {"count": 1.0, "sum": seconds, **{k: float(v) for k, v in counters.items()}}
        for bound in self.buckets:
            if seconds <= bound:
                fields[f"le:{bound}"] = 1.0
        try:
            client = _redis()
            if client is not None:
                with client.pipeline(transaction=False) as pipe:
                    for name, amount in fields.items():
                        pipe.hincrbyfloat(self.key, name, amount)
                    pipe.execute()
                return
        except Exception:  # a metric must never fail the work it measures
            logger.warning("could not record %s in Redis", self.key, exc_info=True)
        self._local.add(fields)

    def read(self) -> dict[str, float]:
        """Everything recorded so far (Redis and this process together)."""
        values = self._local.read()
        try:
            client = _redis()
            if client is not None:
                for name, amount in client.hgetall(self.key).items():
                    values[name.decode()] = values.get(name.decode(), 0.0) + float(amount)
        except Exception:
            logger.warning("could not read %s from Redis", self.key, exc_info=True)
        return values

    def samples(self, values: dict[str, float]) -> list[tuple[str, dict[str, str], float]]:
        """The `_bucket`, `_sum` and `_count` samples of a histogram family from `read()`."""
        samples = [("_bucket", {"le": number(b)}, values.get(f"le:{b}", 0.0)) for b in self.buckets]
        samples.append(("_bucket", {"le": "+Inf"}, values.get("count", 0.0)))
        samples.append(("_sum", {}, values.get("sum", 0.0)))
        samples.append(("_count", {}, values.get("count", 0.0)))
        return samples


_started: dict[str, float] = {}


@task_prerun.connect(weak=False)
def _task_started(task_id=None, task=None, **_kwargs):
    if task is not None and task.name in TASK_TIMERS:
        _started[task_id] = time.perf_counter()


@task_postrun.connect(weak=False)
def _task_finished(task_id=None, task=None, retval=None, **_kwargs):
    started = _started.pop(task_id, None)
    if started is not None:
        TASK_TIMERS[task.name](time.perf_counter() - started, retval)


def number(value: float) -> str:
    """A sample value as Prometheus writes it: integers without `.0`, `+Inf` / `-Inf`."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _render(lines: list[str], family: Family) -> None:
    lines.append(f"# HELP {PREFIX}_{family.name} {family.help}")
    lines.append(f"# TYPE {PREFIX}_{family.name} {family.kind}")
    for suffix, labels, value in family.samples:
        label_text = "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else ""
        lines.append(f"{PREFIX}_{family.name}{suffix}{label_text} {number(value)}")


def _text(families: list[Family]) -> str:
    lines: list[str] = []
    for family in families:
        _render(lines, family)
    return "".join(line + "\n" for line in lines)


def render_metrics() -> str:
    """Every registered family as Prometheus text."""
    with connection.cursor() as cursor:  # database_up means it answered, with or without families
        cursor.execute("SELECT 1")
    return _text([family for collect in COLLECTORS.values() for family in collect()])


def _database_up(up: int) -> str:
    return _text([Family("database_up", "gauge", "1 when the database answers.", [("", {}, up)])])


@require_GET
def metrics(request):
    """Prometheus scrape endpoint (aggregate numbers only, no organisation's data)."""
    try:
        body = render_metrics()
    except DatabaseError as exc:  # a scrape during an outage says so instead of failing
        logger.warning("metrics: database unavailable: %s", exc)
        return HttpResponse(_database_up(0), content_type=CONTENT_TYPE, status=503)
    return HttpResponse(_database_up(1) + body, content_type=CONTENT_TYPE)
