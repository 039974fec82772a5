"""core.metrics: Prometheus text from registered collectors, histograms and task timers."""

import uuid

import pytest
from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.test import Client

from core import metrics

pytestmark = pytest.mark.django_db


def scrape_text(status: int = 200) -> str:
    response = Client(HTTP_HOST="127.0.0.1").get("/metrics")
    assert response.status_code == status
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return response.content.decode()


@pytest.fixture
def local_histogram(monkeypatch):
    """A histogram of this process only, scraped as `outcome_chain_test_seconds`."""
    monkeypatch.setattr(metrics, "_redis", lambda: None)
    histogram = metrics.Histogram("test", (0.01, 0.02, 5.0))

    def collect():
        values = histogram.read()
        return [
            metrics.Family("test_seconds", "histogram", "Test runs.", histogram.samples(values)),
            metrics.Family("test_items_total", "counter", "Items.", [("", {}, values["items"])]),
        ]

    monkeypatch.setitem(metrics.COLLECTORS, "test", collect)
    return histogram


def test_a_registered_collector_is_rendered_after_database_up(local_histogram):
    local_histogram.observe(0.5, items=2)
    text = scrape_text()
    assert text.startswith(
        "# HELP outcome_chain_database_up 1 when the database answers.\n"
        "# TYPE outcome_chain_database_up gauge\n"
        "outcome_chain_database_up 1\n"
    )
    assert (
        "# HELP outcome_chain_test_items_total Items.\n"
        "# TYPE outcome_chain_test_items_total counter\n"
        "outcome_chain_test_items_total 2\n"
    ) in text


def test_histogram_buckets_are_cumulative(local_histogram):
    local_histogram.observe(0.015, items=3)
    local_histogram.observe(4.0, items=1)
    text = scrape_text()
    for line in (
        'outcome_chain_test_seconds_bucket{le="0.01"} 0',
        'outcome_chain_test_seconds_bucket{le="0.02"} 1',
        'outcome_chain_test_seconds_bucket{le="5"} 2',
        'outcome_chain_test_seconds_bucket{le="+Inf"} 2',
        "outcome_chain_test_seconds_sum 4.015",
        "outcome_chain_test_seconds_count 2",
        "outcome_chain_test_items_total 4",
    ):
        assert line in text.splitlines(), line


@pytest.mark.redis
def test_a_histogram_is_summed_across_processes_through_redis():
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    name = f"test-{uuid.uuid4().hex[:8]}"
    worker, web = metrics.Histogram(name, (1.0,)), metrics.Histogram(name, (1.0,))
    try:
        worker.observe(0.25, items=5)
        worker.observe(2.0, items=1)
        assert web.read() == {"count": 2.0, "sum": 2.25, "items": 6.0, "le:1.0": 1.0}
    finally:
        metrics._redis().delete(worker.key)


def test_metrics_answers_503_when_the_database_is_down(monkeypatch):
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(metrics, "render_metrics", down)
    text = scrape_text(status=503)
    assert text.splitlines()[-1] == "outcome_chain_database_up 0"


def test_a_collector_that_cannot_read_the_database_makes_the_scrape_a_503(monkeypatch):
    def collect():
        raise OperationalError("connection refused")

    monkeypatch.setitem(metrics.COLLECTORS, "test", collect)
    assert "outcome_chain_database_up 0" in scrape_text(status=503)


@shared_task(name="tests.core.double")
def double(n: int) -> int:
    return 2 * n


def test_a_registered_task_timer_observes_every_run(monkeypatch):
    runs = []
    monkeypatch.setitem(metrics.TASK_TIMERS, "tests.core.double", lambda s, r: runs.append((s, r)))
    double.apply(args=(4,))
    double.apply(args=(5,))
    assert [retval for _seconds, retval in runs] == [8, 10]
    assert all(0 <= seconds < 5 for seconds, _retval in runs)


def test_a_name_is_registered_once(monkeypatch):
    monkeypatch.setitem(metrics.COLLECTORS, "test", list)
    metrics.register_collector("test", list)  # the same callable again: fine (ready() twice)
    with pytest.raises(ValueError, match="already registered"):
        metrics.register_collector("test", dict)


def test_numbers_are_written_as_prometheus_reads_them():
    assert [metrics.number(v) for v in (3, 3.0, 0.25, float("inf"), float("-inf"))] == [
        "3",
        "3",
        "0.25",
        "+Inf",
        "-Inf",
    ]
