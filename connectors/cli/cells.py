"""One CSV or XLSX cell into a value of an API item, by the uploads' rules; ValueError with a
message if it cannot be read. Numbers and segments are read by the uploads' own functions
(`core.cells`, which need no Django); dates and texts the way the server expects them."""

from datetime import date, datetime, tzinfo
from datetime import time as day_start

from core.cells import parse_number as parse_number
from core.cells import parse_segment as parse_segment

from .exits import _


def parse_moment(raw, tz: tzinfo | None = None) -> str | None:
    """A date or time as the ISO text the server parses; a spreadsheet's midnight is a date, a
    spreadsheet's time is read in `tz` (a time without an offset is refused by the server)."""
    if raw is None:
        return None
    if isinstance(raw, datetime):
        if raw.tzinfo is None and raw.time() == day_start():
            return raw.date().isoformat()
        if raw.tzinfo is None:
            if tz is None:
                raise ValueError(
                    _(
                        "The cell holds a time without a time zone (%(value)s). Give "
                        "--time-zone (the organisation's, e.g. Europe/Helsinki) or write the "
                        "time as text with its offset: 2026-03-02T14:00:00+02:00."
                    )
                    % {"value": raw.isoformat(sep=" ")}
                )
            raw = raw.replace(tzinfo=tz)
        return raw.isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw).strip() or None


def parse_text(raw) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip() or None


def blank(raw) -> bool:
    return raw is None or str(raw).strip() == ""


class Formula(str):
    """An XLSX cell that holds a formula instead of a value."""
