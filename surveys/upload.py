"""CSV and XLSX upload of survey responses: one row per respondent, preview, then confirm.

The first row names the columns: `respondent` and `submitted_at` (required), one column per
question code holding that question's answer (an empty cell is a skipped answer, stored as null
and never counted), and every other column a background variable (unit, customer_contact...).
Files are read by the indicators upload (`indicators.upload.read_table`: encodings, delimiters,
decimal commas, the size limit), parsed here into the items of `ingest_responses`, previewed
with a dry run and written on confirm, all rows or none.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.bulk import BulkResult
from indicators.upload import (
    MAX_ROWS,
    Formula,
    ParsedFile,
    RowError,
    UploadRefused,
    cell_text,
    formula_error,
    parse_number,
    parse_observed_at,
    parse_text,
    read_table,
)

from .models import QuestionType, Survey, SurveyKind
from .services import ResponsesRefused, ingest_responses

RESPONDENT, SUBMITTED_AT = "respondent", "submitted_at"
REQUIRED_COLUMNS = (RESPONDENT, SUBMITTED_AT)
SHEET = "responses"


@dataclass
class ParsedResponses(ParsedFile):
    # Every row's readable cells, a row with a bad cell too: the dry run checks the rest of it,
    # so one upload names every problem of a row, not only the first ones found.
    readable: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """What each column of a file is: a question's answers or a background variable."""

    columns: list[str]  # the header as it will be read: required names, codes, attributes
    questions: list[str]  # question codes, in file order
    attributes: list[str]  # background variables, in file order


def layout_of(header_cells: list, survey: Survey) -> Layout:
    """The columns of a header row; UploadRefused when required columns are missing or repeated."""
    codes = {question.code.lower(): question.code for question in survey.questions.all()}
    names = [cell_text(cell).strip() for cell in header_cells]
    while names and names[-1] == "":
        names.pop()
    columns = [
        name.lower() if name.lower() in REQUIRED_COLUMNS else codes.get(name.lower(), name)
        for name in names
    ]
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(_("Missing column(s): %(names)s.") % {"names": ", ".join(missing)})
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        problems.append(_("Repeated column(s): %(names)s.") % {"names": ", ".join(repeated)})
    if "" in columns:
        problems.append(_("A column has no name in the first row."))
    if problems:
        raise UploadRefused(
            " ".join(problems)
            + " "
            + _(
                "The first row must name the columns: respondent, submitted_at, the question "
                "codes, then any background variables."
            )
        )
    questions = [name for name in columns if name in codes.values()]
    attributes = [
        name for name in columns if name not in REQUIRED_COLUMNS and name not in questions
    ]
    return Layout(columns=columns, questions=questions, attributes=attributes)


def read_responses(
    uploaded, *, survey: Survey, tz, sheet: str = SHEET
) -> tuple[ParsedResponses, Layout]:
    """A file's rows as `ingest_responses` items, every reading problem a RowError (row = line).

    `sheet`: the XLSX sheet to read (see `read_table`); a file pull may name another one."""
    table = [
        (number, cells)
        for number, cells in read_table(uploaded, sheet=sheet)
        if any(cell_text(cell).strip() for cell in cells)
    ]
    if not table:
        raise UploadRefused(_("The file is empty."))
    layout = layout_of(table[0][1], survey)
    body = table[1:]
    if not body:
        raise UploadRefused(_("The file has a header but no rows."))
    if len(body) > MAX_ROWS:
        raise UploadRefused(
            _("The file has %(rows)s rows; at most %(max)s can be uploaded at once.")
            % {"rows": len(body), "max": MAX_ROWS}
        )
    types = {question.code: question.type for question in survey.questions.all()}
    parsed = ParsedResponses(header=layout.columns)
    width = len(layout.columns)
    for number, cells in body:
        cells = list(cells[:width]) + [None] * (width - len(cells))
        parsed.rows.append([cell_text(cell) for cell in cells])
        parsed.row_numbers.append(number)
        row = dict(zip(layout.columns, cells, strict=True))
        item, readable = _item(number, row, layout, types, tz, parsed.errors)
        parsed.items.append(item)
        parsed.readable.append(readable)
    _check_repeated_respondents(parsed)
    return parsed, layout


def _item(number: int, row: dict, layout: Layout, types: dict, tz, errors: list):
    """(the item, or None when a cell is bad; the item of the readable cells)."""
    before = len(errors)
    item: dict = {"attributes": {}, "answers": {}}
    for column, raw in row.items():
        if isinstance(raw, Formula):
            errors.append(formula_error(number, column, raw))
            continue
        try:
            _read_cell(item, column, raw, layout, types, tz)
        except ValueError as error:
            errors.append(RowError(number, column, str(error)))
    blamed = {error.column for error in errors[before:]}
    for column in REQUIRED_COLUMNS:
        if column not in item and column not in blamed:
            errors.append(RowError(number, column, _("This cell is required.")))
    return (None if len(errors) > before else item), item


def _read_cell(item: dict, column: str, raw, layout: Layout, types: dict, tz) -> None:
    if column == RESPONDENT:
        value = parse_text(raw)
        if value is not None:
            item[RESPONDENT] = value
    elif column == SUBMITTED_AT:
        value = parse_submitted_at(raw, tz)
        if value is not None:
            item[SUBMITTED_AT] = value
    elif column in layout.questions:
        item["answers"][column] = parse_answer(raw, types[column])
    else:
        # An XLSX TRUE / FALSE cell goes to the service as a boolean, which it refuses as the API
        # does ("yes" or "no"), rather than as the text "True".
        value = raw if isinstance(raw, bool) else parse_text(raw)
        if value is not None:  # an empty background variable is left out, not stored as ""
            item["attributes"][column] = value


def parse_answer(raw, question_type: str):
    """A scored answer as a number (whole numbers as int), a text answer as text; empty is None."""
    if question_type == QuestionType.TEXT:
        return parse_text(raw)
    number = parse_number(raw)
    if number is not None and number.is_integer():
        return int(number)
    return number


def parse_submitted_at(raw, tz) -> str | None:
    """ISO-8601 with an offset; a bare date is the start of that day, a time without an offset
    is read in `tz` (the organisation's time zone)."""
    text = parse_observed_at(raw, tz)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            _("Not a date or time: “%(value)s”. Write 2026-03-02 or 2026-03-02T14:00:00+02:00.")
            % {"value": text}
        ) from None
    if moment.tzinfo is None and tz is not None:
        moment = moment.replace(tzinfo=tz)
    return moment.isoformat()


def _check_repeated_respondents(parsed: ParsedFile) -> None:
    """The same respondent twice in one file (the service only sees one batch at a time)."""
    seen: dict[str, int] = {}
    for position, (number, item) in enumerate(zip(parsed.row_numbers, parsed.items, strict=True)):
        if item is None:
            continue
        respondent = item[RESPONDENT]
        if respondent in seen:
            message = _("Same respondent as row %(row)s.") % {"row": seen[respondent]}
            parsed.errors.append(RowError(number, RESPONDENT, message))
            parsed.items[position] = None  # not sent to the dry run, which would say it again
        else:
            seen[respondent] = number


def column_of(field_name: str) -> str:
    """The file column of a service error's field: `answers.q1` is column q1."""
    for prefix in ("answers.", "attributes."):
        if field_name.startswith(prefix):
            return field_name[len(prefix) :]
    return field_name


def _ingest_in_batches(*, survey: Survey, pairs: list, dry_run: bool):
    total, errors = BulkResult(), []
    size = settings.INGEST_MAX_ITEMS
    for start in range(0, len(pairs), size):
        batch = pairs[start : start + size]
        try:
            result = ingest_responses(
                survey=survey, items=[item for _n, item in batch], dry_run=dry_run
            )
        except ResponsesRefused as refused:
            for problem in refused.errors:
                row = batch[problem["index"]][0]
                errors.append(RowError(row, column_of(problem["field"]), problem["message"]))
            continue
        total.created += result.created
        total.updated += result.updated
        total.unchanged += result.unchanged
    return total, errors


def preview(*, survey: Survey, parsed: ParsedResponses) -> tuple[BulkResult, list[RowError]]:
    """What a confirm would create, update and leave unchanged, and every error; writes nothing.

    Rows with a bad cell go to the dry run with their readable cells, so the service's checks
    (scales, ...) name the rest of their problems; one error per row and column is kept."""
    rows = zip(parsed.row_numbers, parsed.items, parsed.readable, strict=True)
    pairs = [(number, item if item is not None else readable) for number, item, readable in rows]
    result, checked = _ingest_in_batches(survey=survey, pairs=pairs, dry_run=True)
    order = {name: position for position, name in enumerate(parsed.header)}
    errors: dict[tuple[int, str], RowError] = {}
    for error in [*parsed.errors, *checked]:
        errors.setdefault((error.row, error.column), error)
    ordered = sorted(errors.values(), key=lambda e: (e.row, order.get(e.column, len(order))))
    return result, ordered


def confirm(
    *, survey: Survey, row_numbers: list[int], items: list[dict]
) -> tuple[BulkResult, list[RowError]]:
    """Write every row, or none when any batch is refused."""
    pairs = list(zip(row_numbers, items, strict=True))
    with transaction.atomic():
        result, errors = _ingest_in_batches(survey=survey, pairs=pairs, dry_run=False)
        if errors:
            transaction.set_rollback(True)
    return result, errors


def template_columns(survey: Survey, attributes: list[str]) -> list[str]:
    """The columns of the survey's upload template: required, question codes, attributes."""
    codes = [question.code for question in survey.questions.all()]
    engagement = survey.kind == SurveyKind.ENGAGEMENT
    wanted = [survey.unit_attribute, survey.contact_attribute] if engagement else []
    extra = [name for name in [*wanted, *attributes] if name and name not in codes]
    return [*REQUIRED_COLUMNS, *codes, *dict.fromkeys(extra)]


def template_csv(survey: Survey, attributes: list[str]) -> bytes:
    """The header row of an upload for this survey, as UTF-8 CSV with a BOM (Excel reads it)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(template_columns(survey, attributes))
    return out.getvalue().encode("utf-8-sig")
