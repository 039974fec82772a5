"""The values endpoint: every aggregation, every period, time zones, segments and scoring.

Expected numbers are computed independently (numpy, statistics, worked examples written out here)
from the same raw measurements that are pushed.
"""

import json
import math
import statistics
from datetime import date

import numpy as np
import pytest

from tests.factories import IndicatorFactory, push, values

pytestmark = pytest.mark.django_db

RAW = [12.5, 3.0, 7.25, 19.0, 3.0, 11.0]  # an even count: the median is a mean of two
# observed in March 2026 (Helsinki, UTC+2), out of order on purpose
STAMPS = [
    "2026-03-04T10:00:00+02:00",
    "2026-03-01T08:00:00+02:00",
    "2026-03-20T23:30:00+02:00",
    "2026-03-11T12:00:00Z",
    "2026-03-09",
    "2026-03-15T06:00:00+02:00",
]


@pytest.fixture
def pushed(api, django_capture_on_commit_callbacks):
    """Push a batch and run the recompute it enqueues after commit, as in production."""

    def run(items, client=None):
        with django_capture_on_commit_callbacks(execute=True):
            response = push(client or api, items)
        assert response.status_code == 200, response.json()
        return response.json()

    return run


def results(api, code, **query) -> list[dict]:
    response = api.get(f"/api/v1/indicators/{code}/values/", query)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def by_start(api, code, field="value", **query) -> dict:
    return {r["period_start"]: r[field] for r in results(api, code, **query)}


def batch_of(code, numbers, stamps=STAMPS, **extra):
    return [
        {"indicator": code, "observed_at": stamp, "value": number, **extra}
        for number, stamp in zip(numbers, stamps, strict=True)
    ]


EXPECTED = {
    "sum": math.fsum(RAW),
    "mean": float(np.mean(RAW)),
    "median": float(np.median(RAW)),  # (7.25 + 11.0) / 2
    "min": float(np.min(RAW)),
    "max": float(np.max(RAW)),
    "last": 7.25,  # observed 2026-03-20 23:30, the latest of the stamps
    "count": float(len(RAW)),
}


@pytest.mark.parametrize("aggregation", list(EXPECTED))
def test_each_aggregation_matches_an_independent_computation(
    api, organisation, pushed, aggregation
):
    IndicatorFactory(organisation=organisation, code="x", aggregation=aggregation)
    pushed(batch_of("x", RAW))
    [row] = results(api, "x", period="month")
    assert row["period_start"] == "2026-03-01"
    assert row["value"] == pytest.approx(EXPECTED[aggregation], rel=1e-12)
    assert row["count"] == len(RAW)
    assert row["numerator"] is None and row["denominator"] is None


def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_values(
    api, organisation, pushed
):
    IndicatorFactory(organisation=organisation, code="x", aggregation="median")
    pushed(batch_of("x", [1, 10, 2, 100], STAMPS[:4]))
    assert by_start(api, "x", period="month") == {"2026-03-01": statistics.median([1, 10, 2, 100])}
    assert statistics.median([1, 10, 2, 100]) == 6.0


def test_ratio_is_100_times_summed_numerators_over_summed_denominators(api, organisation, pushed):
    IndicatorFactory(organisation=organisation, code="ftr", aggregation="ratio", unit="%")
    parts = [(1, 2), (99, 100), (0, 5), (30, 40)]
    pushed(
        [
            {"indicator": "ftr", "observed_at": stamp, "numerator": n, "denominator": d}
            for (n, d), stamp in zip(parts, STAMPS, strict=False)
        ]
    )
    [row] = results(api, "ftr", period="month")
    numerators, denominators = np.array(parts, dtype=float).T
    assert row["value"] == pytest.approx(100 * numerators.sum() / denominators.sum())
    assert row["value"] != pytest.approx(np.mean(100 * numerators / denominators))
    assert (row["numerator"], row["denominator"], row["count"]) == (130, 147, 4)


def test_last_is_the_latest_observation_and_on_a_tie_the_one_stored_last(api, organisation, pushed):
    IndicatorFactory(organisation=organisation, code="x", aggregation="last")
    pushed(
        [
            {"indicator": "x", "observed_at": "2026-03-31T12:00:00+03:00", "value": 1, "key": "a"},
            {"indicator": "x", "observed_at": "2026-03-02", "value": 2, "key": "b"},
        ]
    )
    assert by_start(api, "x", period="month") == {"2026-03-01": 1}
    # the same instant again, stored later: it is the last
    pushed([{"indicator": "x", "observed_at": "2026-03-31T09:00:00Z", "value": 3, "key": "c"}])
    assert by_start(api, "x", period="month") == {"2026-03-01": 3}
    # ... also within one batch, where the later item is stored later
    pushed(
        [
            {"indicator": "x", "observed_at": "2026-04-30T10:00:00Z", "value": 4, "key": "d"},
            {"indicator": "x", "observed_at": "2026-04-30T10:00:00Z", "value": 5, "key": "e"},
        ]
    )
    assert by_start(api, "x", period="month")["2026-04-01"] == 5


QUARTER = [  # (local date, value): three in January, one in February
    ("2026-01-05", 1.0),
    ("2026-01-06", 2.0),
    ("2026-01-07", 3.0),
    ("2026-02-10", 10.0),
]


def test_a_quarter_mean_is_the_mean_of_all_its_measurements_not_of_monthly_means(
    api, organisation, pushed
):
    IndicatorFactory(organisation=organisation, code="x", aggregation="mean")
    pushed([{"indicator": "x", "observed_at": day, "value": v} for day, v in QUARTER])
    all_values = [v for _day, v in QUARTER]
    assert by_start(api, "x", period="quarter") == {"2026-01-01": np.mean(all_values)}  # 4.0
    assert np.mean([np.mean([1.0, 2.0, 3.0]), 10.0]) == 6.0  # what it must not be
    assert by_start(api, "x", period="month") == {"2026-01-01": 2.0, "2026-02-01": 10.0}
    assert by_start(api, "x", period="year") == {"2026-01-01": 4.0}
    assert by_start(api, "x", period="week") == {"2026-01-05": 2.0, "2026-02-09": 10.0}
    assert by_start(api, "x", period="day") == {day: v for day, v in QUARTER}
    assert by_start(api, "x", "count", period="quarter") == {"2026-01-01": 4}


def test_the_default_period_is_the_indicators_own(api, organisation, pushed):
    IndicatorFactory(organisation=organisation, code="x", aggregation="sum", period="week")
    pushed([{"indicator": "x", "observed_at": day, "value": v} for day, v in QUARTER])
    body = values(api, "x")
    assert body["period"] == "week"
    assert [r["period_start"] for r in body["results"]] == ["2026-01-05", "2026-02-09"]


ACROSS_NEW_YEAR = [  # 2026 has 53 ISO weeks: week 53 runs Mon 2026-12-28 .. Sun 2027-01-03
    ("2026-12-27", 1.0),  # Sunday of week 52
    ("2026-12-28", 2.0),
    ("2026-12-31", 4.0),
    ("2027-01-01", 8.0),
    ("2027-01-03", 16.0),
    ("2027-01-04", 32.0),  # Monday of week 1 of 2027
]


def test_iso_week_53_spans_the_new_year_and_the_year_does_not(api, organisation, pushed):
    assert date(2026, 12, 28).isocalendar()[:2] == (2026, 53)
    assert date(2027, 1, 3).isocalendar()[:2] == (2026, 53)
    IndicatorFactory(organisation=organisation, code="x", aggregation="sum", period="week")
    # pushed one day at a time, so each recompute sees only its own dirty day
    for day, value in ACROSS_NEW_YEAR:
        pushed([{"indicator": "x", "observed_at": day, "value": value}])
    assert by_start(api, "x", period="week") == {
        "2026-12-21": 1.0,
        "2026-12-28": 2.0 + 4.0 + 8.0 + 16.0,
        "2027-01-04": 32.0,
    }
    assert by_start(api, "x", period="year") == {"2026-01-01": 7.0, "2027-01-01": 56.0}
    assert by_start(api, "x", period="quarter") == {"2026-10-01": 7.0, "2027-01-01": 56.0}
    assert by_start(api, "x", period="month") == {"2026-12-01": 7.0, "2027-01-01": 56.0}


def test_a_late_measurement_in_the_new_year_updates_the_week_that_began_in_the_old(
    api, organisation, pushed
):
    IndicatorFactory(organisation=organisation, code="x", aggregation="mean", period="week")
    pushed([{"indicator": "x", "observed_at": "2026-12-30", "value": 10.0}])
    pushed([{"indicator": "x", "observed_at": "2027-01-02", "value": 20.0}])
    assert by_start(api, "x", period="week") == {"2026-12-28": 15.0}
    pushed([{"indicator": "x", "observed_at": "2026-12-29", "value": 30.0}])
    assert by_start(api, "x", period="week") == {"2026-12-28": 20.0}
    assert by_start(api, "x", "count", period="week") == {"2026-12-28": 3}


def test_days_follow_helsinki_across_the_spring_daylight_saving_change(api, organisation, pushed):
    # Helsinki moves from EET (UTC+2) to EEST (UTC+3) at 01:00 UTC on 2026-03-29.
    IndicatorFactory(organisation=organisation, code="x", aggregation="count", period="day")
    pushed(
        batch_of(
            "x",
            [1] * 5,
            [
                "2026-03-28T21:30:00Z",  # 23:30 EET on the 28th
                "2026-03-28T22:30:00Z",  # 00:30 EET on the 29th
                "2026-03-29T00:59:00Z",  # 02:59 EET on the 29th, just before the change
                "2026-03-29T20:59:00Z",  # 23:59 EEST on the 29th
                "2026-03-29T21:00:00Z",  # 00:00 EEST on the 30th
            ],
        )
    )
    assert by_start(api, "x", period="day") == {"2026-03-28": 1, "2026-03-29": 3, "2026-03-30": 1}


def test_days_follow_stockholm_across_the_autumn_daylight_saving_change(
    other_api, other_organisation, pushed
):
    # Stockholm moves from CEST (UTC+2) to CET (UTC+1) at 01:00 UTC on 2026-10-25: a 25-hour day.
    IndicatorFactory(organisation=other_organisation, code="x", aggregation="count", period="day")
    pushed(
        batch_of(
            "x",
            [1] * 6,
            [
                "2026-10-24T21:59:00Z",  # 23:59 CEST on the 24th
                "2026-10-25",  # local midnight, 2026-10-24T22:00Z
                "2026-10-24T22:30:00Z",  # 00:30 CEST on the 25th
                "2026-10-25T00:30:00Z",  # 02:30 CEST, before the clocks go back
                "2026-10-25T22:30:00Z",  # 23:30 CET on the 25th
                "2026-10-25T23:00:00Z",  # 00:00 CET on the 26th
            ],
        ),
        client=other_api,
    )
    assert by_start(other_api, "x", period="day") == {
        "2026-10-24": 1,
        "2026-10-25": 4,
        "2026-10-26": 1,
    }


SEGMENTED = [
    ({"channel": "web", "region": "north"}, 10.0),
    ({"channel": "web", "region": "south"}, 20.0),
    ({"channel": "phone", "region": "north"}, 60.0),
    ({}, 90.0),
]


def test_a_segment_filter_gives_that_member_and_no_filter_the_total(api, organisation, pushed):
    IndicatorFactory(organisation=organisation, code="x", aggregation="mean")
    pushed(
        [
            {"indicator": "x", "observed_at": "2026-03-02", "value": v, "segment": s}
            for s, v in SEGMENTED
        ]
    )
    total = np.mean([v for _s, v in SEGMENTED])
    assert by_start(api, "x", period="month") == {"2026-03-01": total}
    assert by_start(api, "x", period="month", segment="channel:web") == {"2026-03-01": 15.0}
    assert by_start(api, "x", period="month", segment="channel:phone") == {"2026-03-01": 60.0}
    assert by_start(api, "x", period="month", segment="region:north") == {"2026-03-01": 35.0}
    assert by_start(api, "x", period="month", segment="channel:fax") == {}
    assert values(api, "x", segment="channel:web")["segment"] == "channel:web"


def test_from_and_to_are_inclusive_on_the_period_start(api, organisation, pushed):
    IndicatorFactory(organisation=organisation, code="x", aggregation="sum")
    pushed(
        [
            {"indicator": "x", "observed_at": f"2026-{month:02d}-15", "value": month}
            for month in range(1, 6)
        ]
    )
    assert list(
        by_start(api, "x", period="month", **{"from": "2026-02-01", "to": "2026-04-01"})
    ) == ["2026-02-01", "2026-03-01", "2026-04-01"]
    # February starts before the 15th, so it is not selected
    assert list(by_start(api, "x", period="month", **{"from": "2026-02-15"})) == [
        "2026-03-01",
        "2026-04-01",
        "2026-05-01",
    ]
    assert list(by_start(api, "x", period="quarter", to="2026-03-31")) == ["2026-01-01"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "March"}, "to"),
        ({"segment": "channel"}, "segment"),
        ({"segment": ":web"}, "segment"),
        ({"segment": "channel:"}, "segment"),
    ],
)
def test_a_bad_query_answers_400_naming_the_parameter(api, organisation, query, field):
    IndicatorFactory(organisation=organisation, code="x")
    response = api.get("/api/v1/indicators/x/values/", query)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (None, field)
    assert error["message"]


def test_all_bad_query_parameters_are_listed(api, organisation):
    IndicatorFactory(organisation=organisation, code="x")
    response = api.get("/api/v1/indicators/x/values/", {"period": "x", "from": "y", "to": "z"})
    assert [e["field"] for e in response.json()["errors"]] == ["period", "from", "to"]


MONTHLY = {  # month start -> the one value of that month
    "2026-01-01": 80.0,
    "2026-02-01": 60.0,
    "2026-03-01": 70.0,
    "2026-04-01": 110.0,
    "2026-05-01": 30.0,
    "2026-07-01": 50.0,  # June has no measurement
}


@pytest.fixture
def handling_time(organisation, pushed):
    """Lower is better; baseline 100; target 50, then 20 from March; band 40..75."""
    indicator = IndicatorFactory(
        organisation=organisation,
        code="handling_time",
        aggregation="mean",
        direction="lower_is_better",
        baseline_value=100.0,
        band_low=40.0,
        band_high=75.0,
        action_below="Learn what made it fast",
        action_above="Find the slow step",
    )
    indicator.targets.create(valid_from=date(2026, 1, 1), value=50.0)
    indicator.targets.create(valid_from=date(2026, 3, 1), value=20.0)
    indicator.benchmarks.create(valid_from=date(2026, 2, 1), value=45.0, source="Rival")
    pushed(
        [
            {"indicator": "handling_time", "observed_at": start[:8] + "10", "value": v}
            for start, v in MONTHLY.items()
        ]
    )
    return indicator


def expected_progress(value, baseline, target):
    """clamp((v - baseline) / (target - baseline), 0, 1), written out independently."""
    share = (value - baseline) / (target - baseline)
    return 0.0 if share < 0 else 1.0 if share > 1 else share


def test_each_value_carries_target_progress_band_and_assessment(api, handling_time):
    rows = {r["period_start"]: r for r in results(api, "handling_time", period="month")}
    assert list(rows) == list(MONTHLY)
    targets = {"2026-01-01": 50.0, "2026-02-01": 50.0}
    for start, value in MONTHLY.items():
        row = rows[start]
        target = targets.get(start, 20.0)
        assert row["value"] == value
        assert (row["target"], row["band_low"], row["band_high"]) == (target, 40.0, 75.0)
        assert row["progress"] == pytest.approx(expected_progress(value, 100.0, target))
    assert rows["2026-01-01"]["progress"] == pytest.approx(0.4)  # (80-100)/(50-100)
    assert rows["2026-03-01"]["progress"] == pytest.approx(0.375)  # (70-100)/(20-100)
    assert rows["2026-04-01"]["progress"] == 0.0  # worse than the baseline: clamped
    # lower is better: above the band is worse, below it better
    assert [(rows[s]["position"], rows[s]["assessment"]) for s in MONTHLY] == [
        ("above", "worse"),
        ("within", "expected"),
        ("within", "expected"),
        ("above", "worse"),
        ("below", "better"),
        ("within", "expected"),
    ]


def test_each_value_carries_previous_change_and_the_benchmark_in_force(api, handling_time):
    rows = {r["period_start"]: r for r in results(api, "handling_time", period="month")}
    assert [(rows[s]["previous"], rows[s]["change"]) for s in MONTHLY] == [
        (None, None),
        (80.0, -20.0),
        (60.0, 10.0),
        (70.0, 40.0),
        (110.0, -80.0),
        (None, None),  # June has no value, so July has no previous
    ]
    assert [rows[s]["benchmark"] for s in MONTHLY] == [None, 45.0, 45.0, 45.0, 45.0, 45.0]


def test_out_of_band_values_open_deviations_with_the_action_of_their_side(api, handling_time):
    deviations = api.get("/api/v1/deviations/", {"indicator": "handling_time"}).json()["results"]
    summary = sorted((d["period_start"], d["kind"], d["action"], d["state"]) for d in deviations)
    assert summary == [
        ("2026-01-01", "corrective", "Find the slow step", "open"),
        ("2026-04-01", "corrective", "Find the slow step", "open"),
        ("2026-05-01", "learning", "Learn what made it fast", "open"),
    ]


def test_a_value_back_in_the_band_resolves_its_deviation(api, handling_time, pushed):
    pushed([{"indicator": "handling_time", "observed_at": "2026-04-11", "value": 0.0}])
    # April: mean(110, 0) = 55, back within 40..75
    assert by_start(api, "handling_time", "assessment", period="month")["2026-04-01"] == (
        "expected"
    )
    april = api.get("/api/v1/deviations/", {"indicator": "handling_time"}).json()["results"]
    assert {d["period_start"]: d["state"] for d in april}["2026-04-01"] == "resolved_by_data"


@pytest.mark.parametrize(
    ("direction", "assessments"),
    [
        ("higher_is_better", ["worse", "expected", "better"]),
        ("lower_is_better", ["better", "expected", "worse"]),
        ("in_range", ["worse", "expected", "worse"]),
    ],
)
def test_the_assessment_reads_the_band_position_in_the_indicators_direction(
    api, organisation, pushed, direction, assessments
):
    IndicatorFactory(
        organisation=organisation,
        code="x",
        aggregation="sum",
        direction=direction,
        band_low=10.0,
        band_high=20.0,
    )
    pushed(
        [
            {"indicator": "x", "observed_at": "2026-01-10", "value": 5},
            {"indicator": "x", "observed_at": "2026-02-10", "value": 15},
            {"indicator": "x", "observed_at": "2026-03-10", "value": 25},
        ]
    )
    rows = results(api, "x", period="month")
    assert [r["position"] for r in rows] == ["below", "within", "above"]
    assert [r["assessment"] for r in rows] == assessments


def test_numbers_are_json_numbers_and_missing_values_are_null(api, organisation, pushed):
    IndicatorFactory(organisation=organisation, code="x", aggregation="mean")
    pushed(batch_of("x", RAW))
    response = api.get("/api/v1/indicators/x/values/", {"period": "month"})
    text = response.content.decode()
    assert "NaN" not in text and "Infinity" not in text
    body = json.loads(text)
    assert set(body) >= {"indicator", "period", "computed_at", "results"}
    assert body["computed_at"]
    [row] = body["results"]
    assert set(row) >= {
        "period_start",
        "value",
        "count",
        "numerator",
        "denominator",
        "target",
        "progress",
        "band_low",
        "band_high",
        "position",
        "assessment",
        "previous",
        "change",
        "benchmark",
        "signal",
    }
    assert type(row["value"]) is float and type(row["count"]) is int
    for name in (
        "target",
        "progress",
        "band_low",
        "band_high",
        "position",
        "assessment",
        "previous",
        "change",
        "benchmark",
        "numerator",
        "denominator",
        "signal",
    ):
        assert row[name] is None, name


def test_an_indicator_without_values_answers_an_empty_list(api, organisation):
    IndicatorFactory(organisation=organisation, code="x")
    body = values(api, "x")
    assert body["results"] == [] and body["computed_at"] is None


def test_values_near_the_accepted_limit_aggregate_exactly(api, organisation, pushed):
    IndicatorFactory(organisation=organisation, code="x", aggregation="sum", period="day")
    pushed(
        [
            {"indicator": "x", "observed_at": "2026-03-02T08:00:00Z", "value": 1e300},
            {"indicator": "x", "observed_at": "2026-03-02T09:00:00Z", "value": 1e300},
            {"indicator": "x", "observed_at": "2026-03-03", "value": -1e300},
            {"indicator": "x", "observed_at": "2026-03-05", "value": 5.0},
        ]
    )
    assert by_start(api, "x", period="day") == {
        "2026-03-02": 2e300,
        "2026-03-03": -1e300,
        "2026-03-05": 5.0,
    }
    assert by_start(api, "x", period="month") == {"2026-03-01": pytest.approx(1e300)}


def test_a_value_beyond_1e300_is_refused(api, organisation):
    IndicatorFactory(organisation=organisation, code="x", aggregation="sum", period="day")
    response = api.post(
        "/api/v1/measurements/",
        {"measurements": [{"indicator": "x", "observed_at": "2026-03-02", "value": -1e301}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 0, "field": "value", "message": "'value' must lie between -1e300 and 1e300."}
    ]
