"""One spreadsheet or CSV cell into a value of an API item; ValueError with a message if not."""

from datetime import date, datetime, time

from core.cells import parse_number as parse_number  # the CLI reads cells by the same rules
from core.cells import parse_segment as parse_segment


def parse_observed_at(raw, tz=None) -> str | None:
    """ISO-8601 text for the service; a spreadsheet's dates and times become ISO text.

    A spreadsheet time without an offset is read in `tz` (the organisation's time zone).
    """
    if raw is None:
        return None
    if isinstance(raw, datetime):
        if raw.tzinfo is None and raw.time() == time():
            return raw.date().isoformat()
        if raw.tzinfo is None and tz is not None:
            raw = raw.replace(tzinfo=tz)
        return raw.isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    text = str(raw).strip()
    return text or None


def parse_text(raw) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    return text or None


def cell_text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    return str(raw)


class Formula(str):
    """A cell that holds a formula instead of a value."""
