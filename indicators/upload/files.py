"""A CSV or XLSX file into API items, with every problem as an error by row and column.

Reading never raises on bad content: every problem becomes a RowError with a row number (as the
spreadsheet shows it, header = row 1) and a column. Only a file that cannot be read as a whole
(empty, wrong header, merged cells...) raises UploadRefused.
"""

import csv
import io
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ..services.items import ITEM_COLUMNS
from .cells import Formula, cell_text, parse_number, parse_observed_at, parse_segment, parse_text

COLUMNS = list(ITEM_COLUMNS)
REQUIRED_COLUMNS = ["indicator", "observed_at"]
NUMBER_COLUMNS = {"value", "numerator", "denominator"}
MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_ROWS = 100_000


class UploadRefused(Exception):
    """The file as a whole cannot be read (empty, wrong header, merged cells...)."""


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


def formula_error(number: int, column: str, formula: "Formula") -> RowError:
    """The error of a cell that holds a formula instead of a value (XLSX)."""
    message = _("The cell holds a formula (%(formula)s); paste the values instead.")
    return RowError(number, column, message % {"formula": formula})


@dataclass
class ParsedFile:
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)  # cells as text, for the error workbook
    row_numbers: list[int] = field(default_factory=list)
    items: list[dict | None] = field(default_factory=list)  # None: the row had a reading error
    errors: list[RowError] = field(default_factory=list)


def read_upload(uploaded, tz=None, *, sheet: str = "measurements") -> ParsedFile:
    """Read an uploaded CSV or XLSX file into items; raises UploadRefused for unreadable files.

    `sheet`: the XLSX sheet to read (see `read_table`); a file pull may name another one."""
    return _parse_table(read_table(uploaded, sheet=sheet), tz)


def read_table(uploaded, *, sheet: str = "measurements") -> list[tuple[int, list]]:
    """The rows of an uploaded CSV or XLSX file as (line number, cells), for any column layout.

    CSV: UTF-8 (with or without BOM) or cp1252, comma, semicolon or tab separated; cells are text.
    XLSX: the sheet named `sheet`, else the active one; cells keep their types, a formula is a
    `Formula`. Raises UploadRefused for a file that cannot be read as a whole (empty, too large,
    old .xls, damaged, merged cells)."""
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
        return _xlsx_table(data, sheet)
    if name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UploadRefused(_("Old .xls files cannot be read. Save the sheet as .xlsx or CSV."))
    return _csv_table(data)


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


def _xlsx_table(data: bytes, sheet_name: str) -> list[tuple[int, list]]:
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
    sheet = workbook[sheet_name] if sheet_name in workbook.sheetnames else workbook.active
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


def _xlsx_value(cell):
    if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
        return Formula(str(cell.value))
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
        if isinstance(raw, Formula):
            errors.append(formula_error(number, column, raw))
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
