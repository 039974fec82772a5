"""Pushing, replaying and recomputing twice are safe: nothing changes the second time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import IdempotencyRecord
from indicators import tasks
from indicators.models import (
    Deviation,
    DirtyMark,
    Measurement,
    MeasurementRevision,
    PeriodValue,
)
from indicators.services import recompute_all, recompute_dirty
from tests.factories import IndicatorFactory, push

BATCH = [
    {"indicator": "quote_time", "observed_at": "2026-03-02", "value": 30},
    {"indicator": "quote_time", "observed_at": "2026-03-03", "value": 50},
]


@pytest.fixture
def quote_time(organisation):
    return IndicatorFactory(
        organisation=organisation,
        code="quote_time",
        band_low=35.0,
        band_high=45.0,
        direction="lower_is_better",
        period="day",
        baseline_value=60.0,
    )


def keyed(api, items, key):
    return push(api, items, HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_the_same_key_and_body_return_the_first_answer_even_after_the_data_changed(api, quote_time):
    first = keyed(api, BATCH, "push-1")
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0}
    push(api, [{**BATCH[0], "value": 99}])  # the data changes meanwhile, without a key
    again = keyed(api, BATCH, "push-1")
    assert (again.status_code, again.json()) == (200, first.json())
    # the replay answered from memory: the later change stands, no new revision
    assert Measurement.objects.get(local_date="2026-03-02").value == 99
    assert MeasurementRevision.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_a_conflict(api, quote_time):
    keyed(api, BATCH, "push-1")
    response = keyed(api, [{**BATCH[0], "value": 31}], "push-1")
    assert response.status_code == 409
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (None, "Idempotency-Key")
    assert Measurement.objects.get(local_date="2026-03-02").value == 30


@pytest.mark.django_db
def test_a_refusal_is_remembered_like_any_first_answer(api, quote_time):
    bad = [{**BATCH[0], "value": "30"}]
    first = keyed(api, bad, "push-2")
    assert first.status_code == 400
    again = keyed(api, bad, "push-2")
    assert (again.status_code, again.json()) == (400, first.json())


@pytest.mark.django_db
def test_keys_belong_to_one_organisation(api, other_api, quote_time, other_organisation):
    IndicatorFactory(organisation=other_organisation, code="quote_time")
    keyed(api, BATCH, "push-1")
    other = keyed(other_api, BATCH[:1], "push-1")
    assert (other.status_code, other.json()) == (200, {"created": 1, "updated": 0, "unchanged": 0})


@pytest.mark.django_db
def test_a_key_older_than_a_day_is_forgotten(api, quote_time):
    keyed(api, BATCH, "push-1")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = keyed(api, BATCH, "push-1")
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert keyed(api, BATCH[:1], "push-1").status_code == 409  # the new answer is remembered


def snapshot():
    """Everything a recompute writes, except when it wrote it."""
    rows = PeriodValue.objects.order_by("indicator_id", "period", "segment", "period_start")
    values = list(
        rows.values_list(
            "id",
            "period",
            "segment",
            "period_start",
            "value",
            "count",
            "target",
            "progress",
            "position",
            "assessment",
            "previous",
            "change",
        )
    )
    deviations = Deviation.objects.order_by("id").values_list(
        "id", "period_start", "kind", "state", "value"
    )
    return values, list(deviations)


@pytest.mark.django_db(transaction=True)
def test_recomputing_twice_changes_nothing(api, quote_time):
    push(api, BATCH + [{**BATCH[0], "observed_at": "2026-03-20", "value": 40}])
    before = snapshot()
    assert before[0] and before[1]  # there are values and a deviation to keep
    recompute_all(indicators=[quote_time])
    assert snapshot() == before
    recompute_all(indicators=[quote_time])
    assert snapshot() == before
    assert not DirtyMark.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_recompute_task_is_idempotent(api, quote_time):
    push(api, BATCH)  # its recompute ran after commit
    before = snapshot()
    assert tasks.recompute() == 0  # nothing dirty: nothing to do
    assert tasks.recompute.delay().get() == 0
    assert snapshot() == before
    # a stale wake-up after new marks: the first run does the work, the second finds none
    Measurement.objects.filter(local_date="2026-03-02").update(value=45)
    DirtyMark.objects.create(indicator=quote_time, day="2026-03-02", marked_at=timezone.now())
    assert tasks.recompute() == 1
    after = snapshot()
    assert tasks.recompute() == 0
    assert tasks.sweep_dirty() == 0
    assert snapshot() == after
    assert PeriodValue.objects.get(period="day", period_start="2026-03-02").value == 45


@pytest.mark.django_db(transaction=True)
def test_a_late_duplicate_wake_up_after_a_push_does_no_harm(api, quote_time):
    push(api, BATCH)
    recompute_dirty()
    before = snapshot()
    recompute_dirty()
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_one_organisations_failing_recompute_does_not_hold_back_the_others(
    api, other_api, quote_time, other_organisation, monkeypatch
):
    from indicators.services import recompute as recompute_module

    theirs = IndicatorFactory(organisation=other_organisation, code="quote_time", period="day")
    real = recompute_module._compute_raw

    def broken_for_us(indicator, days, *rest):
        if indicator.pk == quote_time.pk:
            raise RuntimeError("a bug that only our data triggers")
        return real(indicator, days, *rest)

    monkeypatch.setattr(recompute_module, "_compute_raw", broken_for_us)
    push(api, BATCH)
    push(other_api, BATCH)
    assert PeriodValue.objects.filter(indicator=theirs).exists()
    assert not PeriodValue.objects.filter(indicator=quote_time).exists()
    # our marks stay, claimed, until the claim runs out; then the next run retries them
    assert set(DirtyMark.objects.values_list("indicator_id", flat=True)) == {quote_time.pk}
    assert recompute_dirty() == 0
    monkeypatch.setattr(recompute_module, "_compute_raw", real)
    DirtyMark.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert recompute_dirty() == 2
    assert PeriodValue.objects.filter(indicator=quote_time, period="day").count() == 2
