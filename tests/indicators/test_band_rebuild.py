"""Band versions on PostgreSQL: the set-based rebuild judges each period by the band in force at
its start exactly as the incremental path does, and a later band change leaves history alone."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from indicators.models import Deviation, PeriodValue
from indicators.services import bands as bands_module
from indicators.services import (
    create_indicator,
    ingest_measurements,
    mark_indicator_dirty,
    recompute_dirty,
    update_indicator,
)
from indicators.services import rebuild as rebuild_module
from indicators.services.rebuild import rebuild

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FIRST_DAY = date(2025, 12, 1)
DAYS = 84
FIELDS = ("value", *PeriodValue.DERIVED_FIELDS)
DIRECTIONS = ("higher_is_better", "lower_is_better", "in_range")
BANDS = [
    {"from": None, "low": 12.0, "high": 16.0, "action_below": "b0", "action_above": "a0"},
    # A Wednesday: in force from the week of 19 January (the first period starting after it).
    {"from": date(2026, 1, 14), "low": 10.0, "high": 13.0, "action_below": "b1",
     "action_above": "a1"},
    {"from": date(2026, 2, 16), "low": None, "high": None},  # no band from 16 February
]  # fmt: skip


# Weekly means from Monday 1 December 2025: below, within and above each version in turn.
WEEKLY_MEANS = [8, 14, 20, 11, 15, 9, 17, 12, 9, 14, 18, 5]
CODES = {"higher_is_better": "higher", "lower_is_better": "lower", "in_range": "in_range"}


def _items(code: str) -> list[dict]:
    """Two values a day, mean - 1 and mean + 1, so each week's mean is WEEKLY_MEANS exactly."""
    items = []
    for n in range(DAYS):
        day, mean = FIRST_DAY + timedelta(days=n), WEEKLY_MEANS[n // 7]
        for k, value in enumerate((mean - 1.0, mean + 1.0)):
            items.append(
                {"indicator": code, "observed_at": f"{day}T1{k}:00:00+02:00", "value": value}
            )
    return items


@pytest.fixture
def indicators(organisation):
    made = []
    for direction in DIRECTIONS:
        code = CODES[direction]
        made.append(
            create_indicator(
                organisation=organisation,
                data={
                    "code": code,
                    "name": code,
                    "kind": "cpi",
                    "direction": direction,
                    "aggregation": "mean",
                    "period": "week",
                    "bands": BANDS,
                },
            )
        )
        ingest_measurements(organisation=organisation, items=_items(code))
    return made


def _clear(indicators) -> None:
    PeriodValue.objects.filter(indicator__in=indicators).delete()
    Deviation.objects.filter(indicator__in=indicators).delete()


def _stored(indicators) -> dict:
    rows = PeriodValue.objects.filter(indicator__in=indicators).values_list(
        "indicator__code", "period", "segment", "period_start", *FIELDS
    )
    return {row[:4]: row[4:] for row in rows}


def _deviations(indicators) -> dict:
    rows = Deviation.objects.filter(indicator__in=indicators).values_list(
        "indicator__code", "period_start", "kind", "action", "band_low", "band_high", "state"
    )
    return {row[:2]: row[2:] for row in rows}


def test_the_rebuild_judges_band_versions_exactly_as_the_incremental_path(indicators, monkeypatch):
    monkeypatch.setattr(rebuild_module, "REBUILD_MIN_DAYS", 10**9)
    calls = []
    monkeypatch.setattr(
        "indicators.services.recompute.rebuild",
        lambda whole, now, **options: calls.append(len(whole)) or rebuild(whole, now, **options),
    )
    _clear(indicators)
    for indicator in indicators:
        mark_indicator_dirty(indicator=indicator)
    recompute_dirty()  # the incremental path, whatever the number of dirty days
    assert not any(calls)
    incremental, deviations = _stored(indicators), _deviations(indicators)

    _clear(indicators)
    with transaction.atomic():
        rebuild(indicators, timezone.now())

    assert _stored(indicators) == incremental
    assert _deviations(indicators) == deviations
    # Worked check of the versions by week start (weeks start on Mondays).
    bands = {
        start: (low, high)
        for (code, period, segment, start), (_v, _t, _p, low, high, *_rest) in incremental.items()
        if (code, period, segment) == ("higher", "week", "")
    }
    assert bands[date(2026, 1, 12)] == (12, 16)  # week starts before 14 January
    assert bands[date(2026, 1, 19)] == (10, 13)
    assert bands[date(2026, 2, 9)] == (10, 13)
    assert bands[date(2026, 2, 16)] == (None, None)
    by_week = {
        (code, start.isoformat()): kind for (code, start), (kind, *_rest) in deviations.items()
    }
    # 12..16 until 18 January, 10..13 to 15 February, then no band.
    worse_below = {"2025-12-01", "2025-12-22", "2026-01-05", "2026-01-26"}
    worse_above = {"2025-12-15", "2026-01-12", "2026-02-02", "2026-02-09"}
    assert by_week == {
        **{("higher", w): "corrective" for w in worse_below},
        **{("higher", w): "learning" for w in worse_above},
        **{("lower", w): "learning" for w in worse_below},
        **{("lower", w): "corrective" for w in worse_above},
        **{("in_range", w): "corrective" for w in worse_below | worse_above},
    }
    for (_code, start), (_kind, action, low, high, _state) in deviations.items():
        version = 0 if start < date(2026, 1, 19) else 1
        assert (low, high) == ((12, 16), (10, 13))[version]
        assert action in {f"b{version}", f"a{version}"}


def test_a_band_changed_later_rewrites_no_earlier_week_in_the_rebuild(indicators, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "indicators.services.recompute.rebuild",
        lambda whole, now, **options: calls.append(len(whole)) or rebuild(whole, now, **options),
    )
    before = _stored(indicators)  # computed as the fixture pushed
    monkeypatch.setattr(bands_module, "today_in", lambda organisation: date(2026, 2, 11))
    [higher] = [i for i in indicators if i.code == "higher"]
    band = {"low": 0.0, "high": 1.0, "action_below": "x", "action_above": "y"}

    update_indicator(indicator=higher, data={"band": band})
    recompute_dirty()
    assert calls == [1]  # all 84 days of the changed indicator marked: rebuilt whole

    after = _stored(indicators)
    assert after.keys() == before.keys()
    changed = {key for key in before if before[key] != after[key]}
    # Only the higher indicator's periods from the week of 9 February (the current one) to the
    # version that ends the band on 16 February.
    assert all(k[0] == "higher" and date(2026, 2, 9) <= k[3] < date(2026, 2, 16) for k in changed)
    week = after[("higher", "week", "", date(2026, 2, 9))]
    assert (week[0], week[3:7]) == (18, (0, 1, "above", "better"))
    assert ("higher", "week", "", date(2026, 2, 9)) in changed
