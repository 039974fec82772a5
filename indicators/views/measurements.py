"""Entering measurements by hand and by CSV/XLSX upload (preview, confirm, error workbook)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.pages import page, role_required

from .. import selectors, upload
from ..forms import MeasurementForm, UploadForm
from ..services import IngestError, ingest_measurements

MAX_ERRORS_SHOWN = 500


@role_required(Role.ANALYST)
def measurement_create(request):
    organisation = request.membership.organisation
    indicators = selectors.indicators_of(organisation=organisation)
    initial = {
        "indicator": request.GET.get("indicator", ""),
        "observed_at": timezone.localdate(timezone=organisation.tz).isoformat(),
    }
    form = MeasurementForm(request.POST or None, initial=initial, indicators=indicators)
    if request.method == "POST" and form.is_valid():
        item = form.item()
        try:
            result = ingest_measurements(organisation=organisation, items=[item])
        except IngestError as error:
            form.add_ingest_errors(error.errors)
        else:
            if result.created:
                messages.success(request, _("The measurement was saved."))
            elif result.updated:
                messages.success(request, _("The measurement was updated."))
            else:
                messages.info(request, _("The same measurement was already stored."))
            return redirect("indicator-detail", code=item["indicator"])
    status = 400 if request.method == "POST" else 200
    return page(request, "indicators/measurement_form.html", {"form": form}, status=status)


@role_required(Role.ANALYST)
def upload_page(request):
    organisation = request.membership.organisation
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                parsed = upload.read_upload(uploaded, tz=organisation.tz)
            except upload.UploadRefused as refusal:
                form.add_error("file", str(refusal))
            else:
                result, errors = upload.preview(organisation=organisation, parsed=parsed)
                token = upload.store(
                    organisation=organisation,
                    parsed=parsed,
                    filename=uploaded.name,
                    errors=[e.as_dict() for e in errors],
                )
                status = 200
                context.update(
                    {
                        "token": token,
                        "filename": uploaded.name,
                        "result": result,
                        "row_count": len(parsed.items),
                        "errors": errors[:MAX_ERRORS_SHOWN],
                        "error_count": len(errors),
                        "error_rows": len({e.row for e in errors}),
                        "more_errors": max(len(errors) - MAX_ERRORS_SHOWN, 0),
                    }
                )
    template = "indicators/_upload_result.html" if request.htmx else "indicators/upload.html"
    return page(request, template, context, status=status)


@role_required(Role.ANALYST)
@require_POST
def upload_confirm(request):
    organisation = request.membership.organisation
    token = request.POST.get("token", "")
    stored = upload.load(organisation=organisation, token=token)
    if stored is None or stored["errors"] or any(item is None for item in stored["items"]):
        messages.error(request, _("This upload is no longer available. Upload the file again."))
        return _redirect(request, reverse("upload"))
    result, errors = upload.confirm(
        organisation=organisation, row_numbers=stored["row_numbers"], items=stored["items"]
    )
    if errors:
        messages.error(
            request,
            _(
                "Nothing was saved: %(count)s row(s) were refused. Check the file and upload it again."
            )
            % {"count": len({e.row for e in errors})},
        )
        return _redirect(request, reverse("upload"))
    upload.discard(token)
    messages.success(
        request,
        _("Saved: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
        % result.as_dict(),
    )
    codes = {item.get("indicator") for item in stored["items"]}
    if len(codes) == 1:
        return _redirect(request, reverse("indicator-detail", args=[codes.pop()]))
    return _redirect(request, reverse("indicator-list"))


def _redirect(request, url: str):
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@role_required(Role.ANALYST)
@require_GET
def upload_errors(request, token: str):
    stored = upload.load(organisation=request.membership.organisation, token=token)
    if stored is None:
        messages.error(request, _("This upload is no longer available. Upload the file again."))
        return redirect("upload")
    content = upload.error_workbook(
        header=stored["header"],
        rows=stored["rows"],
        row_numbers=stored["row_numbers"],
        errors=stored["errors"],
    )
    name = stored["filename"].rsplit(".", 1)[0] or "upload"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_ascii(name)}-errors.xlsx"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)[:80]


@role_required(Role.VIEWER)
@require_GET
def upload_template(request):
    response = HttpResponse(upload.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="measurements-template.xlsx"'
    return response
