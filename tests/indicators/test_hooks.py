"""Values-changed hooks: after a recompute commits, handlers get exactly what it changed."""

import logging
from datetime import date

import pytest
from django.db import connection, transaction
from django.utils import timezone

from indicators.hooks import (
    ChangedValue,
    IndicatorsChanged,
    ValuesChanged,
    register_indicators_changed,
    register_values_changed,
    unregister_indicators_changed,
    unregister_values_changed,
)
from indicators.models import DirtyMark, Indicator, Measurement, PeriodValue
from indicators.services import delete_indicator, recompute_dirty, update_indicator
from indicators.services.dirty import mark_dirty
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)  # 2 March 2026 is a Monday: its ISO week starts that day
TUESDAY = date(2026, 3, 3)


@pytest.fixture
def calls():
    """What the test handler received, one ValuesChanged per call."""
    received: list[ValuesChanged] = []
    register_values_changed("tests.recorder", received.append)
    yield received
    unregister_values_changed("tests.recorder")


@pytest.fixture
def pushed(api, django_capture_on_commit_callbacks):
    """Push a batch and run what it enqueues after commit (the recompute, then the hooks)."""

    def run(items):
        with django_capture_on_commit_callbacks(execute=True):
            response = push(api, items)
        assert response.status_code == 200, response.json()
        return response.json()

    return run


@pytest.fixture
def peak(organisation):
    """A max indicator, and a formula over it: both change with its values."""
    IndicatorFactory(organisation=organisation, code="peak", aggregation="max", period="month")
    IndicatorFactory(organisation=organisation, code="twice", formula="2 * peak", period="month")


def _item(key, day, value):
    return {"indicator": "peak", "key": key, "observed_at": str(day), "value": value}


def _id(organisation, code) -> int:
    return Indicator.objects.get(organisation=organisation, code=code).pk


def _pairs(code, organisation, *periods_and_starts):
    indicator_id = _id(organisation, code)
    return {ChangedValue(indicator_id, period, start) for period, start in periods_and_starts}


EVERY_PERIOD_OF_MONDAY = [
    ("day", MONDAY),
    ("week", MONDAY),
    ("month", date(2026, 3, 1)),
    ("quarter", date(2026, 1, 1)),
    ("year", date(2026, 1, 1)),
]


def test_a_push_calls_each_handler_once_with_the_changed_pairs(organisation, peak, pushed, calls):
    pushed(
        [
            {**_item("a", MONDAY, 10.0), "segment": {"channel": "web"}},
            _item("b", TUESDAY, 20.0),
        ]
    )

    # Two days, and the one week, month, quarter and year they share; the segment's rows
    # fall on the same pairs.
    expected = [*EVERY_PERIOD_OF_MONDAY, ("day", TUESDAY)]
    [call] = calls
    assert call.organisation_id == organisation.pk
    assert call.changed == _pairs("peak", organisation, *expected) | _pairs(
        "twice", organisation, *expected
    )


def test_only_the_periods_whose_values_changed_are_passed_on(organisation, peak, pushed, calls):
    pushed([_item("a", MONDAY, 10.0), _item("b", TUESDAY, 20.0)])
    calls.clear()

    pushed([_item("a", MONDAY, 5.0)])  # the week's maximum stays 20, its count 2

    # Monday's value changes, and with it Tuesday's previous and change; nothing longer does.
    expected = [("day", MONDAY), ("day", TUESDAY)]
    [call] = calls
    assert call.changed == _pairs("peak", organisation, *expected) | _pairs(
        "twice", organisation, *expected
    )
    tuesday = PeriodValue.objects.get(
        indicator__code="peak", period="day", segment="", period_start=TUESDAY
    )
    assert (tuesday.previous, tuesday.change) == (5.0, 15.0)


def test_a_replayed_push_calls_no_handler(organisation, peak, pushed, calls):
    items = [_item("a", MONDAY, 10.0), _item("b", TUESDAY, 20.0)]
    pushed(items)
    calls.clear()

    assert pushed(items) == {"created": 0, "updated": 0, "unchanged": 2}

    assert calls == []


def test_a_recompute_that_changes_no_value_calls_no_handler(organisation, peak, pushed, calls):
    pushed([_item("a", MONDAY, 10.0), _item("b", TUESDAY, 20.0)])
    calls.clear()
    before = dict(PeriodValue.objects.values_list("id", "computed_at"))

    # A new comment marks Monday dirty and is recomputed, but no number changes.
    assert pushed([{**_item("a", MONDAY, 10.0), "comment": "checked"}])["updated"] == 1

    assert not DirtyMark.objects.exists()
    assert calls == []
    assert dict(PeriodValue.objects.values_list("id", "computed_at")) == before


def test_a_change_of_a_millionth_is_still_written_and_passed_on(organisation, peak, pushed, calls):
    pushed([_item("a", MONDAY, 10.0), _item("b", TUESDAY, 20.0)])
    calls.clear()

    pushed([_item("b", TUESDAY, 20.0 * (1 + 1e-6))])

    [call] = calls
    peak_id = _id(organisation, "peak")
    changed_peak = {(c.period, c.period_start) for c in call.changed if c.indicator_id == peak_id}
    assert ("day", TUESDAY) in changed_peak and ("week", MONDAY) in changed_peak
    week = PeriodValue.objects.get(
        indicator__code="peak", period="week", segment="", period_start=MONDAY
    )
    assert week.value == 20.0 * (1 + 1e-6)


def test_deleted_values_are_passed_on(organisation, peak, pushed, calls, capture_commits):
    pushed([_item("a", MONDAY, 10.0), _item("b", TUESDAY, 20.0)])
    calls.clear()
    peak_id = _id(organisation, "peak")
    Measurement.objects.filter(indicator_id=peak_id, local_date=TUESDAY).delete()

    with capture_commits(execute=True):
        mark_dirty({(peak_id, TUESDAY)}, timezone.now())
        recompute_dirty()

    # Tuesday is gone; the week, month, quarter and year now hold Monday's 10 alone.
    expected = [("day", TUESDAY), *EVERY_PERIOD_OF_MONDAY[1:]]
    [call] = calls
    assert call.changed == _pairs("peak", organisation, *expected) | _pairs(
        "twice", organisation, *expected
    )
    assert not PeriodValue.objects.filter(indicator_id=peak_id, period_start=TUESDAY).exists()


def test_a_failing_handler_loses_no_value_and_stops_no_other_handler(
    organisation, peak, pushed, caplog
):
    received = []

    def broken(change):
        raise RuntimeError("the evidence store is down")

    register_values_changed("tests.broken", broken)
    register_values_changed("tests.after_broken", received.append)
    try:
        with caplog.at_level(logging.ERROR, logger="indicators.hooks"):
            pushed([_item("a", MONDAY, 10.0)])
    finally:
        unregister_values_changed("tests.broken")
        unregister_values_changed("tests.after_broken")

    assert len(received) == 1
    assert (
        PeriodValue.objects.get(
            indicator__code="peak", period="month", segment="", period_start=date(2026, 3, 1)
        ).value
        == 10.0
    )
    [record] = [r for r in caplog.records if "tests.broken" in r.getMessage()]
    assert record.exc_info[0] is RuntimeError


def test_registering_a_name_again_replaces_its_handler(organisation, peak, pushed, calls):
    again: list[ValuesChanged] = []
    register_values_changed("tests.recorder", again.append)

    pushed([_item("a", MONDAY, 10.0)])

    assert calls == [] and len(again) == 1


@pytest.mark.postgres
def test_sums_in_another_order_change_nothing_on_the_incremental_path(
    organisation, peak, pushed, calls, capture_commits
):
    """0.1 + 0.2 + 0.3 and 0.2 + 0.3 + 0.1 differ in the last bit; the stored values stay."""
    IndicatorFactory(organisation=organisation, code="total", aggregation="sum", period="day")
    items = [
        {"indicator": "total", "observed_at": f"{MONDAY}T{10 + n}:00:00+02:00", "value": value}
        for n, value in enumerate([0.1, 0.2, 0.3])
    ]
    pushed(items)
    calls.clear()
    before = dict(PeriodValue.objects.values_list("id", "computed_at"))
    total_id = _id(organisation, "total")
    first_sum = _sql_sum(total_id)
    move_behind_the_others(
        Measurement.objects.filter(indicator_id=total_id).order_by("observed_at").first()
    )
    assert _sql_sum(total_id) != first_sum, "the sums should differ in the last bit"

    with capture_commits(execute=True):
        mark_dirty({(total_id, MONDAY)}, timezone.now())
        assert recompute_dirty() == 1

    assert calls == []
    assert dict(PeriodValue.objects.values_list("id", "computed_at")) == before


def move_behind_the_others(measurement: Measurement) -> None:
    """Store the same measurement again as a new row: heap and index scans now reach it last,
    so SQL sums it last."""
    measurement.delete()
    measurement.pk = None
    measurement.save()


def _sql_sum(indicator_id: int) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(value) FROM indicators_measurement WHERE indicator_id = %s",
            [indicator_id],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def capture_commits(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_values_changed_answers_by_indicator_and_period():
    change = ValuesChanged(
        7,
        frozenset(
            {
                ChangedValue(1, "day", MONDAY),
                ChangedValue(1, "day", TUESDAY),
                ChangedValue(1, "month", date(2026, 3, 1)),
                ChangedValue(2, "week", MONDAY),
            }
        ),
    )

    assert change.indicator_ids == {1, 2}
    assert change.starts(1, "day") == {MONDAY, TUESDAY}
    assert change.starts(2, "day") == frozenset()
    assert change.touches(2) and change.touches(1, "month")
    assert not change.touches(2, "month") and not change.touches(3)


# -- indicators changed without new values ----------------------------------------------------


@pytest.fixture
def changes():
    """What the test handler saw, as (change, whether the indicator row was still there), and
    the after-commit calls it asked for, in order."""
    seen: list = []

    def handler(change):
        there = Indicator.objects.filter(pk__in=change.indicator_ids).exists()
        seen.append((change, there))
        return lambda: seen.append("after the commit")

    register_indicators_changed("tests.changes", handler)
    yield seen
    unregister_indicators_changed("tests.changes")


def test_a_delete_calls_the_handler_before_the_rows_go_and_its_work_after_the_commit(
    organisation, changes, django_capture_on_commit_callbacks
):
    gone = IndicatorFactory(organisation=organisation, code="gone")
    gone_id = gone.pk

    with django_capture_on_commit_callbacks(execute=True):
        delete_indicator(indicator=gone)

    assert changes == [
        (IndicatorsChanged(organisation.pk, frozenset({gone_id}), deleting=True), True),
        "after the commit",
    ]
    assert not Indicator.objects.filter(code="gone").exists()


def test_a_delete_rolled_back_runs_no_after_commit_work(
    organisation, changes, django_capture_on_commit_callbacks
):
    kept = IndicatorFactory(organisation=organisation, code="kept")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        delete_indicator(indicator=kept)
        transaction.set_rollback(True)

    assert len(changes) == 1  # called, but nothing after: there was no commit
    assert Indicator.objects.filter(code="kept").exists()


def test_a_change_of_the_stale_grace_calls_the_handler_and_another_change_does_not(
    organisation, changes, django_capture_on_commit_callbacks
):
    late = IndicatorFactory(organisation=organisation, code="late", stale_grace_days=None)

    with django_capture_on_commit_callbacks(execute=True):
        update_indicator(indicator=late, data={"name": "Late", "stale_grace_days": None})
        update_indicator(indicator=late, data={"stale_grace_days": 3})

    assert changes == [
        (IndicatorsChanged(organisation.pk, frozenset({late.pk}), deleting=False), True),
        "after the commit",
    ]


def test_a_handler_that_breaks_a_query_is_logged_and_the_others_and_the_delete_go_on(
    organisation, changes, django_capture_on_commit_callbacks, caplog
):
    def broken(change):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    register_indicators_changed("tests.a_broken", broken)
    gone = IndicatorFactory(organisation=organisation, code="gone")
    try:
        with (
            caplog.at_level(logging.ERROR, logger="indicators.hooks"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            delete_indicator(indicator=gone)
    finally:
        unregister_indicators_changed("tests.a_broken")

    [record] = [r for r in caplog.records if r.name == "indicators.hooks"]
    assert record.getMessage().startswith("indicators-changed handler tests.a_broken failed ")
    # Its savepoint was rolled back: the transaction went on, the other handler ran.
    assert changes[-1] == "after the commit"
    assert not Indicator.objects.filter(code="gone").exists()
