"""A push through the API becomes a PeriodValue by a real Celery worker over a real Redis."""

import time
from pathlib import Path

import pytest

from indicators.models import PeriodValue
from tests.factories import IndicatorFactory, push

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_pushed_measurement_becomes_a_period_value_in_a_worker(api, organisation, worker_queue):
    IndicatorFactory(organisation=organisation, code="fast_quote", period="day")
    response = push(
        api,
        [
            {"indicator": "fast_quote", "observed_at": "2026-03-02T10:00:00+02:00", "value": 20},
            {"indicator": "fast_quote", "observed_at": "2026-03-02T11:00:00+02:00", "value": 40},
        ],
    )
    assert response.status_code == 200
    deadline = time.monotonic() + 60
    row = None
    while row is None and time.monotonic() < deadline:
        assert worker_queue.poll() is None, worker_queue.stdout.read().decode()
        row = PeriodValue.objects.filter(period="day", segment="").first()
        time.sleep(0.2)
    assert row is not None, "the worker did not compute the period value within 60 s"
    assert (row.period_start.isoformat(), row.value, row.count) == ("2026-03-02", 30.0, 2)
