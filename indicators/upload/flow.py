"""Preview and confirm: what a file would change, then writing all of it or nothing.

Writing goes through `ingest_measurements`, in batches of at most INGEST_MAX_ITEMS inside one
transaction, so a file is written completely or not at all.
"""

from django.conf import settings
from django.db import transaction

from accounts.models import Organisation

from ..services import IngestError, IngestResult, ingest_measurements
from .files import COLUMNS, ParsedFile, RowError


def _batches(pairs: list, size: int):
    for start in range(0, len(pairs), size):
        yield pairs[start : start + size]


def _ingest_in_batches(*, organisation: Organisation, pairs: list, dry_run: bool):
    """Ingest (row number, item) pairs batch by batch; returns (IngestResult, [RowError])."""
    total, errors = IngestResult(), []
    for batch in _batches(pairs, settings.INGEST_MAX_ITEMS):
        try:
            result = ingest_measurements(
                organisation=organisation, items=[item for _n, item in batch], dry_run=dry_run
            )
        except IngestError as error:
            for problem in error.errors:
                errors.append(
                    RowError(batch[problem["index"]][0], problem["field"], problem["message"])
                )
            continue
        total.created += result.created
        total.updated += result.updated
        total.unchanged += result.unchanged
    return total, errors


def preview(*, organisation: Organisation, parsed: ParsedFile) -> tuple[IngestResult, list]:
    """Counts that a confirm would give, and every error by row and column; writes nothing."""
    pairs = [
        (number, item)
        for number, item in zip(parsed.row_numbers, parsed.items, strict=True)
        if item is not None
    ]
    result, errors = _ingest_in_batches(organisation=organisation, pairs=pairs, dry_run=True)
    errors = sorted([*parsed.errors, *errors], key=lambda e: (e.row, _column_order(e.column)))
    return result, errors


def _column_order(column: str) -> int:
    return COLUMNS.index(column) if column in COLUMNS else len(COLUMNS)


def confirm(
    *, organisation: Organisation, row_numbers: list[int], items: list[dict]
) -> tuple[IngestResult, list]:
    """Write every item, or nothing if any batch is refused."""
    pairs = list(zip(row_numbers, items, strict=True))
    with transaction.atomic():
        result, errors = _ingest_in_batches(organisation=organisation, pairs=pairs, dry_run=False)
        if errors:
            transaction.set_rollback(True)
    return result, errors
