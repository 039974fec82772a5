"""The hot path of validation: one pass over a well-formed item.

REST clients send thousands of items a second, nearly all of them well-formed timestamps with a
value. `fast_item` accepts exactly such an item and builds the same CleanItem the full checker in
`ingest.py` would; anything unusual (a bare date, a missing field, a wrong type, a limit) answers
None and goes to the full checker, which also writes the error messages. A test feeds both the
same corpus of items and checks that they agree.
"""

import functools
import math
from datetime import UTC, datetime

from ..models import Aggregation
from .items import (
    EARLIEST_DAY,
    ITEM_FIELDS,
    LATEST_DAY,
    MAX_MAGNITUDE,
    CleanItem,
    natural_key,
    segment_json,
    segment_problem,
)


def _number(raw, limit: float) -> bool:
    kind = type(raw)
    if kind is float:
        return math.isfinite(raw) and -limit <= raw <= limit
    return kind is int and -limit <= raw <= limit


def _optional_text(raw, max_length: int) -> bool:
    return raw is None or (type(raw) is str and len(raw) <= max_length and "\x00" not in raw)


def _values(raw: dict, indicator, limit: float = MAX_MAGNITUDE):
    """(value, numerator, denominator) as floats, or None when the full checker must look."""
    value, numerator, denominator = raw.get("value"), raw.get("numerator"), raw.get("denominator")
    if indicator.aggregation == Aggregation.RATIO:
        if value is not None or not (_number(numerator, limit) and _number(denominator, limit)):
            return None
        if denominator < 0:
            return None
        return None, float(numerator), float(denominator)
    if numerator is not None or denominator is not None or not _number(value, limit):
        return None
    return float(value), None, None


def full_timestamp(text, tz):
    """(UTC time, local date in `tz`) of a full ISO timestamp with an offset, within the
    supported years, or None (a bare date, no offset, anything else: the full checker looks).
    The surveys' responses take the same fast path for their `submitted_at`."""
    if type(text) is not str or "T" not in text:
        return None
    try:
        stamp = datetime.fromisoformat(text)
        if stamp.tzinfo is None or stamp.utcoffset() is None:
            return None
        local = stamp.astimezone(tz)
    except (ValueError, OverflowError):
        return None
    if not EARLIEST_DAY <= local.date() <= LATEST_DAY:
        return None
    return local.astimezone(UTC), local.date()


def _segment_text(raw) -> str | None:
    if raw is None:
        return "{}"
    if type(raw) is not dict:
        return None
    try:
        return _checked_segment_text(tuple(raw.items()))
    except TypeError:  # an unhashable member (a list, an object): the full checker explains
        return None


@functools.lru_cache(maxsize=4096)
def _checked_segment_text(pairs: tuple) -> str | None:
    """Segments repeat (a few channels, regions): check and encode each distinct one once."""
    segment = dict(pairs)
    return None if segment_problem(segment) is not None else segment_json(segment)


def fast_item(raw, index: int, indicators: dict, tz) -> CleanItem | None:
    """The CleanItem for a well-formed `raw` item, or None to send it to the full checker."""
    if type(raw) is not dict or not raw.keys() <= ITEM_FIELDS:
        return None
    code = raw.get("indicator")
    indicator = indicators.get(code) if type(code) is str else None
    if indicator is None or indicator.formula:
        return None
    observed = full_timestamp(raw.get("observed_at"), tz)
    key, comment = raw.get("key"), raw.get("comment")
    if observed is None or key == "" or not _optional_text(key, 200):
        return None
    if not _optional_text(comment, 2000):
        return None
    segment_text = _segment_text(raw.get("segment"))
    values = _values(raw, indicator)
    if segment_text is None or values is None:
        return None
    observed_utc, local_day = observed
    return CleanItem(
        index=index,
        indicator=indicator,
        indicator_id=indicator.pk,
        natural_key=natural_key(key, segment_text, observed_utc),
        key=key,
        segment=raw.get("segment") or {},
        segment_text=segment_text,
        observed_at=observed_utc,
        local_date=local_day,
        value=values[0],
        numerator=values[1],
        denominator=values[2],
        comment=comment or "",
    )
