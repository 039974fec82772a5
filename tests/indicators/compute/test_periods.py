from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from indicators.compute.periods import (
    PERIODS,
    local_date,
    next_period_start,
    parse_observed_at,
    period_bounds,
    period_start,
    previous_period_start,
)

HELSINKI = ZoneInfo("Europe/Helsinki")  # EET +02:00, EEST +03:00
STOCKHOLM = ZoneInfo("Europe/Stockholm")  # CET +01:00, CEST +02:00


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_week_53_of_2026_starts_on_monday_28_december():
    # 1 Jan 2026 is a Thursday, so ISO 2026 has 53 weeks.
    monday = date.fromisocalendar(2026, 53, 1)
    assert monday == date(2026, 12, 28)
    for offset in range(7):
        assert period_start(monday + timedelta(days=offset), "week") == monday
    assert next_period_start(monday, "week") == date.fromisocalendar(2027, 1, 1)


def test_new_years_day_2027_is_in_a_2026_week_but_starts_the_2027_year():
    day = date(2027, 1, 1)
    assert day.isocalendar()[:2] == (2026, 53)
    assert period_start(day, "week") == date(2026, 12, 28)
    assert period_start(day, "year") == date(2027, 1, 1)
    assert period_start(day, "month") == date(2027, 1, 1)
    assert period_start(day, "quarter") == date(2027, 1, 1)
    assert period_start(day, "day") == day


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (date(2026, 1, 1), date(2026, 1, 1)),
        (date(2026, 3, 31), date(2026, 1, 1)),
        (date(2026, 4, 1), date(2026, 4, 1)),
        (date(2026, 6, 30), date(2026, 4, 1)),
        (date(2026, 8, 15), date(2026, 7, 1)),
        (date(2026, 12, 31), date(2026, 10, 1)),
    ],
)
def test_quarters_start_on_first_of_january_april_july_october(day, start):
    assert period_start(day, "quarter") == start


@pytest.mark.parametrize(
    ("start", "period", "following"),
    [
        (date(2026, 12, 31), "day", date(2027, 1, 1)),
        (date(2026, 12, 28), "week", date(2027, 1, 4)),
        (date(2026, 12, 1), "month", date(2027, 1, 1)),
        (date(2026, 1, 1), "month", date(2026, 2, 1)),
        (date(2026, 10, 1), "quarter", date(2027, 1, 1)),
        (date(2026, 1, 1), "year", date(2027, 1, 1)),
    ],
)
def test_next_and_previous_period_cross_the_year_boundary(start, period, following):
    assert next_period_start(start, period) == following
    assert previous_period_start(following, period) == start


def test_stepping_forward_and_back_returns_to_the_same_period():
    for period in PERIODS:
        start = period_start(date(2026, 2, 17), period)
        assert previous_period_start(next_period_start(start, period), period) == start


def test_unknown_period_is_rejected():
    with pytest.raises(ValueError, match="unknown period"):
        period_start(date(2026, 1, 1), "fortnight")


def test_next_period_needs_a_period_start():
    with pytest.raises(ValueError, match="not the start of a month"):
        next_period_start(date(2026, 1, 15), "month")


def test_local_date_follows_the_time_zone_across_the_spring_change():
    # Helsinki moves from +02:00 to +03:00 at 01:00 UTC on 29 March 2026.
    assert local_date(utc(2026, 3, 29, 0, 30), HELSINKI) == date(2026, 3, 29)  # 02:30 EET
    assert local_date(utc(2026, 3, 28, 22, 30), HELSINKI) == date(2026, 3, 29)  # 00:30 EET
    assert local_date(utc(2026, 3, 28, 21, 59), HELSINKI) == date(2026, 3, 28)  # 23:59 EET
    assert local_date(utc(2026, 3, 29, 20, 59), HELSINKI) == date(2026, 3, 29)  # 23:59 EEST
    assert local_date(utc(2026, 3, 29, 21, 0), HELSINKI) == date(2026, 3, 30)  # 00:00 EEST
    # Stockholm is one hour behind: 22:30 UTC is still 23:30 CET on the 28th.
    assert local_date(utc(2026, 3, 28, 22, 30), STOCKHOLM) == date(2026, 3, 28)
    assert local_date(utc(2026, 3, 28, 23, 30), STOCKHOLM) == date(2026, 3, 29)


def test_local_date_rejects_a_naive_timestamp():
    with pytest.raises(ValueError, match="time zone offset"):
        local_date(datetime(2026, 3, 29, 12), HELSINKI)


@pytest.mark.parametrize(
    ("tz", "day", "first_instant", "next_instant", "hours"),
    [
        (HELSINKI, date(2026, 3, 29), utc(2026, 3, 28, 22), utc(2026, 3, 29, 21), 23),
        (HELSINKI, date(2026, 10, 25), utc(2026, 10, 24, 21), utc(2026, 10, 25, 22), 25),
        (STOCKHOLM, date(2026, 3, 29), utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), 23),
        (STOCKHOLM, date(2026, 10, 25), utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), 25),
        (HELSINKI, date(2026, 6, 1), utc(2026, 5, 31, 21), utc(2026, 6, 1, 21), 24),
    ],
)
def test_a_day_across_a_dst_change_lasts_23_or_25_hours(
    tz, day, first_instant, next_instant, hours
):
    start, end = period_bounds(day, "day", tz)
    assert start == first_instant and end == next_instant
    assert start.tzinfo is tz and end.tzinfo is tz
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=hours)


def test_month_and_year_bounds_are_local_midnights():
    assert period_bounds(date(2026, 3, 1), "month", HELSINKI) == (
        utc(2026, 2, 28, 22),  # 00:00 EET
        utc(2026, 3, 31, 21),  # 00:00 EEST
    )
    assert period_bounds(date(2026, 1, 1), "year", STOCKHOLM) == (
        utc(2025, 12, 31, 23),
        utc(2026, 12, 31, 23),
    )


@pytest.mark.parametrize("zone", ["Europe/Helsinki", "Europe/Stockholm", "America/Santiago"])
def test_every_day_of_2026_is_bounded_by_the_first_instant_of_its_local_date(zone):
    # Santiago skips midnight on 6 Sep 2026: the day starts at the jump, 01:00 local.
    tz = ZoneInfo(zone)
    day = date(2026, 1, 1)
    while day.year == 2026:
        start, end = period_bounds(day, "day", tz)
        assert local_date(start, tz) == day
        assert local_date(start - timedelta(microseconds=1), tz) == day - timedelta(days=1)
        assert end == period_bounds(day + timedelta(days=1), "day", tz)[0]
        day += timedelta(days=1)


def test_a_bare_date_means_local_midnight():
    observed = parse_observed_at("2026-03-29", HELSINKI)
    assert observed == utc(2026, 3, 28, 22)
    assert observed.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-03-01T12:00:00+02:00", utc(2026, 3, 1, 10)),
        ("2026-03-01T12:00:00Z", utc(2026, 3, 1, 12)),
        ("2026-03-28T22:30:00Z", utc(2026, 3, 28, 22, 30)),
        (" 2026-03-01 12:00:00.250-05:00 ", utc(2026, 3, 1, 17, 0, 0, 250000)),
    ],
)
def test_a_timestamp_with_an_offset_keeps_its_instant(text, instant):
    observed = parse_observed_at(text, HELSINKI)
    assert observed == instant
    assert observed.tzinfo is HELSINKI


def test_a_timestamp_without_an_offset_is_rejected():
    with pytest.raises(ValueError) as error:
        parse_observed_at("2026-03-01T12:00:00", HELSINKI)
    assert str(error.value) == (
        "timestamp needs a time zone offset, e.g. 2026-03-01T12:00:00+02:00"
    )


@pytest.mark.parametrize(
    "text", ["", "   ", "yesterday", "2026-02-30", "2026-13-01", "2026-03-01T25:00:00Z", "1.5"]
)
def test_malformed_text_is_rejected_with_a_clear_message(text):
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_observed_at(text, HELSINKI)


def test_a_non_string_is_rejected_as_a_value_error():
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_observed_at(20260301, HELSINKI)  # type: ignore[arg-type]
