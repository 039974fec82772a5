"""Rescoring after a push touches only what changed, yet every derived field stays right."""

import statistics

import pytest

from indicators.compute.spc import xmr_signals
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db(transaction=True)

# 12 points low, 10 points high (two runs of >= 8), then one far beyond the upper limit.
SERIES = [10, 10.2, 9.9, 10.1, 10, 10.3, 9.8, 10.1, 10, 10.2, 9.9, 10.1]
SERIES += [12, 12.1, 11.9, 12.2, 12, 12.1, 11.8, 12, 12.1, 11.9, 20]


@pytest.fixture
def daily(organisation):
    return IndicatorFactory(
        organisation=organisation,
        code="daily",
        period="day",
        aggregation="sum",
        spc_baseline_points=100,  # limits from every point: xmr_signals over the series
    )


def _push_series(api, numbers, first_day=1):
    items = [
        {"indicator": "daily", "observed_at": f"2026-03-{first_day + i:02d}", "value": v}
        for i, v in enumerate(numbers)
    ]
    assert push(api, items).status_code == 200


def _rows(api):
    return api.get("/api/v1/indicators/daily/values/", {"period": "day"}).json()["results"]


def test_signals_equal_an_independent_xmr_computation(api, daily):
    _push_series(api, SERIES)
    rows = _rows(api)
    expected = xmr_signals([float(v) for v in SERIES])
    assert [r["signal"] for r in rows] == expected
    assert {"above_limit", "run_above", "run_below"} <= set(expected)


def test_a_changed_day_updates_the_next_days_previous_and_change(api, daily):
    _push_series(api, [5, 7, 9])
    _push_series(api, [6], first_day=2)  # 2 March: 7 -> 6
    rows = {r["period_start"]: r for r in _rows(api)}
    assert (rows["2026-03-02"]["previous"], rows["2026-03-02"]["change"]) == (5, 1)
    assert (rows["2026-03-03"]["previous"], rows["2026-03-03"]["change"]) == (6, 3)


def test_signals_follow_when_a_new_point_moves_the_limits(api, daily):
    _push_series(api, SERIES)
    _push_series(api, [100], first_day=len(SERIES) + 1)
    values = [float(v) for v in SERIES] + [100.0]
    assert [r["signal"] for r in _rows(api)] == xmr_signals(values)


def test_a_deleted_day_leaves_the_next_day_without_previous(api, daily, organisation):
    _push_series(api, [5, 7])
    push(api, [{"indicator": "daily", "observed_at": "2026-03-01", "value": 5, "key": None}])
    from indicators.models import Measurement
    from indicators.services import mark_indicator_dirty, recompute_dirty

    Measurement.objects.filter(local_date="2026-03-01").delete()
    mark_indicator_dirty(indicator=daily)
    recompute_dirty()
    rows = _rows(api)
    assert [(r["period_start"], r["previous"], r["change"]) for r in rows] == [
        ("2026-03-02", None, None)
    ]


def test_signals_of_a_window_use_the_limits_of_the_whole_series(api, daily):
    _push_series(api, SERIES)
    window = api.get(
        "/api/v1/indicators/daily/values/",
        {"period": "day", "from": "2026-03-13", "to": "2026-03-23"},
    ).json()["results"]
    expected = xmr_signals([float(v) for v in SERIES])[12:23]
    assert [r["signal"] for r in window] == expected


@pytest.mark.parametrize("method", ["sum", "mean", "min", "max", "last", "count", "ratio"])
def test_a_member_series_combines_every_segment_it_appears_in(api, organisation, method):
    IndicatorFactory(organisation=organisation, code="multi", period="day", aggregation=method)
    raw = [  # (hour, channel, region, number, denominator)
        (8, "web", "north", 4.0, 10.0),
        (9, "web", "south", 9.0, 20.0),
        (10, "phone", "north", 1.0, 5.0),
        (11, "web", "north", 7.0, 10.0),
    ]
    items = []
    for hour, channel, region, number, denominator in raw:
        item = {
            "indicator": "multi",
            "observed_at": f"2026-03-02T{hour:02d}:00:00+02:00",
            "segment": {"channel": channel, "region": region},
        }
        if method == "ratio":
            item.update(numerator=number, denominator=denominator)
        else:
            item["value"] = number
        items.append(item)
    assert push(api, items).status_code == 200
    web = [(n, d) for _h, c, _r, n, d in raw if c == "web"]
    expected = {
        "sum": sum(n for n, _ in web),
        "mean": statistics.fmean(n for n, _ in web),
        "min": min(n for n, _ in web),
        "max": max(n for n, _ in web),
        "last": web[-1][0],
        "count": float(len(web)),
        "ratio": 100 * sum(n for n, _ in web) / sum(d for _, d in web),
    }[method]
    for period in ("day", "month"):
        [row] = api.get(
            "/api/v1/indicators/multi/values/", {"period": period, "segment": "channel:web"}
        ).json()["results"]
        assert row["value"] == pytest.approx(expected) and row["count"] == len(web)
