"""Server-rendered pages for people.

Views read through `selectors`, write through `services` (the same ones as the API), and decide
nothing about numbers themselves.
"""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.views import page, role_required

from . import charts, selectors, upload
from .forms import (
    DatedValueFormSet,
    DeviationForm,
    IndicatorForm,
    MeasurementForm,
    UploadForm,
)
from .models import DeviationState, Evidence, Kind, Layer, Period
from .services import IngestError, create_indicator, ingest_measurements, update_indicator

SPARKLINE_PERIODS = 12
ASSESSMENTS = [
    ("worse", gettext_lazy("worse than expected")),
    ("expected", gettext_lazy("as expected")),
    ("better", gettext_lazy("better than expected")),
    ("none", gettext_lazy("no assessment")),
]
MAX_ERRORS_SHOWN = 500


def _off_target(indicator) -> bool:
    value, target = indicator.latest_value, indicator.latest_target
    if value is None or target is None:
        return False
    if indicator.direction == "higher_is_better":
        return value < target
    if indicator.direction == "lower_is_better":
        return value > target
    return False


def _needs_attention(indicator) -> bool:
    return indicator.latest_position in ("below", "above") or _off_target(indicator)


@role_required(Role.VIEWER)
def home(request):
    """Dashboard: indicators outside their band or off target first, then the rest."""
    organisation = request.membership.organisation
    indicators = list(selectors.indicators_with_latest_detail(organisation=organisation))
    recent = selectors.recent_values_by_indicator(indicators=indicators, count=SPARKLINE_PERIODS)
    cards = []
    for indicator in indicators:
        results = recent.get(indicator.pk, [])
        series = [{**row, "period_start": row["period_start"].isoformat()} for row in results]
        figure = (
            charts.figure_json(charts.small_figure(results=series, period=indicator.period))
            if series
            else None
        )
        cards.append(
            {
                "indicator": indicator,
                "attention": _needs_attention(indicator),
                "off_target": _off_target(indicator),
                "figure": figure,
                "latest_label": charts.period_label(indicator.latest_start, indicator.period)
                if indicator.latest_start
                else "",
            }
        )
    cards.sort(key=lambda card: (not card["attention"], card["indicator"].name.lower()))
    attention = [card for card in cards if card["attention"]]
    rest = [card for card in cards if not card["attention"]]
    return page(
        request,
        "indicators/home.html",
        {"attention": attention, "rest": rest, "has_indicators": bool(cards)},
    )


def _filters(request) -> dict:
    query = request.GET
    return {
        "kind": query.get("kind") if query.get("kind") in Kind.values else "",
        "layer": query.get("layer") if query.get("layer") in Layer.values else "",
        "evidence": query.get("evidence") if query.get("evidence") in Evidence.values else "",
        "assessment": query.get("assessment")
        if query.get("assessment") in {a for a, _label in ASSESSMENTS}
        else "",
    }


@role_required(Role.VIEWER)
def indicator_list(request):
    organisation = request.membership.organisation
    filters = _filters(request)
    indicators = selectors.indicators_with_latest(organisation=organisation)
    for name in ("kind", "layer", "evidence"):
        if filters[name]:
            indicators = indicators.filter(**{name: filters[name]})
    if filters["assessment"] == "none":
        indicators = indicators.filter(Q(latest_assessment="") | Q(latest_assessment__isnull=True))
    elif filters["assessment"]:
        indicators = indicators.filter(latest_assessment=filters["assessment"])
    indicators = list(indicators)
    recent = selectors.recent_values_by_indicator(indicators=indicators, count=SPARKLINE_PERIODS)
    rows = [
        {
            "indicator": indicator,
            "sparkline": charts.sparkline_points(
                [r["value"] for r in recent.get(indicator.pk, [])]
            ),
            "latest_label": charts.period_label(indicator.latest_start, indicator.period)
            if indicator.latest_start
            else "",
        }
        for indicator in indicators
    ]
    context = {
        "rows": rows,
        "filters": filters,
        "kinds": Kind.choices,
        "layers": Layer.choices,
        "evidences": Evidence.choices,
        "assessments": ASSESSMENTS,
    }
    template = "indicators/_indicator_rows.html" if request.htmx else "indicators/list.html"
    return page(request, template, context)


def _segment_choice(request, segments: list[str]) -> str:
    segment = request.GET.get("segment", "")
    return segment if segment in segments else ""


@role_required(Role.VIEWER)
def indicator_detail(request, code: str):
    organisation = request.membership.organisation
    indicator = selectors.indicator_by_code(organisation=organisation, code=code)
    period = request.GET.get("period")
    period = period if period in Period.values else indicator.period
    segments = selectors.segments_of(indicator=indicator)
    segment = _segment_choice(request, segments)
    values = selectors.indicator_values(indicator=indicator, period=period, segment=segment)
    rows = [
        {**row, "label": charts.period_label(date.fromisoformat(row["period_start"]), period)}
        for row in values["results"]
    ]
    figure = charts.figure_json(charts.indicator_figure(values=values, unit=indicator.unit))
    context = {
        "indicator": indicator,
        "period": period,
        "periods": Period.choices,
        "segment": segment,
        "segments": segments,
        "rows": list(reversed(rows)),
        "figure": figure,
        "has_values": bool(rows),
    }
    template = "indicators/_values.html" if request.htmx else "indicators/detail.html"
    return page(request, template, context)


def _indicator_forms(request, indicator=None):
    data = request.POST if request.method == "POST" else None
    if indicator is None:
        initial, targets, benchmarks = None, [], []
    else:
        initial = IndicatorForm.initial_for(indicator)
        targets = [{"valid_from": t.valid_from, "value": t.value} for t in indicator.targets.all()]
        benchmarks = [
            {"valid_from": b.valid_from, "value": b.value, "source": b.source}
            for b in indicator.benchmarks.all()
        ]
    form = IndicatorForm(data, initial=initial, editing=indicator is not None)
    target_set = DatedValueFormSet(data, initial=targets, prefix="targets")
    benchmark_set = DatedValueFormSet(data, initial=benchmarks, prefix="benchmarks")
    return form, target_set, benchmark_set


def _save_indicator(request, indicator=None):
    organisation = request.membership.organisation
    form, target_set, benchmark_set = _indicator_forms(request, indicator)
    if request.method == "POST" and all(
        [form.is_valid(), target_set.is_valid(), benchmark_set.is_valid()]
    ):
        data = form.service_data()
        data["targets"] = target_set.items(with_source=False)
        data["benchmarks"] = benchmark_set.items(with_source=True)
        try:
            if indicator is None:
                saved = create_indicator(organisation=organisation, data=data)
                messages.success(request, _("The indicator was created."))
            else:
                saved = update_indicator(indicator=indicator, data=data)
                messages.success(request, _("The indicator was saved."))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("indicator-detail", code=saved.code)
    context = {
        "form": form,
        "targets": target_set,
        "benchmarks": benchmark_set,
        "indicator": indicator,
    }
    status = 400 if request.method == "POST" else 200
    return page(request, "indicators/form.html", context, status=status)


@role_required(Role.ANALYST)
def indicator_create(request):
    return _save_indicator(request)


@role_required(Role.ANALYST)
def indicator_edit(request, code: str):
    organisation = request.membership.organisation
    indicator = selectors.indicator_by_code(organisation=organisation, code=code)
    return _save_indicator(request, indicator)


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


# -- upload --------------------------------------------------------------------------------------


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


# -- deviations ----------------------------------------------------------------------------------

DEVIATION_FILTERS = ["open", "acknowledged", "closed", "resolved_by_data", "all"]


@role_required(Role.VIEWER)
def deviation_list(request):
    organisation = request.membership.organisation
    state = request.GET.get("state", "open")
    state = state if state in DEVIATION_FILTERS else "open"
    deviations = selectors.deviations_of(organisation=organisation)
    if state != "all":
        deviations = deviations.filter(state=state)
    paginator = Paginator(deviations, 50)
    page_obj = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "deviation": deviation,
            "label": charts.period_label(deviation.period_start, deviation.period),
            "form": DeviationForm(
                initial={"state": deviation.state, "note": deviation.note},
                prefix=f"d{deviation.pk}",
            ),
        }
        for deviation in page_obj
    ]
    states = [(value, label) for value, label in DeviationState.choices] + [("all", _("all"))]
    return page(
        request,
        "indicators/deviations.html",
        {"rows": rows, "page_obj": page_obj, "state": state, "states": states},
    )


@role_required(Role.ANALYST)
@require_POST
def deviation_update(request, pk: int):
    deviation = selectors.deviation_by_id(organisation=request.membership.organisation, pk=pk)
    form = DeviationForm(request.POST, prefix=f"d{pk}")
    if form.is_valid():
        deviation.state = form.cleaned_data["state"]
        deviation.note = form.cleaned_data["note"]
        deviation.save(update_fields=["state", "note", "updated_at"])
        messages.success(request, _("The deviation was updated."))
    else:
        messages.error(request, _("Choose a state for the deviation."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("deviations")
