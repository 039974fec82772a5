"""Indicator pages: the list with filters and sparklines, the detail chart, the definition forms."""

from functools import lru_cache

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect
from django.template.defaultfilters import floatformat
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.pages import page, role_required
from accounts.selectors import members_of

from .. import charts, selectors
from ..forms import BandFormSet, DatedValueFormSet, IndicatorForm
from ..models import Evidence, Kind, Layer
from ..services import create_indicator, update_indicator

SPARKLINE_PERIODS = 12
SIGNALS = {
    "above_limit": (
        gettext_lazy("above limit"),
        gettext_lazy("Above the upper natural process limit"),
    ),
    "below_limit": (
        gettext_lazy("below limit"),
        gettext_lazy("Below the lower natural process limit"),
    ),
    "run_above": (
        gettext_lazy("run above"),
        gettext_lazy("8 or more values in a row above the centre line"),
    ),
    "run_below": (
        gettext_lazy("run below"),
        gettext_lazy("8 or more values in a row below the centre line"),
    ),
    "two_of_three_above": (
        gettext_lazy("2 of 3 above"),
        gettext_lazy("2 of 3 values in a row beyond 2 sigma above the centre line"),
    ),
    "two_of_three_below": (
        gettext_lazy("2 of 3 below"),
        gettext_lazy("2 of 3 values in a row beyond 2 sigma below the centre line"),
    ),
}
ASSESSMENTS = [
    ("worse", gettext_lazy("worse than expected")),
    ("expected", gettext_lazy("as expected")),
    ("better", gettext_lazy("better than expected")),
    ("none", gettext_lazy("no assessment")),
]


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
            "latest_label": charts.latest_label(indicator),
            "stale": _("stale: no value since %(since)s")
            % {"since": charts.period_label(indicator.latest_start, indicator.period)}
            if indicator.stale
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


@lru_cache(maxsize=8192)
def _number(value: float, language: str | None) -> str:
    # Cached by language: targets, bands and benchmarks repeat on every row of a long series.
    return floatformat(value, "-2g")


def _text(value: float | None, missing: str = "—") -> str:
    return missing if value is None else _number(value, get_language())


def _indicator_forms(request, indicator=None):
    data = request.POST if request.method == "POST" else None
    members = list(members_of(organisation=request.membership.organisation))
    if indicator is None:
        initial, targets, benchmarks, bands = None, [], [], []
    else:
        initial = IndicatorForm.initial_for(indicator)
        targets = [{"valid_from": t.valid_from, "value": t.value} for t in indicator.targets.all()]
        benchmarks = [
            {"valid_from": b.valid_from, "value": b.value, "source": b.source}
            for b in indicator.benchmarks.all()
        ]
        bands = BandFormSet.initial_for(indicator)
    form = IndicatorForm(data, initial=initial, editing=indicator is not None, members=members)
    target_set = DatedValueFormSet(data, initial=targets, prefix="targets")
    benchmark_set = DatedValueFormSet(data, initial=benchmarks, prefix="benchmarks")
    band_set = BandFormSet(data, initial=bands, prefix="bands", form_kwargs={"members": members})
    return form, target_set, benchmark_set, band_set


def _save_indicator(request, indicator=None):
    organisation = request.membership.organisation
    form, target_set, benchmark_set, band_set = _indicator_forms(request, indicator)
    sets = [target_set, benchmark_set, band_set]
    if request.method == "POST" and all([form.is_valid(), *(s.is_valid() for s in sets)]):
        data = form.service_data()
        data["targets"] = target_set.items(with_source=False)
        data["benchmarks"] = benchmark_set.items(with_source=True)
        data["bands"] = band_set.items()
        try:
            if indicator is None:
                saved = create_indicator(organisation=organisation, data=data)
                messages.success(request, _("The indicator was created."))
            else:
                saved = update_indicator(indicator=indicator, data=data)
                messages.success(request, _("The indicator was saved."))
        except ValidationError as error:
            form.add_service_errors(error, bands=band_set)
        else:
            return redirect("indicator-detail", code=saved.code)
    context = {
        "form": form,
        "targets": target_set,
        "benchmarks": benchmark_set,
        "bands": band_set,
        "bands_have_errors": any(band_set.errors) or bool(band_set.non_form_errors()),
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
