"""A CSV, XLSX or JSON file into API items, with where each came from and every reading problem.

CSV and XLSX files have the columns of the uploads; JSON items are passed through as they are.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import tzinfo

from .cells import Formula, blank, parse_moment, parse_number, parse_segment, parse_text
from .exits import Stop, _

MEASUREMENT_COLUMNS = (
    "indicator",
    "observed_at",
    "value",
    "numerator",
    "denominator",
    "segment",
    "key",
    "comment",
)
MEASUREMENT_REQUIRED = ("indicator", "observed_at")
NUMBER_COLUMNS = frozenset({"value", "numerator", "denominator"})
RESPONSE_REQUIRED = ("respondent", "submitted_at")


@dataclass
class Loaded:
    """A file's items, where each came from (for the report), and the problems found reading it."""

    items: list = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    tabular: bool = True  # CSV / XLSX: a service error's `answers.q1` is the file's column q1


def read_table(data: bytes, name: str, sheet: str) -> list[tuple[int, list]]:
    """The non-empty rows of a CSV or XLSX file as (row number as the spreadsheet shows it, cells)."""
    lowered = name.lower()
    if data[:4] == b"PK\x03\x04" or lowered.endswith((".xlsx", ".xlsm")):
        table = _xlsx_table(data, sheet)
    elif lowered.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise Stop(_("Old .xls files cannot be read. Save the sheet as .xlsx or CSV."))
    else:
        table = _csv_table(data)
    return [(number, row) for number, row in table if not all(blank(c) for c in row)]


def _csv_table(data: bytes) -> list[tuple[int, list]]:
    # Nordic Excel saves "CSV UTF-8" with a BOM and plain "CSV" as cp1252.
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if not text.strip():
        return []
    first_line = text.splitlines()[0]
    delimiter = max(",;\t", key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return list(enumerate(reader, start=1))
    except csv.Error as error:
        raise Stop(_("The CSV file cannot be read: %(error)s") % {"error": error}) from None


def _xlsx_table(data: bytes, sheet_name: str) -> list[tuple[int, list]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as error:  # zipfile.BadZipFile, InvalidFileException, KeyError...
        raise Stop(
            _("The file is not a readable Excel workbook (.xlsx): %(error)s") % {"error": error}
        ) from None
    sheet = workbook[sheet_name] if sheet_name in workbook.sheetnames else workbook.worksheets[0]
    merged = [str(cells) for cells in sheet.merged_cells.ranges]
    if merged:
        raise Stop(
            _("The sheet has merged cells (%(cells)s). Unmerge them and upload again.")
            % {"cells": ", ".join(merged[:5])}
        )
    return [
        (number, [_xlsx_value(cell) for cell in row])
        for number, row in enumerate(sheet.iter_rows(), start=1)
    ]


def _xlsx_value(cell):
    if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
        return Formula(str(cell.value))
    return cell.value


def _header(cells: list) -> list[str]:
    names = ["" if blank(cell) else str(cell).strip() for cell in cells]
    while names and names[-1] == "":
        names.pop()
    return names


def _check_header(columns: list[str], required, expected: str) -> None:
    problems = []
    missing = [name for name in required if name not in columns]
    if missing:
        problems.append(_("Missing column(s): %(names)s.") % {"names": ", ".join(missing)})
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        problems.append(_("Repeated column(s): %(names)s.") % {"names": ", ".join(repeated)})
    if "" in columns:
        problems.append(_("A column has no name in the first row."))
    if problems:
        raise Stop(" ".join([*problems, expected]))


def _rows(table: list[tuple[int, list]], columns: list[str]):
    """(row number, item number from 1, {column: cell}) for every row below the header."""
    width = len(columns)
    for position, (number, cells) in enumerate(table[1:], start=1):
        cells = list(cells[:width]) + [None] * (width - len(cells))
        yield number, position, dict(zip(columns, cells, strict=True))


def _place(number: int, position: int) -> str:
    return _("row %(row)s (item %(item)s)") % {"row": number, "item": position}


def problem_line(place: str, column: str, message: str) -> str:
    return _("%(place)s, field %(field)s: %(message)s") % {
        "place": place,
        "field": column,
        "message": message,
    }


def measurements_from_table(table: list[tuple[int, list]], *, tz: tzinfo | None = None) -> Loaded:
    """The measurements upload's columns into API items (indicators.upload.files); a
    spreadsheet's times are read in `tz`."""
    loaded = Loaded()
    if not table:
        return loaded
    columns = [name.lower() for name in _header(table[0][1])]
    expected = _("The first row must name the columns: %(columns)s.") % {
        "columns": ", ".join(MEASUREMENT_COLUMNS)
    }
    unknown = [name for name in columns if name and name not in MEASUREMENT_COLUMNS]
    if unknown:
        names = ", ".join(unknown)
        raise Stop(_("Unknown column(s): %(names)s.") % {"names": names} + " " + expected)
    _check_header(columns, MEASUREMENT_REQUIRED, expected)
    seen: dict[tuple, int] = {}
    for number, position, row in _rows(table, columns):
        place, item, before = _place(number, position), {}, len(loaded.problems)
        for column, raw in row.items():
            try:
                value = _measurement_cell(column, raw, tz)
            except ValueError as error:
                loaded.problems.append(problem_line(place, column, str(error)))
                continue
            if value is not None:
                item[column] = value
        if len(loaded.problems) == before:
            _check_repeated(loaded, seen, item, number, place)
        loaded.items.append(item)
        loaded.places.append(place)
    return loaded


def _measurement_cell(column: str, raw, tz):
    if isinstance(raw, Formula):
        raise ValueError(
            _("The cell holds a formula (%(formula)s); paste the values instead.")
            % {"formula": raw}
        )
    if column in NUMBER_COLUMNS:
        return parse_number(raw)
    if column == "segment":
        return parse_segment(raw)
    if column == "observed_at":
        return parse_moment(raw, tz)
    return parse_text(raw)


def _check_repeated(loaded: Loaded, seen: dict, item: dict, number: int, place: str) -> None:
    """The same natural key twice in one file: the server sees one chunk at a time."""
    if item.get("key") is not None:
        identity, column = (item.get("indicator"), "k", item["key"]), "key"
    else:
        segment = json.dumps(item.get("segment") or {}, sort_keys=True)
        identity = (item.get("indicator"), "t", segment, item.get("observed_at"))
        column = "observed_at"
    if identity in seen:
        message = _(
            "Same measurement as row %(row)s (same indicator, key or time and segment)."
        ) % {"row": seen[identity]}
        loaded.problems.append(problem_line(place, column, message))
    else:
        seen[identity] = number


def responses_from_table(
    table: list[tuple[int, list]], questions: dict[str, str], *, tz: tzinfo | None = None
) -> Loaded:
    """The survey upload's columns into API items (surveys.upload): respondent, submitted_at,
    a column per question code (`questions`: code -> type; an empty cell is a skipped answer,
    sent as null) and every other column a background variable (empty: left out)."""
    loaded = Loaded()
    if not table:
        return loaded
    codes = {code.lower(): code for code in questions}
    names = _header(table[0][1])
    columns = [
        name.lower() if name.lower() in RESPONSE_REQUIRED else codes.get(name.lower(), name)
        for name in names
    ]
    expected = _(
        "The first row must name the columns: respondent, submitted_at, the question "
        "codes, then any background variables."
    )
    _check_header(columns, RESPONSE_REQUIRED, expected)
    seen: dict[str, int] = {}
    for number, position, row in _rows(table, columns):
        place, before = _place(number, position), len(loaded.problems)
        item: dict = {"attributes": {}, "answers": {}}
        for column, raw in row.items():
            try:
                _response_cell(item, column, raw, questions, tz)
            except ValueError as error:
                loaded.problems.append(problem_line(place, column, str(error)))
        for column in RESPONSE_REQUIRED:
            if column not in item:
                loaded.problems.append(problem_line(place, column, _("This cell is required.")))
        if len(loaded.problems) == before:
            respondent = item["respondent"]
            if respondent in seen:
                message = _("Same respondent as row %(row)s.") % {"row": seen[respondent]}
                loaded.problems.append(problem_line(place, "respondent", message))
            else:
                seen[respondent] = number
        loaded.items.append(item)
        loaded.places.append(place)
    return loaded


def _response_cell(item: dict, column: str, raw, questions: dict[str, str], tz) -> None:
    if isinstance(raw, Formula):
        raise ValueError(
            _("The cell holds a formula (%(formula)s); paste the values instead.")
            % {"formula": raw}
        )
    if column in RESPONSE_REQUIRED:
        value = parse_text(raw) if column == "respondent" else parse_moment(raw, tz)
        if value is not None:
            item[column] = value
    elif column in questions:
        if questions[column] == "text":
            item["answers"][column] = parse_text(raw)
        else:
            number = parse_number(raw)
            whole = number is not None and number.is_integer()
            item["answers"][column] = int(number) if whole else number
    else:
        # An XLSX TRUE / FALSE goes as a boolean, which the server refuses ("yes" or "no").
        value = raw if isinstance(raw, bool) else parse_text(raw)
        if value is not None:
            item["attributes"][column] = value


def items_from_json(data: bytes, wrapper: str) -> Loaded:
    """A JSON list of API items, or `{wrapper: [...]}`; the items are sent as they are."""

    def refuse_constant(name):
        raise ValueError(_("%(name)s is not a number in JSON.") % {"name": name})

    try:
        document = json.loads(data.decode("utf-8-sig"), parse_constant=refuse_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise Stop(_("The file is not valid JSON: %(error)s") % {"error": error}) from None
    if isinstance(document, dict) and isinstance(document.get(wrapper), list):
        document = document[wrapper]
    if not isinstance(document, list):
        other = "responses" if wrapper == "measurements" else "measurements"
        hint = ""
        if isinstance(document, dict) and other in document:
            hint = " " + (
                _("The file holds responses: push them with --survey CODE.")
                if other == "responses"
                else _("The file holds measurements: push them without --survey.")
            )
        raise Stop(
            _('The JSON file must be a list of items or {"%(key)s": [...]}.') % {"key": wrapper}
            + hint
        )
    places = [
        _("item %(item)s (index %(index)s)") % {"item": i + 1, "index": i}
        for i in range(len(document))
    ]
    return Loaded(items=document, places=places, tabular=False)
