"""Selectors: reads scoped to one organisation, raising the domain NotFound."""

from datetime import date

import pytest

from core.errors import NotFound
from indicators import selectors
from indicators.selectors import RatioParts
from indicators.services import ingest_measurements
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}

# (observed_at, segment, value): Helsinki is UTC+2 until 29 March 2026, UTC+3 after.
QUOTES = [
    ("2026-02-28T23:30:00+02:00", {"arm": "control"}, 99.0),  # 28 Feb locally: before
    ("2026-02-28T22:30:00Z", {"arm": "control"}, 12.0),  # 00:30 on 1 March locally: in
    ("2026-03-10T12:00:00+02:00", {"arm": "control", "region": "north"}, 15.5),  # in
    ("2026-03-11T12:00:00+02:00", {"arm": "controlled"}, 50.0),  # another member
    ("2026-03-12T12:00:00+02:00", {"arm": "Control"}, 51.0),  # members are case-sensitive
    ("2026-03-13T12:00:00+02:00", {"arms": "control"}, 52.0),  # another dimension
    ("2026-03-14T12:00:00+02:00", {}, 53.0),  # no segment
    ("2026-03-15T12:00:00+02:00", {"arm": "treatment"}, 9.0),
    ("2026-03-31T23:30:00+03:00", {"arm": "control"}, 10.25),  # 31 March locally: in
    ("2026-03-31T21:30:00Z", {"arm": "control"}, 98.0),  # 00:30 on 1 April locally: after
]


@pytest.fixture
def quotes(organisation):
    IndicatorFactory(organisation=organisation, code="quote_time", aggregation="mean")
    items = [
        {"indicator": "quote_time", "observed_at": at, "segment": segment, "value": value}
        for at, segment, value in QUOTES
    ]
    ingest_measurements(organisation=organisation, items=items)


def test_measurement_values_are_one_members_values_over_local_days_in_time_order(
    organisation, quotes
):
    values = selectors.measurement_values(
        organisation=organisation, code="quote_time", dimension="arm", member="control", **MARCH
    )

    assert values == [12.0, 15.5, 10.25]


def test_measurement_values_of_the_other_member_and_of_a_single_day(organisation, quotes):
    common = {"organisation": organisation, "code": "quote_time", "dimension": "arm"}

    assert selectors.measurement_values(member="treatment", **common, **MARCH) == [9.0]
    one_day = {"start": date(2026, 3, 31), "end": date(2026, 3, 31)}
    assert selectors.measurement_values(member="control", **common, **one_day) == [10.25]
    assert selectors.measurement_values(member="nobody", **common, **MARCH) == []


def test_a_dimension_name_is_one_key_never_a_lookup_path(organisation):
    IndicatorFactory(organisation=organisation, code="wait")
    ingest_measurements(
        organisation=organisation,
        items=[
            {"indicator": "wait", "observed_at": "2026-03-02", "segment": s, "value": v}
            for s, v in (({"arm__x": "a"}, 1.0), ({"arm": "a"}, 2.0))
        ],
    )

    values = selectors.measurement_values(
        organisation=organisation, code="wait", dimension="arm__x", member="a", **MARCH
    )

    assert values == [1.0]


def test_ratio_parts_sum_the_numerators_and_denominators_of_one_member(organisation):
    IndicatorFactory(organisation=organisation, code="ftr", aggregation="ratio")
    rows = [  # (day, arm, numerator, denominator)
        ("2026-02-28", "fast-quote", 100.0, 100.0),  # before
        ("2026-03-01", "fast-quote", 8.0, 10.0),
        ("2026-03-15", "fast-quote", 3.5, 5.0),
        ("2026-03-16", "control", 1.0, 10.0),
        ("2026-03-31", "fast-quote", 6.0, 12.0),
        ("2026-04-01", "fast-quote", 100.0, 100.0),  # after
    ]
    ingest_measurements(
        organisation=organisation,
        items=[
            {
                "indicator": "ftr",
                "observed_at": day,
                "segment": {"arm": arm},
                "numerator": numerator,
                "denominator": denominator,
            }
            for day, arm, numerator, denominator in rows
        ],
    )
    common = {"organisation": organisation, "code": "ftr", "dimension": "arm", **MARCH}

    assert selectors.measurement_ratio_parts(member="fast-quote", **common) == RatioParts(
        numerator=8.0 + 3.5 + 6.0, denominator=10.0 + 5.0 + 12.0, n=3
    )
    assert selectors.measurement_ratio_parts(member="control", **common) == RatioParts(1.0, 10.0, 1)
    assert selectors.measurement_ratio_parts(member="nobody", **common) == RatioParts(0.0, 0.0, 0)


def test_another_organisations_indicator_is_not_found(organisation, other_organisation):
    IndicatorFactory(organisation=other_organisation, code="secret")
    ingest_measurements(
        organisation=other_organisation,
        items=[
            {
                "indicator": "secret",
                "observed_at": "2026-03-02",
                "segment": {"arm": "control"},
                "value": 1.0,
            }
        ],
    )
    query = {"code": "secret", "dimension": "arm", "member": "control", **MARCH}

    with pytest.raises(NotFound):
        selectors.measurement_values(organisation=organisation, **query)
    with pytest.raises(NotFound):
        selectors.measurement_ratio_parts(organisation=organisation, **query)
    with pytest.raises(NotFound):
        selectors.indicator_by_code(organisation=organisation, code="secret")
    assert selectors.measurement_values(organisation=other_organisation, **query) == [1.0]


def test_another_organisations_deviation_is_not_found(organisation, other_organisation):
    from indicators.models import Deviation

    theirs = IndicatorFactory(organisation=other_organisation, code="secret")
    deviation = Deviation.objects.create(
        indicator=theirs, period="month", period_start=date(2026, 3, 1), kind="corrective"
    )

    with pytest.raises(NotFound):
        selectors.deviation_by_id(organisation=organisation, pk=deviation.pk)
    assert selectors.deviation_by_id(organisation=other_organisation, pk=deviation.pk) == deviation
