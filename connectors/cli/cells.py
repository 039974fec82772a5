"""One CSV or XLSX cell into a value of an API item, by the uploads' rules (indicators.upload
.cells, surveys.upload); ValueError with a message if it cannot be read."""

import json
import math
from datetime import date, datetime, tzinfo
from datetime import time as day_start

from .exits import _


def parse_number(raw) -> float | None:
    """A finite number from a cell: 12.5, "12,5", "1 234,5", "1,234.5"; empty is None."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(_("Not a number: %(value)s.") % {"value": raw})
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        text = str(raw).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if not text:
            return None
        text = text.replace("\u2212", "-")
        if "," in text and "." in text:
            # Whichever comes last is the decimal separator; the other groups thousands.
            if text.rfind(",") > text.rfind("."):
                text = text.replace(".", "").replace(",", ".")
            else:
                text = text.replace(",", "")
        elif text.count(",") == 1:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(_("Not a number: “%(value)s”.") % {"value": raw}) from None
    if not math.isfinite(number):
        raise ValueError(_("The number must be finite, not “%(value)s”.") % {"value": raw})
    return number


def parse_segment(raw) -> dict | None:
    """`dim:member`, several joined by `;`, or a JSON object; empty is None."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            raise ValueError(_("The segment is not valid JSON.")) from None
        if not isinstance(value, dict):
            raise ValueError(_("The segment must be a JSON object."))
        return value
    segment = {}
    for part in text.split(";"):
        dim, sep, member = part.partition(":")
        if not sep or not dim.strip() or not member.strip():
            raise ValueError(
                _("Write the segment as dimension:member, e.g. channel:web (got “%(value)s”).")
                % {"value": text}
            )
        segment[dim.strip()] = member.strip()
    return segment


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
