"""Dates as the API writes them."""

import re
from datetime import date

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(text) -> date:
    """`text` as a date, YYYY-MM-DD only (`date.fromisoformat` also takes 20260301 and
    2026-W09-7); raises ValueError for anything else."""
    if not isinstance(text, str) or not ISO_DATE.fullmatch(text):
        raise ValueError(f"not a YYYY-MM-DD date: {text!r}")
    return date.fromisoformat(text)
