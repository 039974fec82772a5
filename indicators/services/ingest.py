"""Bulk ingest of measurements: validate the whole batch, then upsert it on the natural key.

The generic mechanics (one transaction, created / updated / unchanged per item, revisions, the
retry of a write conflict, a fixed number of statements) are `core.bulk`'s; this module owns what
is particular to measurements: the validation rules, the natural key, and the dirty marks written
in the same transaction, with the recompute enqueued after commit.

Error messages are in the active language: the request's, so the API answers in the caller's.
"""

import json
import math
from datetime import UTC, datetime

from django.utils.translation import gettext as _

from accounts.models import Organisation
from core.bulk import BatchRefused, BulkResult, ItemErrors, bulk_upsert

from ..compute.periods import parse_observed_at
from ..models import Aggregation, Indicator
from . import dirty
from .ingest_fast import fast_item
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
from .measurement_store import MEASUREMENTS

IngestResult = BulkResult  # {created, updated, unchanged}


class IngestError(BatchRefused):
    """The batch was refused; `errors` names every bad item and field. Nothing was written."""


def is_number(raw) -> bool:
    """A JSON number: int or float, not a bool or a numeric string, finite as a float."""
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        return False
    try:
        return math.isfinite(raw)
    except OverflowError:  # a JSON integer with hundreds of digits: no float can hold it
        return False


def _number(raw, index: int, name: str, errors: ItemErrors, required: bool) -> float | None:
    if raw is None:
        if required:
            errors.add(index, name, _("'%(name)s' is required.") % {"name": name})
        return None
    if not is_number(raw):
        message = _("'%(name)s' must be a finite JSON number, got %(got)s.")
        errors.add(index, name, message % {"name": name, "got": json.dumps(raw)})
        return None
    if abs(raw) > MAX_MAGNITUDE:
        # Far beyond any real indicator, and sums of such values would overflow a float.
        message = _("'%(name)s' must lie between -1e300 and 1e300.")
        errors.add(index, name, message % {"name": name})
        return None
    return float(raw)


def _segment(raw, index: int, errors: ItemErrors) -> dict:
    if raw is None:
        return {}
    problem = segment_problem(raw)
    if problem:
        errors.add(index, "segment", problem)
        return {}
    return raw


def _observed_at(raw, index: int, tz, errors: ItemErrors) -> datetime | None:
    text = raw.get("observed_at")
    if not isinstance(text, str):
        message = _("'observed_at' must be an ISO-8601 date or timestamp.")
        errors.add(index, "observed_at", message)
        return None
    try:
        observed_at = parse_observed_at(text, tz)
    except ValueError as error:
        errors.add(index, "observed_at", str(error))
        return None
    if not EARLIEST_DAY <= observed_at.date() <= LATEST_DAY:  # the local date, in `tz`
        message = _("'%(text)s' is outside the supported years %(first)s-%(last)s.")
        errors.add(
            index,
            "observed_at",
            message % {"text": text, "first": EARLIEST_DAY.year, "last": LATEST_DAY.year},
        )
        return None
    return observed_at


def _optional_text(raw, index: int, name: str, errors: ItemErrors, max_length: int) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > max_length:
        message = _("'%(name)s' must be a string of at most %(max)s characters.")
        errors.add(index, name, message % {"name": name, "max": max_length})
        return None
    if "\x00" in raw:  # PostgreSQL text cannot hold it
        errors.add(index, name, _("'%(name)s' may not contain a NUL character.") % {"name": name})
        return None
    return raw


def _values(raw: dict, indicator: Indicator, index: int, errors: ItemErrors):
    if indicator.aggregation == Aggregation.RATIO:
        if raw.get("value") is not None:
            message = _("A ratio indicator takes numerator and denominator, not value.")
            errors.add(index, "value", message)
        numerator = _number(raw.get("numerator"), index, "numerator", errors, required=True)
        denominator = _number(raw.get("denominator"), index, "denominator", errors, required=True)
        if denominator is not None and denominator < 0:
            errors.add(index, "denominator", _("'denominator' may not be negative."))
        return None, numerator, denominator
    for name in ("numerator", "denominator"):
        if raw.get(name) is not None:
            message = _("'%(name)s' is only for ratio indicators.")
            errors.add(index, name, message % {"name": name})
    return _number(raw.get("value"), index, "value", errors, required=True), None, None


def _clean_item(raw, index: int, indicators: dict, tz, errors: ItemErrors) -> CleanItem | None:
    if not isinstance(raw, dict):
        errors.add(index, "", _("Each measurement must be a JSON object."))
        return None
    before = len(errors.items)
    for name in sorted(raw.keys() - ITEM_FIELDS):
        errors.add(index, name, _("Unknown field '%(name)s'.") % {"name": name})
    indicator = (
        indicators.get(raw.get("indicator")) if isinstance(raw.get("indicator"), str) else None
    )
    if indicator is None:
        message = _("Unknown indicator %(code)s.")
        errors.add(index, "indicator", message % {"code": json.dumps(raw.get("indicator"))})
    elif indicator.is_formula:
        message = _("A formula indicator is computed and takes no measurements.")
        errors.add(index, "indicator", message)
        indicator = None
    observed_at = _observed_at(raw, index, tz, errors)
    key = _optional_text(raw.get("key"), index, "key", errors, 200)
    if key == "":
        errors.add(index, "key", _("'key' may not be empty: leave it out or send null."))
    comment = _optional_text(raw.get("comment"), index, "comment", errors, 2000) or ""
    segment = _segment(raw.get("segment"), index, errors)
    values = _values(raw, indicator, index, errors) if indicator else (None, None, None)
    if len(errors.items) > before:
        return None
    segment_text = segment_json(segment)
    # In UTC: an aware time in the repeated DST hour never equals one in another zone.
    observed_utc = observed_at.astimezone(UTC)
    return CleanItem(
        index=index,
        indicator=indicator,
        indicator_id=indicator.pk,
        natural_key=natural_key(key, segment_text, observed_utc),
        key=key,
        segment=segment,
        segment_text=segment_text,
        observed_at=observed_utc,
        local_date=observed_at.date(),  # parse_observed_at answers in the organisation's zone
        value=values[0],
        numerator=values[1],
        denominator=values[2],
        comment=comment,
    )


def validate_batch(*, organisation: Organisation, items: list) -> list[CleanItem]:
    """Check every item; raise IngestError naming all bad items and fields."""
    # Only strings can be codes (and a list or object as a code would not even be hashable).
    codes = {
        raw["indicator"]
        for raw in items
        if isinstance(raw, dict)
        and isinstance(raw.get("indicator"), str)
        and "\x00" not in raw["indicator"]  # no code holds one; PostgreSQL text cannot
    }
    indicators = {
        i.code: i for i in Indicator.objects.filter(organisation=organisation, code__in=codes)
    }
    errors = ItemErrors()
    tz = organisation.tz
    clean: list[CleanItem] = []
    seen: dict[tuple, int] = {}
    for index, raw in enumerate(items):
        item = fast_item(raw, index, indicators, tz) or _clean_item(
            raw, index, indicators, tz, errors
        )
        if item is None:
            continue
        identity = (item.indicator_id, item.natural_key)
        if identity in seen:
            name = "key" if item.key is not None else "observed_at"
            message = _("Same natural key as item %(index)s in this batch.")
            errors.add(index, name, message % {"index": seen[identity]})
            continue
        seen[identity] = index
        clean.append(item)
    errors.raise_if_any(IngestError)
    return clean


def _mark_days_dirty(*, created: list[CleanItem], updated: list[tuple], now: datetime) -> None:
    """Every (indicator, local day) a write touched, old day included when a time moved."""
    days = {(item.indicator_id, item.local_date) for item in created}
    for old, new in updated:
        days.add((old.indicator_id, old.local_date))
        days.add((new.indicator_id, new.local_date))
    dirty.mark_dirty(days, now)


def ingest_measurements(
    *, organisation: Organisation, items: list, dry_run: bool = False
) -> IngestResult:
    """Validate all `items`, then create, update or leave each one; all or nothing.

    Raises IngestError (and writes nothing) if any item is bad. The touched days are marked dirty
    in the same transaction; the recompute is enqueued after commit.
    """
    return bulk_upsert(
        table=MEASUREMENTS,
        items=items,
        validate=lambda raw: validate_batch(organisation=organisation, items=raw),
        dry_run=dry_run,
        on_write=_mark_days_dirty,
        after_commit=dirty.enqueue_recompute,
    )
