"""Bulk ingest of measurements: validate the whole batch, then upsert on the natural key.

One transaction writes the measurements, their revisions and the dirty marks; the recompute is
enqueued after commit. The number of queries does not grow with the batch size.
"""

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from accounts.models import Organisation
from core.db import sqlite_parameter_limit

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
from .measurement_store import (
    StoredRow,
    existing_rows,
    insert_rows,
    update_rows,
    upsert_dirty_marks,
)

UPSERT_ATTEMPTS = 3


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


class IngestError(Exception):
    """The batch was refused; `errors` names every bad item and field. Nothing was written."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = errors


@dataclass
class _Errors:
    items: list[dict] = field(default_factory=list)

    def add(self, index: int, field_name: str, message: str) -> None:
        self.items.append({"index": index, "field": field_name, "message": message})


def is_number(raw) -> bool:
    """A JSON number: int or float, not a bool or a numeric string, finite as a float."""
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        return False
    try:
        return math.isfinite(raw)
    except OverflowError:  # a JSON integer with hundreds of digits: no float can hold it
        return False


def _number(raw, index: int, name: str, errors: _Errors, required: bool) -> float | None:
    if raw is None:
        if required:
            errors.add(index, name, f"'{name}' is required.")
        return None
    if not is_number(raw):
        errors.add(index, name, f"'{name}' must be a finite JSON number, got {json.dumps(raw)}.")
        return None
    if abs(raw) > MAX_MAGNITUDE:
        # Far beyond any real indicator, and sums of such values would overflow a float.
        errors.add(index, name, f"'{name}' must lie between -1e300 and 1e300.")
        return None
    return float(raw)


def _segment(raw, index: int, errors: _Errors) -> dict:
    if raw is None:
        return {}
    problem = segment_problem(raw)
    if problem:
        errors.add(index, "segment", problem)
        return {}
    return raw


def _observed_at(raw, index: int, tz, errors: _Errors) -> datetime | None:
    text = raw.get("observed_at")
    if not isinstance(text, str):
        errors.add(index, "observed_at", "'observed_at' must be an ISO-8601 date or timestamp.")
        return None
    try:
        observed_at = parse_observed_at(text, tz)
    except ValueError as error:
        errors.add(index, "observed_at", str(error))
        return None
    if not EARLIEST_DAY <= observed_at.date() <= LATEST_DAY:  # the local date, in `tz`
        errors.add(
            index,
            "observed_at",
            f"'{text}' is outside the supported years {EARLIEST_DAY.year}-{LATEST_DAY.year}.",
        )
        return None
    return observed_at


def _optional_text(raw, index: int, name: str, errors: _Errors, max_length: int) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > max_length:
        errors.add(index, name, f"'{name}' must be a string of at most {max_length} characters.")
        return None
    return raw


def _values(raw: dict, indicator: Indicator, index: int, errors: _Errors):
    if indicator.aggregation == Aggregation.RATIO:
        if raw.get("value") is not None:
            errors.add(
                index, "value", "A ratio indicator takes numerator and denominator, not value."
            )
        numerator = _number(raw.get("numerator"), index, "numerator", errors, required=True)
        denominator = _number(raw.get("denominator"), index, "denominator", errors, required=True)
        if denominator is not None and denominator < 0:
            errors.add(index, "denominator", "'denominator' may not be negative.")
        return None, numerator, denominator
    for name in ("numerator", "denominator"):
        if raw.get(name) is not None:
            errors.add(index, name, f"'{name}' is only for ratio indicators.")
    return _number(raw.get("value"), index, "value", errors, required=True), None, None


def _clean_item(raw, index: int, indicators: dict, tz, errors: _Errors) -> CleanItem | None:
    if not isinstance(raw, dict):
        errors.add(index, "", "Each measurement must be a JSON object.")
        return None
    before = len(errors.items)
    for name in sorted(raw.keys() - ITEM_FIELDS):
        errors.add(index, name, f"Unknown field '{name}'.")
    indicator = (
        indicators.get(raw.get("indicator")) if isinstance(raw.get("indicator"), str) else None
    )
    if indicator is None:
        errors.add(index, "indicator", f"Unknown indicator {json.dumps(raw.get('indicator'))}.")
    elif indicator.is_formula:
        errors.add(index, "indicator", "A formula indicator is computed and takes no measurements.")
        indicator = None
    observed_at = _observed_at(raw, index, tz, errors)
    key = _optional_text(raw.get("key"), index, "key", errors, 200)
    if key == "":
        errors.add(index, "key", "'key' may not be empty: leave it out or send null.")
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
        if isinstance(raw, dict) and isinstance(raw.get("indicator"), str)
    }
    indicators = {
        i.code: i for i in Indicator.objects.filter(organisation=organisation, code__in=codes)
    }
    errors = _Errors()
    tz = organisation.tz
    clean: list[CleanItem] = []
    seen: dict[tuple, int] = {}
    for index, raw in enumerate(items):
        item = fast_item(raw, index, indicators, tz) or _clean_item(
            raw, index, indicators, tz, errors
        )
        if item is None:
            continue
        identity = (item.indicator.pk, item.natural_key)
        if identity in seen:
            name = "key" if item.key is not None else "observed_at"
            errors.add(index, name, f"Same natural key as item {seen[identity]} in this batch.")
            continue
        seen[identity] = index
        clean.append(item)
    if errors.items:
        raise IngestError(sorted(errors.items, key=lambda e: e["index"]))
    return clean


def _is_same(item: CleanItem, row: StoredRow) -> bool:
    return (
        item.value == row.value
        and item.numerator == row.numerator
        and item.denominator == row.denominator
        and item.comment == row.comment
        and item.observed_at == row.observed_at
        and item.segment == row.segment
    )


def _existing(items: list[CleanItem]) -> dict[tuple, StoredRow]:
    return existing_rows([(item.indicator.pk, item.natural_key) for item in items])


def _write(items: list[CleanItem], existing: dict, now: datetime) -> IngestResult:
    result = IngestResult()
    new, changes, dirty = [], [], set()
    for item in items:
        row = existing.get((item.indicator.pk, item.natural_key))
        if row is None:
            new.append(item)
        elif _is_same(item, row):
            result.unchanged += 1
            continue
        else:
            changes.append((row, item))
            dirty.add((row.indicator_id, row.local_date))
        dirty.add((item.indicator.pk, item.local_date))
    result.created, result.updated = len(new), len(changes)
    with sqlite_parameter_limit():
        # New rows are plain inserts: a concurrent insert of the same key raises and we retry.
        insert_rows(new, now)
        update_rows(changes, now)
        upsert_dirty_marks(dirty, now)
    return result


def ingest_measurements(
    *, organisation: Organisation, items: list, dry_run: bool = False
) -> IngestResult:
    """Validate all `items`, then create, update or leave each one; all or nothing.

    Raises IngestError (and writes nothing) if any item is bad.
    """
    clean = validate_batch(organisation=organisation, items=items)
    if dry_run:
        return _count_only(clean)
    for attempt in range(UPSERT_ATTEMPTS):
        try:
            with transaction.atomic():
                result = _write(clean, _existing(clean), timezone.now())
                if result.created or result.updated:
                    transaction.on_commit(dirty.enqueue_recompute)
            return result
        except (IntegrityError, OperationalError) as error:
            # A concurrent push created one of our natural keys first, or two pushes of
            # overlapping batches deadlocked: nothing was written, so read again and retry.
            if not _is_write_conflict(error) or attempt == UPSERT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _is_write_conflict(error: Exception) -> bool:
    if isinstance(error, IntegrityError):
        return True
    return isinstance(error.__cause__, psycopg.errors.DeadlockDetected)


def _count_only(items: list[CleanItem]) -> IngestResult:
    existing = _existing(items)
    result = IngestResult()
    for item in items:
        row = existing.get((item.indicator.pk, item.natural_key))
        if row is None:
            result.created += 1
        elif _is_same(item, row):
            result.unchanged += 1
        else:
            result.updated += 1
    return result
