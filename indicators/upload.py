"""CSV and XLSX upload of measurements: read a file into API items, preview, confirm.

The columns are the API item fields. Reading never raises on bad content: every problem becomes an
error with a row number (as the spreadsheet shows it, header = row 1) and a column. Writing goes
through `ingest_measurements`, in batches of at most INGEST_MAX_ITEMS inside one transaction, so a
file is written completely or not at all.
"""

import csv
import io
import json
import math
import os
import secrets
import tempfile
import time as time_module
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation

from .services import IngestError, IngestResult, ingest_measurements
from .services.items import ITEM_COLUMNS

COLUMNS = list(ITEM_COLUMNS)
REQUIRED_COLUMNS = ["indicator", "observed_at"]
NUMBER_COLUMNS = {"value", "numerator", "denominator"}
MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_ROWS = 100_000
ERROR_COLUMN = "error"
# Parsed files wait here between preview and confirm (shared storage when several web servers run).
STORE = Path(
    os.environ.get("UPLOAD_PENDING_DIR") or Path(tempfile.gettempdir()) / "outcome-chain-uploads"
)
PENDING_SECONDS = 24 * 3600


class UploadRefused(Exception):
    """The file as a whole cannot be read (empty, wrong header, merged cells...)."""


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParsedFile:
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)  # cells as text, for the error workbook
    row_numbers: list[int] = field(default_factory=list)
    items: list[dict | None] = field(default_factory=list)  # None: the row had a reading error
    errors: list[RowError] = field(default_factory=list)


# -- cells ---------------------------------------------------------------------------------------


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


# -- files ---------------------------------------------------------------------------------------


def read_upload(uploaded, tz=None) -> ParsedFile:
    """Read an uploaded CSV or XLSX file into items; raises UploadRefused for unreadable files."""
    if uploaded.size == 0:
        raise UploadRefused(_("The file is empty."))
    if uploaded.size > MAX_FILE_BYTES:
        raise UploadRefused(
            _("The file is larger than %(mb)s MB. Split it into smaller files.")
            % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    data = uploaded.read()
    name = (uploaded.name or "").lower()
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        table = _xlsx_table(data)
    elif name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UploadRefused(_("Old .xls files cannot be read. Save the sheet as .xlsx or CSV."))
    else:
        table = _csv_table(data)
    return _parse_table(table, tz)


def _decode(data: bytes) -> str:
    # Nordic Excel saves "CSV UTF-8" with a BOM and plain "CSV" as cp1252.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_table(data: bytes) -> list[tuple[int, list]]:
    text = _decode(data)
    if not text.strip():
        raise UploadRefused(_("The file is empty."))
    first_line = text.splitlines()[0]
    delimiter = max(",;\t", key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(number, row) for number, row in enumerate(reader, start=1)]
    except csv.Error as error:
        raise UploadRefused(
            _("The CSV file cannot be read: %(error)s") % {"error": error}
        ) from None


def _xlsx_table(data: bytes) -> list[tuple[int, list]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except (InvalidFileException, KeyError, ValueError, OSError, TypeError) as error:
        raise UploadRefused(
            _("The file is not a readable Excel workbook (.xlsx): %(error)s") % {"error": error}
        ) from None
    except Exception:  # zipfile.BadZipFile and other damage in a foreign file
        raise UploadRefused(_("The file is not a readable Excel workbook (.xlsx).")) from None
    sheet = workbook["measurements"] if "measurements" in workbook.sheetnames else workbook.active
    merged = [str(cells) for cells in sheet.merged_cells.ranges]
    if merged:
        raise UploadRefused(
            _("The sheet has merged cells (%(cells)s). Unmerge them and upload again.")
            % {"cells": ", ".join(merged[:5])}
        )
    table = []
    for number, row in enumerate(sheet.iter_rows(), start=1):
        table.append((number, [_xlsx_value(cell) for cell in row]))
    return table


class _Formula(str):
    """A cell that holds a formula instead of a value."""


def _xlsx_value(cell):
    if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
        return _Formula(str(cell.value))
    return cell.value


def _header(cells: list) -> list[str]:
    return [str(cell).strip().lower() if cell is not None else "" for cell in cells]


def _parse_table(table: list[tuple[int, list]], tz=None) -> ParsedFile:
    table = [(n, row) for n, row in table if any(cell_text(c).strip() for c in row)]
    if not table:
        raise UploadRefused(_("The file is empty."))
    header_number, header_cells = table[0]
    header = _header(header_cells)
    while header and header[-1] == "":
        header.pop()
    unknown = [name for name in header if name and name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    problems = []
    if unknown:
        problems.append(_("Unknown column(s): %(names)s.") % {"names": ", ".join(unknown)})
    if missing:
        problems.append(_("Missing column(s): %(names)s.") % {"names": ", ".join(missing)})
    if duplicates:
        problems.append(_("Repeated column(s): %(names)s.") % {"names": ", ".join(duplicates)})
    if "" in header:
        problems.append(_("A column has no name in the first row."))
    if problems:
        expected = ", ".join(COLUMNS)
        raise UploadRefused(
            " ".join(problems)
            + " "
            + _("The first row must name the columns: %(columns)s.") % {"columns": expected}
        )
    body = table[1:]
    if not body:
        raise UploadRefused(_("The file has a header but no rows."))
    if len(body) > MAX_ROWS:
        raise UploadRefused(
            _("The file has %(rows)s rows; at most %(max)s can be uploaded at once.")
            % {"rows": len(body), "max": MAX_ROWS}
        )
    parsed = ParsedFile(header=header)
    for number, cells in body:
        cells = list(cells[: len(header)]) + [None] * (len(header) - len(cells))
        parsed.rows.append([cell_text(c) for c in cells])
        parsed.row_numbers.append(number)
        parsed.items.append(_item(number, dict(zip(header, cells, strict=True)), parsed.errors, tz))
    _check_duplicates(parsed)
    return parsed


def _item(number: int, cells: dict, errors: list[RowError], tz) -> dict | None:
    item: dict = {}
    before = len(errors)
    for column, raw in cells.items():
        if isinstance(raw, _Formula):
            errors.append(
                RowError(
                    number,
                    column,
                    _("The cell holds a formula (%(formula)s); paste the values instead.")
                    % {"formula": raw},
                )
            )
            continue
        try:
            if column in NUMBER_COLUMNS:
                value = parse_number(raw)
            elif column == "segment":
                value = parse_segment(raw)
            elif column == "observed_at":
                value = parse_observed_at(raw, tz)
            else:
                value = parse_text(raw)
        except ValueError as error:
            errors.append(RowError(number, column, str(error)))
            continue
        if value is not None:
            item[column] = value
    return None if len(errors) > before else item


def _identity(item: dict) -> tuple:
    if item.get("key") is not None:
        return (item.get("indicator"), "k", item["key"])
    segment = json.dumps(item.get("segment") or {}, sort_keys=True)
    return (item.get("indicator"), "t", segment, item.get("observed_at"))


def _check_duplicates(parsed: ParsedFile) -> None:
    """The same natural key twice in one file (the service only sees one batch at a time)."""
    seen: dict[tuple, int] = {}
    for number, item in zip(parsed.row_numbers, parsed.items, strict=True):
        if item is None:
            continue
        identity = _identity(item)
        if identity in seen:
            column = "key" if item.get("key") is not None else "observed_at"
            parsed.errors.append(
                RowError(
                    number,
                    column,
                    _("Same measurement as row %(row)s (same indicator, key or time and segment).")
                    % {"row": seen[identity]},
                )
            )
        else:
            seen[identity] = number


# -- preview and confirm -------------------------------------------------------------------------


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


# -- storage between preview and confirm ---------------------------------------------------------


def store(
    *, organisation: Organisation, parsed: ParsedFile, filename: str, errors: list[dict]
) -> str:
    """Keep the parsed file until the user confirms; returns a random token."""
    STORE.mkdir(parents=True, exist_ok=True)
    _forget_abandoned()
    token = secrets.token_urlsafe(16)
    payload = {
        "organisation": organisation.pk,
        "filename": filename,
        "header": parsed.header,
        "rows": parsed.rows,
        "row_numbers": parsed.row_numbers,
        "items": parsed.items,
        "errors": errors,
    }
    (STORE / f"{token}.json").write_text(json.dumps(payload), encoding="utf-8")
    return token


def load(*, organisation: Organisation, token: str) -> dict | None:
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    path = STORE / f"{token}.json"
    try:
        if time_module.time() - path.stat().st_mtime > PENDING_SECONDS:
            return None  # abandoned: the user has to upload again
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return payload if payload.get("organisation") == organisation.pk else None


def _forget_abandoned() -> None:
    """Delete previews nobody confirmed within PENDING_SECONDS."""
    cutoff = time_module.time() - PENDING_SECONDS
    for path in STORE.glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass  # another process removed it first


def discard(token: str) -> None:
    if token and token.replace("-", "").replace("_", "").isalnum():
        (STORE / f"{token}.json").unlink(missing_ok=True)


# -- workbooks -----------------------------------------------------------------------------------


def error_workbook(
    *, header: list[str], rows: list, row_numbers: list, errors: list[dict]
) -> bytes:
    """The uploaded rows with an error column filled in, as .xlsx bytes."""
    import openpyxl

    by_row: dict[int, list[str]] = {}
    for error in errors:
        by_row.setdefault(error["row"], []).append(f"{error['column']}: {error['message']}")
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("measurements")
    sheet.append([*header, ERROR_COLUMN])
    for number, cells in zip(row_numbers, rows, strict=True):
        sheet.append([_safe_cell(c) for c in cells] + ["; ".join(by_row.get(number, []))])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _safe_cell(text: str) -> str:
    # A cell starting with "=" would become a formula again in Excel.
    return "'" + text if text.startswith(("=", "+", "@")) else text


def template_workbook() -> bytes:
    """An empty upload workbook with the columns and two example rows."""
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "measurements"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(["fast_quote", "2026-03-02", 41.5, None, None, "channel:web", None, ""])
    sheet.append(["first_time_resolution", "2026-03-02T14:00:00+02:00", None, 87, 100, "", "", ""])
    for column, width in zip("ABCDEFGH", (24, 28, 10, 12, 12, 18, 16, 30), strict=True):
        sheet.column_dimensions[column].width = width
    help_sheet = workbook.create_sheet("help")
    for line in (
        _("One row per measurement. Columns as in the API (POST /api/v1/measurements/)."),
        _(
            "indicator: the indicator code. observed_at: a date (2026-03-02) or a timestamp "
            "with offset (2026-03-02T14:00:00+02:00)."
        ),
        _(
            "value for ordinary indicators; numerator and denominator for ratio indicators. "
            "Decimal comma or point."
        ),
        _("segment: dimension:member (e.g. channel:web), several separated by ';', or JSON."),
        _("key: optional unique id from your system; comment: optional text."),
    ):
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 110
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
