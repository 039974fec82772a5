"""A push through the API that changes a cause series moves the hypothesis's evidence, by a real
Celery worker over a real Redis and PostgreSQL (the push's recompute, then the evidence task)."""

import time
from pathlib import Path

import pytest
from scipy import stats

from cpi.models import Hypothesis
from cpi.services import create_hypothesis
from indicators.services import ingest_measurements
from tests.factories import IndicatorFactory, push

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
QUOTE = [52.0, 61.0, 48.0, 70.0, 55.0, 66.0, 45.0, 58.0, 63.0, 50.0, 68.0, 57.0, 49.0, 64.0]


@pytest.fixture
def seeded(organisation):
    """Two monthly series and a hypothesis on them, computed in-process before the worker."""
    quote = IndicatorFactory(organisation=organisation, code="fast_quote")
    customers = IndicatorFactory(
        organisation=organisation, code="new_customers", kind="kpi", aggregation="sum"
    )
    items = [
        {"indicator": "fast_quote", "observed_at": f"2025-{m:02d}-10", "value": v}
        for m, v in enumerate(QUOTE[:12], start=1)
    ] + [
        {"indicator": "new_customers", "observed_at": f"2025-{m:02d}-10", "value": 300 - 2 * v}
        for m, v in enumerate([55.0, *QUOTE[:11]], start=1)
    ]
    ingest_measurements(organisation=organisation, items=items)
    return create_hypothesis(
        organisation=organisation,
        data={"cause": quote, "effect": customers, "expected_sign": "negative", "max_lag": 2},
    )


def test_a_pushed_cause_change_recomputes_the_evidence_in_a_worker(api, seeded, worker_queue):
    before = Hypothesis.objects.get(pk=seeded.pk)
    assert before.evidence["lags"][0]["n"] == 12 and before.wanted_at is None

    response = push(
        api,
        [
            {"indicator": "fast_quote", "observed_at": "2025-03-20", "value": 120.0},
            {"indicator": "fast_quote", "observed_at": "2026-01-10", "value": 40.0},
        ],
    )
    assert response.status_code == 200

    deadline = time.monotonic() + 60
    after = before
    while after.computed_at == before.computed_at and time.monotonic() < deadline:
        assert worker_queue.poll() is None, worker_queue.stdout.read().decode()
        time.sleep(0.2)
        after = Hypothesis.objects.get(pk=seeded.pk)
    assert after.computed_at > before.computed_at, "the worker did not recompute within 60 s"
    # March's quote is now the mean of 48 and 120; January 2026 has no effect to pair with.
    quote = [*QUOTE[:2], 84.0, *QUOTE[3:12]]
    customers = [300 - 2 * v for v in [55.0, *QUOTE[:11]]]
    expected = stats.pearsonr(quote[:-1], customers[1:])
    assert after.evidence["lags"][1]["n"] == 11
    assert after.evidence["lags"][1]["r"] == pytest.approx(expected.statistic)
    assert after.evidence["lags"][1]["r"] != pytest.approx(before.evidence["lags"][1]["r"])
    assert after.wanted_at is None
