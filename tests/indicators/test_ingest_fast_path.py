"""The validation hot path accepts only what the full checker accepts, and builds the same item."""

import itertools

import pytest

from core.bulk import ItemErrors
from indicators.services.ingest import _clean_item
from indicators.services.ingest_fast import fast_item
from tests.factories import IndicatorFactory

OBSERVED = [
    "2026-03-02T10:00:00+02:00",
    "2026-03-02T10:00:00Z",
    "2025-10-26T00:30:00+00:00",  # the repeated DST hour in Helsinki
    "2026-03-02",
    " 2026-03-02T10:00:00Z",
    "2026-03-02T10:00:00",
    "1899-12-31T23:00:00Z",
    "3000-01-01T00:00:00Z",
    "not a time",
    12,
    None,
]
VALUES = [1, 2.5, -0.0, 1e300, 1e301, 10**400, True, "12", None, float("nan")]
SEGMENTS = [None, {}, {"channel": "web"}, {"a:b": "x"}, {"channel": ""}, {"channel": ["x"]}, "web"]
KEYS = [None, "q-1", "", 7, "k" * 201]


@pytest.fixture
def indicators(organisation):
    return {
        "mean": IndicatorFactory(organisation=organisation, code="mean"),
        "ftr": IndicatorFactory(organisation=organisation, code="ftr", aggregation="ratio"),
        "calc": IndicatorFactory(
            organisation=organisation, code="calc", aggregation="", formula="mean * 2"
        ),
    }


def _corpus():
    for observed, value, segment, key in itertools.product(OBSERVED, VALUES, SEGMENTS, KEYS):
        yield {
            "indicator": "mean",
            "observed_at": observed,
            "value": value,
            "segment": segment,
            "key": key,
        }
    for numerator, denominator in itertools.product(VALUES, [2, 0, -1, None, "3"]):
        yield {
            "indicator": "ftr",
            "observed_at": OBSERVED[0],
            "numerator": numerator,
            "denominator": denominator,
        }
    yield {
        "indicator": "ftr",
        "observed_at": OBSERVED[0],
        "value": 1,
        "numerator": 1,
        "denominator": 2,
    }
    yield {"indicator": "calc", "observed_at": OBSERVED[0], "value": 1}
    yield {"indicator": "nope", "observed_at": OBSERVED[0], "value": 1}
    yield {"indicator": ["mean"], "observed_at": OBSERVED[0], "value": 1}
    yield {"indicator": "mean", "observed_at": OBSERVED[0], "value": 1, "extra": 1}
    yield {"indicator": "mean", "observed_at": OBSERVED[0], "value": 1, "comment": "x" * 2001}
    yield ["not", "an", "object"]


@pytest.mark.django_db
def test_fast_path_agrees_with_the_full_checker(organisation, indicators):
    by_code = {i.code: i for i in indicators.values()}
    fast_taken = 0
    for raw in _corpus():
        fast = fast_item(raw, 0, by_code, organisation.tz)
        full = _clean_item(raw, 0, by_code, organisation.tz, ItemErrors())
        if fast is not None:
            fast_taken += 1
            assert fast == full, raw
    # the common well-formed shapes do take the fast path
    assert fast_taken > 100


@pytest.mark.django_db
def test_a_well_formed_item_takes_the_fast_path(organisation, indicators):
    by_code = {i.code: i for i in indicators.values()}
    raw = {
        "indicator": "mean",
        "observed_at": "2026-03-02T10:00:00+02:00",
        "value": 3,
        "segment": {"channel": "web"},
        "key": "q-1",
        "comment": "ok",
    }
    item = fast_item(raw, 4, by_code, organisation.tz)
    assert item is not None
    assert (item.index, item.natural_key, item.value, item.local_date.isoformat()) == (
        4,
        "k:q-1",
        3.0,
        "2026-03-02",
    )
