"""Workbooks offered for download: the rows of an upload with their errors, and the template."""

import io

from django.utils.translation import gettext as _

from .files import COLUMNS

ERROR_COLUMN = "error"


def error_workbook(
    *, header: list[str], rows: list, row_numbers: list, errors: list[dict], sheet="measurements"
) -> bytes:
    """The uploaded rows with an error column filled in, as .xlsx bytes."""
    import openpyxl

    by_row: dict[int, list[str]] = {}
    for error in errors:
        by_row.setdefault(error["row"], []).append(f"{error['column']}: {error['message']}")
    workbook = openpyxl.Workbook(write_only=True)
    out_sheet = workbook.create_sheet(sheet)
    out_sheet.append([*header, ERROR_COLUMN])
    for number, cells in zip(row_numbers, rows, strict=True):
        out_sheet.append([_safe_cell(c) for c in cells] + ["; ".join(by_row.get(number, []))])
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
