"""Cells of a spreadsheet or CSV file read by one set of rules everywhere: the uploads (through
`indicators.upload`) and the push CLI (`connectors.cli`, which runs without Django).

Plain functions with no project imports; a cell that cannot be read raises ValueError with a
message in the reader's language (`core.messages`).
"""

import json
import math

from .messages import gettext as _


def parse_number(raw) -> float | None:
    """A finite number from a cell: 12.5, "12,5", "1 234,5", "1,234.5"; empty is None.

    Raises ValueError with a message for anything else.
    """
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
