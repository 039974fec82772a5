"""What indicators adds to `/metrics`: ingest counters, queue lag, recompute duration.

The Prometheus plumbing (rendering, histograms, task timers) is tested in tests/core.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from indicators import metrics as metrics_module
from indicators.models import DirtyMark
from indicators.tasks import recompute
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

SAMPLE = re.compile(r"^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+]+|\+Inf)$")


def scrape() -> dict[str, float]:
    response = Client(HTTP_HOST="127.0.0.1").get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in response.content.decode().splitlines():
        if line.startswith("#"):
            assert line.startswith(("# HELP outcome_chain_", "# TYPE outcome_chain_")), line
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return samples


def test_metrics_lists_every_family():
    samples = scrape()
    for name in (
        "outcome_chain_database_up",
        "outcome_chain_measurements_inserted_total",
        "outcome_chain_measurements_updated_total",
        "outcome_chain_dirty_marks",
        "outcome_chain_queue_lag_seconds",
        'outcome_chain_recompute_duration_seconds_bucket{le="+Inf"}',
        "outcome_chain_recompute_duration_seconds_count",
        "outcome_chain_recompute_duration_seconds_sum",
    ):
        assert name in samples, name
    assert samples["outcome_chain_database_up"] == 1


def test_families_are_scraped_in_the_order_they_always_were():
    response = Client(HTTP_HOST="127.0.0.1").get("/metrics")
    families = [
        line.split()[2] for line in response.content.decode().splitlines() if line[:6] == "# TYPE"
    ]
    assert families == [
        "outcome_chain_database_up",
        "outcome_chain_measurements_inserted_total",
        "outcome_chain_measurements_updated_total",
        "outcome_chain_measurement_revisions_total",
        "outcome_chain_dirty_marks",
        "outcome_chain_dirty_marks_claimed",
        "outcome_chain_queue_lag_seconds",
        "outcome_chain_recompute_duration_seconds",
        "outcome_chain_recompute_marks_total",
    ]


def test_queue_lag_is_the_age_of_the_oldest_dirty_mark(organisation):
    indicator = IndicatorFactory(organisation=organisation)
    now = timezone.now()
    DirtyMark.objects.create(indicator=indicator, day=now.date(), marked_at=now)
    DirtyMark.objects.create(
        indicator=indicator,
        day=now.date() - timedelta(days=1),
        marked_at=now - timedelta(minutes=3),
    )
    samples = scrape()
    assert samples["outcome_chain_dirty_marks"] == 2
    assert 180 <= samples["outcome_chain_queue_lag_seconds"] < 240


def test_no_dirty_marks_means_no_lag(db):
    assert scrape()["outcome_chain_queue_lag_seconds"] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pushed_measurements_count_as_inserted(api, organisation):
    IndicatorFactory(organisation=organisation, code="fast_quote")
    before = scrape()["outcome_chain_measurements_inserted_total"]
    items = [
        {"indicator": "fast_quote", "observed_at": f"2026-03-0{d}", "value": d} for d in (1, 2)
    ]
    assert push(api, items).status_code == 200
    # Statistics reach the shared counters when the backend reports them (at most every second).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
    assert scrape()["outcome_chain_measurements_inserted_total"] >= before + 2


def test_a_recompute_task_is_timed_into_the_histogram(organisation):
    before = scrape()
    recompute.apply()
    after = scrape()
    name = "outcome_chain_recompute_duration_seconds"
    assert after[f"{name}_count"] == before[f"{name}_count"] + 1
    assert after[f"{name}_sum"] >= before[f"{name}_sum"]
    assert after[f'{name}_bucket{{le="+Inf"}}'] == before[f'{name}_bucket{{le="+Inf"}}'] + 1


def test_the_recompute_command_and_the_tasks_share_one_histogram(db, monkeypatch):
    from core import metrics as core_metrics

    monkeypatch.setattr(core_metrics, "_redis", lambda: None)
    monkeypatch.setattr(metrics_module.RECOMPUTES, "_local", core_metrics._LocalStore())
    metrics_module.observe_recompute(0.015, 3)
    recompute.apply()  # nothing dirty: 0 marks
    samples = scrape()
    assert samples["outcome_chain_recompute_duration_seconds_count"] == 2
    assert samples["outcome_chain_recompute_marks_total"] == 3


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker_queue")
def test_a_celery_worker_times_its_recompute_runs(api, organisation):
    import time

    IndicatorFactory(organisation=organisation, code="fast_quote", period="day")
    before = metrics_module.RECOMPUTES.read().get("count", 0.0)
    items = [{"indicator": "fast_quote", "observed_at": "2026-03-02", "value": 1}]
    assert push(api, items).status_code == 200
    deadline = time.monotonic() + 60
    while metrics_module.RECOMPUTES.read().get("count", 0.0) <= before:
        assert time.monotonic() < deadline, "the worker recorded no recompute duration in 60 s"
        time.sleep(0.2)
