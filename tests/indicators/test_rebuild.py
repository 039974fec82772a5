"""The set-based rebuild (PostgreSQL) gives exactly what the incremental path gives."""

import math
import statistics
import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from indicators.hooks import register_values_changed, unregister_values_changed
from indicators.models import (
    Benchmark,
    Deviation,
    DirtyMark,
    Indicator,
    Measurement,
    PeriodValue,
    Target,
)
from indicators.services import ingest_measurements, mark_indicator_dirty, recompute_dirty
from indicators.services import rebuild as rebuild_module
from indicators.services.rebuild import Rebuilt, rebuild, take_over_marks
from tests.factories import IndicatorFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FIRST_DAY = date(2025, 12, 20)  # the ISO week of 29 Dec 2025 starts in one year, ends in the next
DAYS = 80
AGGREGATIONS = ("sum", "mean", "min", "max", "count", "last", "ratio")
FIELDS = (
    "value",
    "count",
    "numerator",
    "denominator",
    *PeriodValue.DERIVED_FIELDS,
)


def _items(code: str, aggregation: str) -> list[dict]:
    """Three items a day but every seventh day (a gap), over two dimensions, some unsegmented."""
    items = []
    for n in range(DAYS):
        if n % 7 == 3:
            continue
        day = FIRST_DAY + timedelta(days=n)
        for k in range(3):
            item = {
                "indicator": code,
                "observed_at": f"{day}T{8 + 3 * k:02d}:00:00+02:00",
                "value": float((n * 7 + k * 13) % 41) - 5.5,
            }
            if k < 2:
                item["segment"] = {"channel": ("web", "phone")[k], "region": f"r{n % 3}"}
            if aggregation == "ratio":
                del item["value"]
                item["numerator"] = float((n + k) % 9)
                item["denominator"] = float(10 + k)
            items.append(item)
    return items


@pytest.fixture
def indicators(organisation) -> list[Indicator]:
    made = []
    for aggregation in AGGREGATIONS:
        indicator = IndicatorFactory(
            organisation=organisation,
            code=f"by_{aggregation}",
            aggregation=aggregation,
            period="week",
            direction="higher_is_better" if aggregation != "min" else "in_range",
            baseline_value=2.0,
            band_low=12.0,
            band_high=16.0,
        )
        Target.objects.create(indicator=indicator, valid_from=date(2025, 12, 1), value=10.0)
        Target.objects.create(indicator=indicator, valid_from=date(2026, 1, 19), value=1.0)
        Benchmark.objects.create(indicator=indicator, valid_from=date(2026, 1, 1), value=7.5)
        made.append(indicator)
    return made


@pytest.fixture
def incremental(monkeypatch):
    """Make the recompute take the incremental path, whatever the number of dirty days."""
    monkeypatch.setattr(rebuild_module, "REBUILD_MIN_DAYS", 10**9)


@pytest.fixture
def rebuild_calls(monkeypatch) -> list[list[str]]:
    """The codes of the indicators in each call of the rebuild, which still runs."""
    calls = []
    original = rebuild_module.rebuild
    monkeypatch.setattr(
        "indicators.services.recompute.rebuild",
        lambda whole, now, **options: (
            calls.append(sorted(i.code for i in whole)) or original(whole, now, **options)
        ),
    )
    return calls


def _push_all(organisation, indicators) -> None:
    for indicator in indicators:
        ingest_measurements(
            organisation=organisation, items=_items(indicator.code, indicator.aggregation)
        )
    recompute_dirty()


def _stored(indicators) -> dict:
    rows = PeriodValue.objects.filter(indicator__in=indicators).values_list(
        "indicator__code", "period", "segment", "period_start", *FIELDS
    )
    return {row[:4]: row[4:] for row in rows}


def _rebuild_now(indicators) -> Rebuilt:
    with transaction.atomic():
        return rebuild(indicators, timezone.now())


def _assert_same(expected: dict, actual: dict) -> None:
    assert expected.keys() == actual.keys()
    for key, want in expected.items():
        got = actual[key]
        for name, a, b in zip(FIELDS, want, got, strict=True):
            if isinstance(a, float) and b is not None:
                assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), (key, name, a, b)
            else:
                assert a == b, (key, name, a, b)


def test_rebuild_equals_the_incremental_path_for_every_aggregation(
    organisation, indicators, incremental
):
    _push_all(organisation, indicators)
    by_increments = _stored(indicators)
    assert len(by_increments) > 7 * 5 * 50  # every period, the total and five members

    PeriodValue.objects.filter(indicator__in=indicators).delete()
    rebuilt = _rebuild_now(indicators)

    assert (rebuilt.written, rebuilt.deleted) == (len(by_increments), 0)
    _assert_same(by_increments, _stored(indicators))


def test_rebuild_numbers_match_a_computation_by_hand(organisation, indicators):
    _push_all(organisation, indicators)
    PeriodValue.objects.filter(indicator__in=indicators).delete()
    _rebuild_now(indicators)
    january = [
        item for item in _items("by_mean", "mean") if item["observed_at"].startswith("2026-01")
    ]

    def stored(code, segment=""):
        return PeriodValue.objects.get(
            indicator__code=code, period="month", segment=segment, period_start=date(2026, 1, 1)
        )

    mean = stored("by_mean")
    assert mean.value == pytest.approx(statistics.fmean(i["value"] for i in january))
    assert mean.count == len(january)
    web = [i["value"] for i in january if i.get("segment", {}).get("channel") == "web"]
    assert stored("by_mean", "channel:web").value == pytest.approx(statistics.fmean(web))
    assert stored("by_sum").value == pytest.approx(math.fsum(i["value"] for i in january))
    assert stored("by_count").value == len(january)
    assert stored("by_max").value == max(i["value"] for i in january)
    assert stored("by_last").value == january[-1]["value"]  # items are in time order
    ratio_items = [i for i in _items("by_ratio", "ratio") if i["observed_at"][:7] == "2026-01"]
    ratio = stored("by_ratio")
    assert ratio.value == pytest.approx(
        100 * sum(i["numerator"] for i in ratio_items) / sum(i["denominator"] for i in ratio_items)
    )
    # Target 10 until 18 Jan, 1 from 19 Jan; baseline 2; higher is better.
    assert (mean.target, mean.benchmark) == (10.0, 7.5)
    assert mean.progress == pytest.approx(min(1, max(0, (mean.value - 2) / (10 - 2))))
    december = stored("by_mean").previous
    assert (
        december
        == PeriodValue.objects.get(
            indicator__code="by_mean", period="month", segment="", period_start=date(2025, 12, 1)
        ).value
    )
    assert mean.change == pytest.approx(mean.value - december)


def test_a_day_without_data_leaves_the_next_day_without_previous(organisation, indicators):
    _push_all(organisation, indicators)
    PeriodValue.objects.filter(indicator__in=indicators).delete()
    _rebuild_now(indicators)
    gap = FIRST_DAY + timedelta(days=3)
    after = PeriodValue.objects.get(
        indicator__code="by_sum", period="day", segment="", period_start=gap + timedelta(days=1)
    )
    assert not PeriodValue.objects.filter(indicator__code="by_sum", period_start=gap).exists()
    assert (after.previous, after.change) == (None, None)


def test_a_second_rebuild_of_the_same_data_rewrites_nothing(organisation, indicators):
    _push_all(organisation, indicators)
    _rebuild_now(indicators)
    before = dict(PeriodValue.objects.values_list("id", "computed_at"))

    rebuilt = _rebuild_now(indicators)
    assert (rebuilt.written, rebuilt.deleted, rebuilt.changed) == (0, 0, frozenset())
    assert dict(PeriodValue.objects.values_list("id", "computed_at")) == before


def test_rebuild_deletes_values_whose_data_is_gone_and_resolves_their_deviations(
    organisation, indicators
):
    _push_all(organisation, indicators)
    mean = next(i for i in indicators if i.aggregation == "mean")
    out_of_band = Deviation.objects.filter(indicator=mean).values_list("period_start", flat=True)
    assert out_of_band, "the data should leave some weeks outside the band 12..16"
    week = max(out_of_band)
    Measurement.objects.filter(
        indicator=mean, local_date__gte=week, local_date__lt=week + timedelta(days=7)
    ).delete()

    deleted = _rebuild_now([mean]).deleted

    assert deleted > 0
    assert not PeriodValue.objects.filter(indicator=mean, period="week", period_start=week).exists()
    assert Deviation.objects.get(indicator=mean, period_start=week).state == "resolved_by_data"


def test_rebuild_opens_the_same_deviations_as_the_incremental_path(
    organisation, indicators, incremental, monkeypatch
):
    _push_all(organisation, indicators)
    fields = ("indicator__code", "period_start", "kind", "value", "state")
    by_increments = sorted(Deviation.objects.values_list(*fields))
    Deviation.objects.all().delete()
    PeriodValue.objects.all().delete()

    _rebuild_now(indicators)

    assert by_increments and sorted(Deviation.objects.values_list(*fields)) == by_increments


def test_recompute_rebuilds_mostly_dirty_indicators_and_their_formulas(
    organisation, indicators, rebuild_calls
):
    calls = rebuild_calls
    total = IndicatorFactory(
        organisation=organisation, code="total", formula="by_sum + by_count", period="week"
    )
    _push_all(organisation, indicators)  # each push is recomputed at once (tasks in-process)

    assert calls == [[i.code] for i in indicators]
    assert not DirtyMark.objects.exists()
    weeks = PeriodValue.objects.filter(indicator=total, segment="", period="week")
    assert weeks.count() == 13  # 20 Dec 2025 (week of 15 Dec) to 9 Mar 2026
    for row in weeks:
        inputs = PeriodValue.objects.filter(
            indicator__code__in=["by_sum", "by_count"],
            period="week",
            segment="",
            period_start=row.period_start,
        ).values_list("value", flat=True)
        assert row.value == pytest.approx(sum(inputs))

    # A few dirty days take the incremental path.
    ingest_measurements(
        organisation=organisation,
        items=[{"indicator": "by_sum", "observed_at": "2026-01-05T12:00:00Z", "value": 100.0}],
    )
    recompute_dirty()
    assert len(calls) == len(indicators)
    day = PeriodValue.objects.get(
        indicator__code="by_sum", period="day", segment="", period_start=date(2026, 1, 5)
    )
    expected = Measurement.objects.filter(
        indicator__code="by_sum", local_date=date(2026, 1, 5)
    ).values_list("value", flat=True)
    assert day.value == pytest.approx(math.fsum(expected))


def test_take_over_leaves_marks_another_worker_holds(organisation, indicators):
    indicator = indicators[0]
    now = timezone.now()
    free = DirtyMark.objects.create(indicator=indicator, day=date(2026, 1, 1), marked_at=now)
    held = DirtyMark.objects.create(
        indicator=indicator,
        day=date(2026, 1, 2),
        marked_at=now,
        claimed_until=now + timedelta(minutes=5),
    )
    expired = DirtyMark.objects.create(
        indicator=indicator,
        day=date(2026, 1, 3),
        marked_at=now,
        claimed_until=now - timedelta(minutes=5),
    )
    other = DirtyMark.objects.create(indicator=indicators[1], day=date(2026, 1, 1), marked_at=now)

    with transaction.atomic():
        days = take_over_marks([indicator], now)

    assert days == {indicator.pk: {free.day, expired.day}}
    assert set(DirtyMark.objects.values_list("id", flat=True)) == {held.id, other.id}


def test_indicators_waiting_in_free_marks_join_the_same_rebuild(
    organisation, indicators, rebuild_calls
):
    calls = rebuild_calls
    _push_all(organisation, indicators)
    calls.clear()
    first, second = indicators[0], indicators[1]
    marked = mark_indicator_dirty(indicator=first)
    mark_indicator_dirty(indicator=second)  # marked later: not in the first claim

    recompute_dirty(limit=marked)  # one round claims exactly the first indicator's marks

    assert calls == [sorted([first.code, second.code])]
    assert not DirtyMark.objects.exists()


def test_a_push_that_lands_during_a_rebuild_is_not_lost(organisation, indicators, monkeypatch):
    """A push commits while a rebuild holds its indicator's marks: its value shows afterwards."""
    _push_all(organisation, indicators)
    mean = next(i for i in indicators if i.aggregation == "mean")
    rebuilding, go_on = threading.Event(), threading.Event()
    original = rebuild_module.rebuild

    def paused_rebuild(whole, now, **options):
        rebuilding.set()
        assert go_on.wait(30)
        return original(whole, now, **options)

    monkeypatch.setattr("indicators.services.recompute.rebuild", paused_rebuild)
    marked = mark_indicator_dirty(indicator=mean)
    # The newest mark is left out of the claim, for the rebuild to take over; a push marks that
    # day again meanwhile.
    day = FIRST_DAY + timedelta(days=40)
    DirtyMark.objects.filter(indicator=mean, day=day).update(marked_at=timezone.now())
    worker = threading.Thread(target=_in_own_connection(lambda: recompute_dirty(limit=marked - 1)))
    worker.start()
    assert rebuilding.wait(30)
    item = {"indicator": mean.code, "observed_at": f"{day}T12:00:00+02:00", "value": 1000.0}
    pusher = threading.Thread(
        target=_in_own_connection(
            lambda: ingest_measurements(organisation=organisation, items=[item])
        )
    )
    pusher.start()
    time.sleep(0.5)
    assert pusher.is_alive(), "the push should wait for the mark row the rebuild took over"
    go_on.set()
    worker.join(30)
    pusher.join(30)
    recompute_dirty()

    assert not DirtyMark.objects.exists()
    stored = PeriodValue.objects.get(indicator=mean, period="day", segment="", period_start=day)
    raw = Measurement.objects.filter(indicator=mean, local_date=day).values_list("value", flat=True)
    assert 1000.0 in raw
    assert stored.value == pytest.approx(statistics.fmean(raw))


def _in_own_connection(work):
    def run():
        try:
            work()
        finally:
            connection.close()

    return run


@pytest.fixture
def values_changed():
    """What a test handler of the values-changed hooks received, one call per item."""
    received = []
    register_values_changed("tests.rebuild", received.append)
    yield received
    unregister_values_changed("tests.rebuild")


def _starts_of(day: date) -> dict[str, date]:
    """The start of every period that contains `day`, by hand."""
    return {
        "day": day,
        "week": day - timedelta(days=day.weekday()),
        "month": day.replace(day=1),
        "quarter": date(day.year, 3 * ((day.month - 1) // 3) + 1, 1),
        "year": date(day.year, 1, 1),
    }


def test_a_rebuild_passes_every_rebuilt_pair_to_the_hooks_and_an_unchanged_one_none(
    organisation, indicators, rebuild_calls, values_changed
):
    _push_all(organisation, indicators)  # each push rebuilds its indicator

    assert rebuild_calls == [[i.code] for i in indicators]
    assert [call.organisation_id for call in values_changed] == [organisation.pk] * 7
    for indicator, call in zip(indicators, values_changed, strict=True):
        days = {date.fromisoformat(item["observed_at"][:10]) for item in _items("x", "sum")}
        expected = {
            (indicator.pk, period, start)
            for day in days
            for period, start in _starts_of(day).items()
        }
        assert call.changed == expected

    values_changed.clear()
    for indicator in indicators:
        mark_indicator_dirty(indicator=indicator)
    recompute_dirty()

    assert len(rebuild_calls) == 8  # the unchanged data was rebuilt, all of it at once
    assert values_changed == []


def _move_behind_the_others(measurement: Measurement) -> None:
    """Store the same measurement again as a new row: heap and index scans now reach it last,
    so SQL sums it last."""
    measurement.delete()
    measurement.pk = None
    measurement.save()


def _sql_sum(indicator: Indicator, day: date) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(value) FROM indicators_measurement"
            " WHERE indicator_id = %s AND local_date = %s",
            [indicator.pk, day],
        )
        return cursor.fetchone()[0]


WEDNESDAY = date(2026, 1, 14)


@pytest.fixture
def fractions(organisation) -> Indicator:
    """A sum whose first day is 0.1 + 0.2 + 0.3 (0.6000000000000001 in this order, 0.6 when 0.1
    comes last) and a next day whose previous and change depend on it; every derived field."""
    indicator = IndicatorFactory(
        organisation=organisation,
        code="fractions",
        aggregation="sum",
        period="day",
        direction="higher_is_better",
        baseline_value=0.05,
        band_low=0.5,
        band_high=0.65,
    )
    Target.objects.create(indicator=indicator, valid_from=date(2026, 1, 1), value=0.7)
    Benchmark.objects.create(indicator=indicator, valid_from=date(2026, 1, 1), value=0.55)
    items = [
        {"indicator": "fractions", "observed_at": f"{day}T{hour}:00:00+02:00", "value": value}
        for day, hour, value in [
            (WEDNESDAY, 10, 0.1),
            (WEDNESDAY, 11, 0.2),
            (WEDNESDAY, 12, 0.3),
            (WEDNESDAY + timedelta(days=1), 10, 0.7),
        ]
    ]
    ingest_measurements(organisation=organisation, items=items)
    recompute_dirty()
    return indicator


def _stored_day(indicator: Indicator, day: date) -> PeriodValue:
    return PeriodValue.objects.get(indicator=indicator, period="day", segment="", period_start=day)


def test_an_unchanged_rebuild_writes_nothing_when_its_sums_differ_in_the_last_bit(fractions):
    _rebuild_now([fractions])
    before = set(PeriodValue.objects.values_list("id", "computed_at", "value"))
    stored = _stored_day(fractions, WEDNESDAY).value
    first = Measurement.objects.filter(indicator=fractions).order_by("observed_at").first()
    _move_behind_the_others(first)
    resummed = _sql_sum(fractions, WEDNESDAY)
    assert resummed != stored and math.isclose(resummed, stored, rel_tol=1e-15)

    rebuilt = _rebuild_now([fractions])

    assert (rebuilt.written, rebuilt.deleted, rebuilt.changed) == (0, 0, frozenset())
    assert set(PeriodValue.objects.values_list("id", "computed_at", "value")) == before


def test_a_change_of_a_millionth_is_rewritten_by_the_rebuild(fractions):
    _rebuild_now([fractions])
    last = Measurement.objects.filter(indicator=fractions).order_by("observed_at")[2]
    Measurement.objects.filter(pk=last.pk).update(value=0.3 + 0.6e-6)  # the day: 0.6 * (1 + 1e-6)

    rebuilt = _rebuild_now([fractions])

    # The day, the next day (its previous and change) and each longer period containing it.
    thursday = WEDNESDAY + timedelta(days=1)
    expected = {(fractions.pk, "day", thursday)} | {
        (fractions.pk, period, start) for period, start in _starts_of(WEDNESDAY).items()
    }
    assert rebuilt.changed == expected
    assert rebuilt.written == len(expected)  # no segments: one row per pair
    assert _stored_day(fractions, WEDNESDAY).value == pytest.approx(0.6 * (1 + 1e-6), rel=1e-12)
    assert _stored_day(fractions, thursday).previous == pytest.approx(0.6 * (1 + 1e-6), rel=1e-12)
