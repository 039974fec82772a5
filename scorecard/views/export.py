"""XLSX export of a scorecard in one period: the scorecard with status colours, the score
history, the warnings and the maturity, one sheet each (openpyxl, written in memory)."""

from io import BytesIO

from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from accounts.models import Role
from accounts.pages import role_required
from indicators import charts as indicator_charts

from .. import charts, selectors
from ..compute import status_of_score
from ..models import Part
from .pages import HISTORY_PERIODS, centricity_of, chosen_period, maturity_of, period_starts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Cell fills and fonts by status (the page's colours, lightened for the fill)
FILLS = {
    status: PatternFill("solid", fgColor=colour[1:])
    for status, colour in charts.STATUS_FILLS.items()
}
FONTS = {
    status: Font(color=colour[1:], bold=True) for status, colour in charts.STATUS_COLOURS.items()
}
BOLD = Font(bold=True)
HEADING = Font(bold=True, size=14)
HEAD_FILL = PatternFill("solid", fgColor="E6EAEF")
PERCENT = "0%"


def _head(sheet, row: int, names: list[str]) -> None:
    for column, name in enumerate(names, start=1):
        cell = sheet.cell(row=row, column=column, value=name)
        cell.font = BOLD
        cell.fill = HEAD_FILL


def _widths(sheet, widths: list[int]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _score_cells(sheet, row: int, column: int, score, status: str) -> None:
    """The score as a percentage and the status in words, both coloured by status."""
    cell = sheet.cell(row=row, column=column, value=score)
    cell.number_format = PERCENT
    label = sheet.cell(row=row, column=column + 1, value=charts.status_label(status))
    for c in (cell, label):
        c.fill = FILLS[status]
        c.font = FONTS[status]


def scorecard_sheet(sheet, detail) -> None:
    scorecard = detail.scorecard
    period = indicator_charts.period_label(detail.period_start, scorecard.period)
    previous = indicator_charts.period_label(detail.previous_start, scorecard.period)
    sheet.title = _("Scorecard")[:31]
    sheet["A1"] = scorecard.name
    sheet["A1"].font = HEADING
    sheet["A2"] = _("Period: %(period)s") % {"period": period}
    sheet.append([])
    names = [
        _("Part"),
        _("Perspective"),
        _("Objective"),
        _("Measure"),
        _("In the customer's voice"),
        _("Evidence"),
        _("Kind"),
        _("Layer"),
        _("Weight"),
        _("Score"),
        _("Status"),
        _("Score in %(period)s") % {"period": previous},
    ]
    _head(sheet, 4, names)
    row = 5

    def line(part, perspective, objective, measure, voice, item, weight, extra=("", "", "")):
        nonlocal row
        values = [part, perspective, objective, measure, voice, *extra, weight]
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
        _score_cells(sheet, row, 10, item.score, item.status)
        before = sheet.cell(row=row, column=12, value=item.previous)
        before.number_format = PERCENT
        row += 1

    line(_("scorecard"), "", "", "", "", detail.total, None)
    sheet.cell(row=row - 1, column=1).font = BOLD
    for perspective in detail.perspectives:
        label = str(perspective.obj.display_label)
        line(_("perspective"), label, "", "", "", perspective, perspective.obj.weight)
        sheet.cell(row=row - 1, column=2).font = BOLD
        for objective in perspective.children:
            o = objective.obj
            line(_("objective"), label, o.title, "", o.voice, objective, o.weight)
            for measure in objective.children:
                indicator = measure.obj.indicator
                extra = (
                    indicator.get_evidence_display() if indicator.evidence else "",
                    indicator.get_kind_display(),
                    indicator.get_layer_display() if indicator.layer else "",
                )
                line(
                    _("measure"),
                    label,
                    o.title,
                    f"{indicator.name} ({indicator.code})",
                    "",
                    measure,
                    measure.obj.weight,
                    extra,
                )
    _widths(sheet, [12, 20, 36, 36, 40, 22, 8, 14, 8, 9, 12, 14])
    for cells in sheet.iter_rows(min_row=5, min_col=5, max_col=5):
        cells[0].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A5"


def history_sheet(sheet, detail, history) -> None:
    scorecard = detail.scorecard
    starts = period_starts(detail.period_start, scorecard.period, HISTORY_PERIODS)
    sheet.title = _("History")[:31]
    labels = [indicator_charts.period_label(start, scorecard.period) for start in starts]
    _head(sheet, 1, [_("Part"), _("Name"), *labels])
    rows = [(_("scorecard"), scorecard.name, Part.SCORECARD, scorecard.pk, detail.total)]
    for perspective in detail.perspectives:
        rows.append(
            (
                _("perspective"),
                str(perspective.obj.display_label),
                Part.PERSPECTIVE,
                perspective.obj.pk,
                perspective,
            )
        )
        for objective in perspective.children:
            rows.append(
                (_("objective"), objective.obj.title, Part.OBJECTIVE, objective.obj.pk, objective)
            )
    thresholds = {"on_track_from": scorecard.on_track_from, "at_risk_from": scorecard.at_risk_from}
    for r, (part_name, name, part, pk, _row) in enumerate(rows, start=2):
        sheet.cell(row=r, column=1, value=part_name)
        sheet.cell(row=r, column=2, value=name)
        scores = dict(history.get((part, pk), []))
        for c, start in enumerate(starts, start=3):
            score = scores.get(start)
            cell = sheet.cell(row=r, column=c, value=score)
            cell.number_format = PERCENT
            if score is not None:
                status = status_of_score(score, **thresholds)
                cell.fill = FILLS[status]
                cell.font = FONTS[status]
    _widths(sheet, [12, 40, *([11] * len(starts))])
    sheet.freeze_panes = "C2"


def warnings_sheet(sheet, detail) -> None:
    sheet.title = _("Advice")[:31]
    _head(sheet, 1, [_("Code"), _("About"), _("Advice")])
    names = {row.obj.pk: row.obj.title for row in detail.objectives()}
    measures = {m.obj.pk: m.obj.indicator.name for row in detail.objectives() for m in row.children}
    for r, warning in enumerate(detail.warnings, start=2):
        about = {"objective": names, "measure": measures}.get(warning.type, {}).get(
            warning.id, detail.scorecard.name
        )
        sheet.cell(row=r, column=1, value=warning.code)
        sheet.cell(row=r, column=2, value=about)
        sheet.cell(row=r, column=3, value=warning.message).alignment = Alignment(wrap_text=True)
    if not detail.warnings:
        sheet.cell(row=2, column=3, value=_("Nothing to point out."))
    _widths(sheet, [30, 36, 90])


def maturity_sheet(sheet, detail) -> None:
    maturity = maturity_of(detail)
    centricity = centricity_of(detail)
    sheet.title = _("Maturity")[:31]
    sheet["A1"] = _("Measurement maturity")
    sheet["A1"].font = HEADING
    sheet["A2"] = _("Level")
    sheet["B2"] = maturity["level"]
    sheet["C2"] = _("of %(count)s") % {"count": maturity["of"]}
    sheet["B2"].font = BOLD
    _head(sheet, 4, [_("Layer"), _("Measured"), _("What it measures")])
    for r, layer in enumerate(maturity["layers"], start=5):
        sheet.cell(row=r, column=1, value=str(layer["label"]))
        status = "on_track" if layer["measured"] else "off_track"
        cell = sheet.cell(row=r, column=2, value=_("yes") if layer["measured"] else _("no"))
        cell.fill = FILLS[status]
        cell.font = FONTS[status]
        sheet.cell(row=r, column=3, value=str(layer["note"]))
    r = 5 + len(maturity["layers"]) + 1
    sheet.cell(
        row=r,
        column=1,
        value=_("Next layer to measure: %(layer)s") % {"layer": maturity["next_layer"]}
        if maturity["next_layer"]
        else _("All four layers are measured."),
    )
    sheet.cell(
        row=r + 1,
        column=1,
        value=_("Level 3 is the first that predicts future customer behaviour."),
    )
    sheet.cell(row=r + 3, column=1, value=_("Customer-centricity")).font = BOLD
    sheet.cell(row=r + 4, column=1, value=_("CPI indicators"))
    sheet.cell(row=r + 4, column=2, value=centricity["cpi"])
    sheet.cell(row=r + 5, column=1, value=_("KPI indicators"))
    sheet.cell(row=r + 5, column=2, value=centricity["kpi"])
    _widths(sheet, [34, 12, 70])


def scorecard_workbook(detail, history) -> bytes:
    """The four sheets of `detail` (and its `score_history`) as the bytes of an XLSX file."""
    book = Workbook()
    scorecard_sheet(book.active, detail)
    history_sheet(book.create_sheet(), detail, history)
    warnings_sheet(book.create_sheet(), detail)
    maturity_sheet(book.create_sheet(), detail)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


@role_required(Role.VIEWER)
def scorecard_export(request, pk):
    """The scorecard in the asked period (`?period=`, default the latest complete) as XLSX."""
    organisation = request.membership.organisation
    scorecard = selectors.scorecard_by_id(organisation=organisation, pk=pk)
    asked, _unreadable = chosen_period(request)
    detail = selectors.scorecard_detail(scorecard=scorecard, period_start=asked)
    history = selectors.score_history(
        scorecard=scorecard, end=detail.period_start, count=HISTORY_PERIODS
    )
    response = HttpResponse(scorecard_workbook(detail, history), content_type=XLSX)
    name = f"{slugify(scorecard.name) or 'scorecard'}-{detail.period_start.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
