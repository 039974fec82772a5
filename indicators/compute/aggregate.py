"""Aggregation of an indicator's measurements into one value per period (or segment)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

AGGREGATIONS = ("sum", "mean", "median", "min", "max", "last", "count", "ratio")


@dataclass(frozen=True)
class Aggregate:
    """One aggregated value; numerator and denominator are set only for ratio aggregation."""

    value: float | None
    count: int
    numerator: float | None
    denominator: float | None


EMPTY = Aggregate(None, 0, None, None)

_REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "sum": math.fsum,
    "mean": statistics.fmean,
    "median": statistics.median,
    "min": min,
    "max": max,
    "last": lambda xs: xs[-1],
    "count": len,
}


def aggregate(
    method: str,
    values: Sequence[float | None],
    numerators: Sequence[float | None] | None = None,
    denominators: Sequence[float | None] | None = None,
) -> Aggregate:
    """Aggregate values given in storage order (observed_at, then stored id).

    sum = fsum(x); mean = fsum(x) / n; median = middle value, or the mean of the two middle values
    when n is even; last = the last value in storage order; count = n.
    ratio = 100 * sum(numerators) / sum(denominators), never the mean of percentages; for ratio
    `values` is ignored. Missing (None) values, or ratio items missing either part, are skipped
    and not counted.
    """
    if method == "ratio":
        return _ratio(numerators, denominators)
    if method not in _REDUCERS:
        raise ValueError(
            f"unknown aggregation '{method}'; expected one of {', '.join(AGGREGATIONS)}"
        )
    present = [float(v) for v in values if v is not None]
    if not present:
        return EMPTY
    return Aggregate(float(_REDUCERS[method](present)), len(present), None, None)


def _ratio(
    numerators: Sequence[float | None] | None, denominators: Sequence[float | None] | None
) -> Aggregate:
    """100 * sum(numerators) / sum(denominators); no value when the denominators sum to 0."""
    if numerators is None or denominators is None:
        raise ValueError("ratio aggregation needs numerators and denominators")
    if len(numerators) != len(denominators):
        raise ValueError("ratio aggregation needs as many numerators as denominators")
    pairs = [
        (float(n), float(d))
        for n, d in zip(numerators, denominators, strict=True)
        if n is not None and d is not None
    ]
    if not pairs:
        return EMPTY
    numerator = math.fsum(n for n, _ in pairs)
    denominator = math.fsum(d for _, d in pairs)
    value = 100 * numerator / denominator if denominator != 0 else None
    return Aggregate(value, len(pairs), numerator, denominator)
