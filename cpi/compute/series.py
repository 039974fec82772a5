"""Period series as plain numbers: index periods so that "t + k" is arithmetic, align two series
at a lag, and take first differences."""

from datetime import date

from indicators.compute.periods import PERIODS

Series = dict[date, float]  # period start -> total value


def period_index(start: date, period: str) -> int:
    """A number per period such that consecutive periods differ by exactly 1."""
    if period not in PERIODS:
        raise ValueError(f"unknown period '{period}'")
    if period == "day":
        return start.toordinal()
    if period == "week":
        return (start.toordinal() - 1) // 7  # ordinal 1 (1 January of year 1) is a Monday
    months = start.year * 12 + start.month - 1
    return {"month": months, "quarter": months // 3, "year": start.year}[period]


def indexed(series: Series, period: str) -> dict[int, float]:
    return {period_index(start, period): value for start, value in series.items()}


def aligned(cause: dict[int, float], effect: dict[int, float], lag: int) -> tuple[list, list]:
    """Pairs (cause at t, effect at t + lag) over every t where both have a value, in order."""
    ts = sorted(t for t in cause if t + lag in effect)
    return [cause[t] for t in ts], [effect[t + lag] for t in ts]


def differenced(series: dict[int, float]) -> dict[int, float]:
    """x(t) - x(t - 1) at every t whose previous period has a value too."""
    return {t: value - series[t - 1] for t, value in series.items() if t - 1 in series}
