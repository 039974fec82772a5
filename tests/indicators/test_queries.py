"""The number of SQL queries of a bulk push does not grow with the size of the batch.

These tests run inside one test transaction, so the recompute enqueued with
`transaction.on_commit` does not run: what is counted is the request alone.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.models import DirtyMark, Measurement, MeasurementRevision
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10


@pytest.fixture(autouse=True)
def indicators(organisation):
    IndicatorFactory(organisation=organisation, code="quote_time", aggregation="mean")
    IndicatorFactory(organisation=organisation, code="ftr", aggregation="ratio")


def batch(size: int, offset: int = 0) -> list[dict]:
    """`size` items over two indicators, several days and segments."""
    items = []
    for i in range(offset, offset + size):
        stamp = f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:{i // 24 % 60:02d}:{i // 1440 % 60:02d}Z"
        segment = {"channel": ("web", "phone", "shop")[i % 3]}
        if i % 2:
            items.append(
                {
                    "indicator": "ftr",
                    "observed_at": stamp,
                    "numerator": i % 7,
                    "denominator": 7,
                    "segment": segment,
                }
            )
        else:
            items.append(
                {
                    "indicator": "quote_time",
                    "observed_at": stamp,
                    "value": i * 0.5,
                    "segment": segment,
                }
            )
    return items


def counted_push(api, items) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        response = push(api, items)
    assert response.status_code == 200, response.json()
    return response.json(), len(queries)


@pytest.mark.parametrize("size", [10, 2000])
def test_a_push_of_new_items_takes_a_fixed_number_of_queries(
    api, size, django_assert_max_num_queries
):
    items = batch(size)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = push(api, items)
    assert response.json() == {"created": size, "updated": 0, "unchanged": 0}
    assert Measurement.objects.count() == size


def test_small_and_large_pushes_take_the_same_number_of_queries(api):
    push(api, batch(1, offset=10_000))  # the key's first use is recorded once
    _counts, small = counted_push(api, batch(10))
    _counts, large = counted_push(api, batch(2000, offset=10))
    assert large == small


def test_a_replay_takes_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    items = batch(2000)
    push(api, items)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = push(api, items)
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 2000}
    assert MeasurementRevision.objects.count() == 0


def test_a_half_changed_batch_takes_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    items = batch(2000)
    push(api, items)
    DirtyMark.objects.all().delete()
    changed = [
        {**item, "comment": "checked"} if n % 2 else item for n, item in enumerate(items)
    ] + batch(100, offset=2000)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = push(api, changed)
    assert response.json() == {"created": 100, "updated": 1000, "unchanged": 1000}
    assert MeasurementRevision.objects.count() == 1000
    assert Measurement.objects.filter(comment="checked").count() == 1000
    assert DirtyMark.objects.exists()


def test_a_dry_run_takes_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = api.post(
            "/api/v1/measurements/", {"measurements": batch(2000), "dry_run": True}, format="json"
        )
    assert response.json() == {"created": 2000, "updated": 0, "unchanged": 0}
    assert Measurement.objects.count() == 0


def test_a_refused_batch_takes_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    items = batch(2000)
    items[-1] = {**items[-1], "indicator": "nope"}
    with django_assert_max_num_queries(MAX_QUERIES):
        response = push(api, items)
    assert response.status_code == 400
