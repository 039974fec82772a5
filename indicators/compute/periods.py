"""Calendar periods (day, ISO week, month, quarter, year) bounded in an organisation's time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

PERIODS = ("day", "week", "month", "quarter", "year")

_MONTHS_PER_PERIOD = {"month": 1, "quarter": 3, "year": 12}


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"unknown period '{period}'; expected one of {', '.join(PERIODS)}")


def _add_months(day: date, months: int) -> date:
    """First of the month `months` after (or before, if negative) the month of `day`."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def period_start(day: date, period: str) -> date:
    """First day of the period containing the local calendar date `day`.

    week = ISO week, starting Monday; quarter starts on 1 Jan / Apr / Jul / Oct.
    """
    _check_period(period)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _check_start(start: date, period: str) -> None:
    if period_start(start, period) != start:
        raise ValueError(f"{start.isoformat()} is not the start of a {period}")


def next_period_start(start: date, period: str) -> date:
    """Start of the period after the one starting on `start`."""
    _check_start(start, period)
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    return _add_months(start, _MONTHS_PER_PERIOD[period])


def previous_period_start(start: date, period: str) -> date:
    """Start of the period before the one starting on `start`."""
    _check_start(start, period)
    if period == "day":
        return start - timedelta(days=1)
    if period == "week":
        return start - timedelta(days=7)
    return _add_months(start, -_MONTHS_PER_PERIOD[period])


def _require_aware(ts: datetime) -> None:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError("timestamp needs a time zone offset, e.g. 2026-03-01T12:00:00+02:00")


def local_date(ts: datetime, tz: tzinfo) -> date:
    """Calendar date of the aware timestamp `ts` as seen in the time zone `tz`."""
    _require_aware(ts)
    return ts.astimezone(tz).date()


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    # fold=0: if midnight is skipped by a DST jump, this maps to the transition instant.
    return datetime.combine(day, time(0), tzinfo=tz)


def period_bounds(start: date, period: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """Half-open bounds [local midnight of `start`, local midnight of the next period start).

    Both are aware datetimes in `tz`, so a day across a DST change lasts 23 or 25 hours. Subtract
    them only after converting to UTC: Python subtracts same-tzinfo datetimes by wall clock.
    """
    end = next_period_start(start, period)
    return _local_midnight(start, tz), _local_midnight(end, tz)


def parse_observed_at(text: str, tz: tzinfo) -> datetime:
    """Aware timestamp from ISO-8601 text, expressed in `tz`.

    A bare date (2026-03-01) means local midnight in `tz`; a timestamp must carry an offset or Z.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("observed_at must be an ISO-8601 date or timestamp, e.g. 2026-03-01")
    text = text.strip()
    if "T" not in text and " " not in text:  # only a timestamp has a time part
        try:
            return _local_midnight(date.fromisoformat(text), tz)
        except ValueError:
            pass
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"'{text}' is not an ISO-8601 date or timestamp, "
            "e.g. 2026-03-01 or 2026-03-01T12:00:00+02:00"
        ) from None
    _require_aware(ts)
    try:
        return ts.astimezone(tz)
    except OverflowError:
        raise ValueError(f"'{text}' is out of the supported date range") from None
