"""Uploading a survey's responses as CSV/XLSX: preview, confirm, error workbook, template."""

from datetime import datetime

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.pages import page, role_required
from indicators import upload as files

from .. import selectors, upload

MAX_ERRORS_SHOWN = 500
PREVIEW_ROWS = 10
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ResponsesFileForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        allow_empty_file=True,  # read_table says "The file is empty." itself
        help_text=gettext_lazy(
            "CSV (comma or semicolon separated) or Excel .xlsx, first row = column names."
        ),
    )


def _scope(survey) -> str:
    return f"survey:{survey.pk}"


def _survey(request, code: str):
    return selectors.survey_of(request.membership.organisation, code)


@role_required(Role.ANALYST)
def upload_page(request, code: str):
    survey = _survey(request, code)
    form = ResponsesFileForm(request.POST or None, request.FILES or None)
    context = {"survey": survey, "form": form, "questions": list(survey.questions.all())}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            preview = _preview(request, survey, form)
            if preview:
                context.update(preview)
                status = 200
    template = "surveys/_upload_result.html" if request.htmx else "surveys/upload.html"
    return page(request, template, context, status=status)


def _preview(request, survey, form) -> dict | None:
    """The preview's context, or None after adding the file's refusal to the form."""
    organisation = request.membership.organisation
    uploaded = form.cleaned_data["file"]
    try:
        parsed, layout = upload.read_responses(uploaded, survey=survey, tz=organisation.tz)
    except files.UploadRefused as refusal:
        form.add_error("file", str(refusal))
        return None
    result, errors = upload.preview(survey=survey, parsed=parsed)
    token = files.store(
        organisation=organisation,
        parsed=parsed,
        filename=uploaded.name,
        errors=[e.as_dict() for e in errors],
        scope=_scope(survey),
    )
    return {
        "token": token,
        "filename": uploaded.name,
        "result": result,
        "layout": layout,
        "row_count": len(parsed.items),
        "first_rows": _first_rows(parsed, layout),
        "errors": errors[:MAX_ERRORS_SHOWN],
        "error_count": len(errors),
        "error_rows": len({e.row for e in errors}),
        "more_errors": max(len(errors) - MAX_ERRORS_SHOWN, 0),
    }


def _first_rows(parsed, layout) -> list[dict]:
    """The first rows as read: each cell's value, None for a skipped answer; raw text on a row
    that could not be read."""
    rows = []
    shown = zip(parsed.row_numbers, parsed.rows, parsed.items, strict=True)
    for (number, raw, item), _n in zip(shown, range(PREVIEW_ROWS), strict=False):
        if item is None:
            rows.append({"number": number, "cells": raw, "unread": True})
            continue
        cells = []
        for column in layout.columns:
            if column in layout.questions:
                cells.append(item["answers"].get(column))
            elif column in layout.attributes:
                cells.append(item["attributes"].get(column, ""))
            elif column == upload.SUBMITTED_AT:
                cells.append(_moment(item[column]))
            else:
                cells.append(item.get(column, ""))
        rows.append({"number": number, "cells": cells, "unread": False})
    return rows


def _moment(text: str) -> str:
    """An ISO time as 2026-03-02 14:30 +02:00, short enough for a table cell."""
    moment = datetime.fromisoformat(text)
    offset = moment.isoformat()[-6:] if moment.utcoffset() is not None else ""
    return f"{moment:%Y-%m-%d}\u00a0{moment:%H:%M}\u00a0{offset}".strip()


@role_required(Role.ANALYST)
@require_POST
def upload_confirm(request, code: str):
    survey = _survey(request, code)
    organisation = request.membership.organisation
    token = request.POST.get("token", "")
    stored = files.load(organisation=organisation, token=token, scope=_scope(survey))
    back = reverse("survey-upload", args=[survey.code])
    if stored is None or stored["errors"] or any(item is None for item in stored["items"]):
        messages.error(request, _("This upload is no longer available. Upload the file again."))
        return _redirect(request, back)
    result, errors = upload.confirm(
        survey=survey, row_numbers=stored["row_numbers"], items=stored["items"]
    )
    if errors:
        messages.error(
            request,
            _(
                "Nothing was saved: %(count)s row(s) were refused. Check the file and upload it again."
            )
            % {"count": len({e.row for e in errors})},
        )
        return _redirect(request, back)
    files.discard(token)
    messages.success(
        request,
        _("Saved: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
        % result.as_dict(),
    )
    return _redirect(request, reverse("survey-results", args=[survey.code]))


def _redirect(request, url: str):
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@role_required(Role.ANALYST)
@require_GET
def upload_errors(request, code: str, token: str):
    survey = _survey(request, code)
    organisation = request.membership.organisation
    stored = files.load(organisation=organisation, token=token, scope=_scope(survey))
    if stored is None:
        messages.error(request, _("This upload is no longer available. Upload the file again."))
        return redirect("survey-upload", code=survey.code)
    content = files.error_workbook(
        header=stored["header"],
        rows=stored["rows"],
        row_numbers=stored["row_numbers"],
        errors=stored["errors"],
        sheet=upload.SHEET,
    )
    name = stored["filename"].rsplit(".", 1)[0] or "upload"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_ascii(name)}-errors.xlsx"'
    return response


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)[:80]


@role_required(Role.VIEWER)
@require_GET
def upload_template(request, code: str):
    survey = _survey(request, code)
    attributes = selectors.attribute_names(survey)
    response = HttpResponse(
        upload.template_csv(survey, attributes), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_ascii(survey.code)}-responses.csv"'
    return response
