"""Stale data: an indicator whose next value is overdue.

The period after the latest value must have a value once it has ended, within a grace:

    stale on `today`  iff  today >= next(next(latest_start)) + grace_days

where next() is the start of the following period of the indicator's own period, so
next(next(latest_start)) is the day the period after the latest one ended. Worked examples with
the default grace: a daily indicator with its latest value on 1 Mar is stale from 3 Mar (2 Mar
ended without a value: "without a value for 2 days"); a monthly one with its latest value in
October is not stale on 10 Dec and stale from 11 Dec ("10 days into the next month" after
November, whose value is due). An indicator without any value has no data; it is not stale.
"""

from datetime import date, timedelta

from .periods import next_period_start, period_start

# Days after the end of the period that follows the latest value, by the indicator's period.
DEFAULT_GRACE_DAYS = {"day": 0, "week": 2, "month": 10, "quarter": 20, "year": 30}


def grace_days(period: str, override: int | None = None) -> int:
    """The grace of an indicator: its own `stale_grace_days` when set, else by its period."""
    return DEFAULT_GRACE_DAYS[period] if override is None else override


def due_by(latest_start: date, period: str, grace: int) -> date:
    """The first day on which an indicator whose latest value starts `latest_start` is stale."""
    latest_start = period_start(latest_start, period)
    return next_period_start(next_period_start(latest_start, period), period) + timedelta(
        days=grace
    )


def stale(*, latest_start: date | None, period: str, today: date, grace: int | None = None) -> bool:
    """True when the value after `latest_start` is overdue on `today` (module docstring).

    `latest_start` None (no value at all) is never stale: there is no data, nothing is late.
    """
    if latest_start is None:
        return False
    return today >= due_by(latest_start, period, grace_days(period, grace))
