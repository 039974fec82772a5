"""Editing pages of the CPI evidence: CPI profiles and their customer evidence, hypotheses,
experiments, and the planning partial (the minimum detectable effect, live).

Analysts and admins only (viewers get 403); another organisation's object answers 404. Every
write is a service call; the service's ValidationError lands on the field it names, and the page
answers 400 with the form as it was sent.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.pages import page, role_required
from indicators import selectors as indicator_selectors

from .. import selectors, services
from ..forms import (
    ExperimentForm,
    HypothesisForm,
    NoteForm,
    PlanQueryForm,
    ProfileForm,
    add_service_errors,
    split_segments,
)

# -- CPI profile and evidence notes ---------------------------------------------------------------


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def profile_edit(request, code):
    organisation = request.membership.organisation
    indicator = selectors.cpi_by_code(organisation=organisation, code=code)
    teams = indicator_selectors.indicators_of(organisation=organisation).values_list(
        "team", flat=True
    )
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, initial=ProfileForm.initial_for(indicator), teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_profile(indicator=indicator, data=form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The CPI profile was saved."))
            return redirect("cpi-detail", code=indicator.code)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "indicator": indicator}
    return page(request, "cpi/profile_form.html", context, status=status)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def note_create(request, code):
    organisation = request.membership.organisation
    indicator = selectors.cpi_by_code(organisation=organisation, code=code)
    data = request.POST if request.method == "POST" else None
    form = NoteForm(data, initial={"noted_on": indicator_selectors.today_of(organisation)})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_evidence_note(
                indicator=indicator, data=form.service_data(), created_by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The customer evidence was added."))
            return redirect("cpi-detail", code=indicator.code)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "indicator": indicator}
    return page(request, "cpi/note_form.html", context, status=status)


@role_required(Role.ANALYST)
@require_POST
def note_delete(request, pk):
    organisation = request.membership.organisation
    note = selectors.evidence_note_by_id(organisation=organisation, note_id=pk)
    code = note.indicator.code
    services.delete_evidence_note(note=note)
    messages.success(request, _("The note “%(source)s” was deleted.") % {"source": note.source})
    return redirect("cpi-detail", code=code)


# -- hypotheses -----------------------------------------------------------------------------------


def _indicators(organisation) -> list:
    return list(
        indicator_selectors.indicators_of(organisation=organisation)
        .prefetch_related(None)
        .order_by("name", "code")
    )


def _save_hypothesis(request, hypothesis=None):
    organisation = request.membership.organisation
    indicators = _indicators(organisation)
    initial = HypothesisForm.initial_for(hypothesis) if hypothesis is not None else {}
    # ?cause=<code> preselects; htmx asks again with the chosen cause and effect.
    codes = {i.code for i in indicators}
    for name in ("cause", "effect"):
        if request.GET.get(name) in codes:
            initial[name] = request.GET[name]
    data = request.POST if request.method == "POST" else None
    form = HypothesisForm(data, initial=initial, indicators=indicators)
    if request.method == "POST" and form.is_valid():
        try:
            if hypothesis is None:
                saved = services.create_hypothesis(
                    organisation=organisation, data=form.service_data(), created_by=request.user
                )
                messages.success(
                    request, _("The hypothesis was created and its evidence computed.")
                )
            else:
                saved = services.update_hypothesis(hypothesis=hypothesis, data=form.service_data())
                messages.success(
                    request, _("The hypothesis was saved and its evidence recomputed.")
                )
        except ValidationError as error:
            add_service_errors(form, error)  # the service left the object as it came
        else:
            return redirect("hypothesis-detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "hypothesis": hypothesis}
    return page(request, "cpi/hypothesis_form.html", context, status=status)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def hypothesis_create(request):
    return _save_hypothesis(request)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def hypothesis_edit(request, pk):
    organisation = request.membership.organisation
    hypothesis = selectors.hypothesis_by_id(organisation=organisation, hypothesis_id=pk)
    return _save_hypothesis(request, hypothesis)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def hypothesis_delete(request, pk):
    organisation = request.membership.organisation
    hypothesis = selectors.hypothesis_by_id(organisation=organisation, hypothesis_id=pk)
    if request.method == "POST":
        services.delete_hypothesis(hypothesis=hypothesis)
        messages.success(
            request,
            _("The hypothesis %(cause)s → %(effect)s was deleted.")
            % {"cause": hypothesis.cause.name, "effect": hypothesis.effect.name},
        )
        return redirect("arrows")
    context = {
        "hypothesis": hypothesis,
        "experiments": list(hypothesis.experiments.all()),
        "arrows": hypothesis.chain_links.count(),
    }
    return page(request, "cpi/hypothesis_confirm_delete.html", context)


# -- experiments ----------------------------------------------------------------------------------


def _experiment_form(request, hypothesis, experiment=None):
    organisation = request.membership.organisation
    indicators = _indicators(organisation)
    codes = {i.code: i for i in indicators}
    if request.method == "POST":
        data, initial = request.POST, None
    else:
        data = None
        if experiment is not None:
            initial = ExperimentForm.initial_for(experiment)
        else:
            initial = {"indicator": hypothesis.effect.code}
        # htmx asks again with what the analyst has chosen so far (indicator, dimension).
        for name in ("name", "indicator", "arm_dimension", "control", "treatment", "start", "end"):
            if name in request.GET:
                initial[name] = request.GET[name]
        for name in ("expected_effect", "planned_n_per_arm"):
            if name in request.GET:
                initial[name] = request.GET[name]
    chosen = codes.get((data or initial or {}).get("indicator") or "")
    segments = split_segments(indicator_selectors.segments_of(indicator=chosen)) if chosen else {}
    likely = "arm" if "arm" in segments else next(iter(segments)) if len(segments) == 1 else ""
    if initial is not None and not initial.get("arm_dimension") and likely:
        initial["arm_dimension"] = likely  # one dimension, or one called "arm"
    form = ExperimentForm(
        data, initial=initial, hypothesis=hypothesis, indicators=indicators, segments=segments
    )
    return form


def _save_experiment(request, hypothesis, experiment=None):
    organisation = request.membership.organisation
    form = _experiment_form(request, hypothesis, experiment)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            if experiment is None:
                saved = services.create_experiment(
                    organisation=organisation,
                    data={**data, "hypothesis": hypothesis},
                    created_by=request.user,
                )
                messages.success(request, _("The experiment was registered."))
            else:
                saved = services.update_experiment(experiment=experiment, data=data)
                messages.success(request, _("The experiment was saved and its result recomputed."))
        except ValidationError as error:
            add_service_errors(form, error)  # the service left the object as it came
        else:
            return redirect("experiment-detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "hypothesis": hypothesis, "experiment": experiment}
    return page(request, "cpi/experiment_form.html", context, status=status)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def experiment_create(request, pk):
    organisation = request.membership.organisation
    hypothesis = selectors.hypothesis_by_id(organisation=organisation, hypothesis_id=pk)
    return _save_experiment(request, hypothesis)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def experiment_edit(request, pk):
    organisation = request.membership.organisation
    experiment = selectors.experiment_by_id(organisation=organisation, experiment_id=pk)
    return _save_experiment(request, experiment.hypothesis, experiment)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def experiment_delete(request, pk):
    organisation = request.membership.organisation
    experiment = selectors.experiment_by_id(organisation=organisation, experiment_id=pk)
    hypothesis = experiment.hypothesis
    if request.method == "POST":
        services.delete_experiment(experiment=experiment)
        messages.success(
            request, _("The experiment “%(name)s” was deleted.") % {"name": experiment.name}
        )
        return redirect("hypothesis-detail", pk=hypothesis.pk)
    context = {"experiment": experiment, "hypothesis": hypothesis}
    return page(request, "cpi/experiment_confirm_delete.html", context)


@role_required(Role.ANALYST)
@require_GET
def experiment_plan(request):
    """The planning partial (htmx): ?indicator=&n_per_arm=&before= -> the minimum detectable
    effect at 80 % power from the spread of the indicator's measurements before `before` (by
    default today)."""
    organisation = request.membership.organisation
    query = PlanQueryForm(request.GET)
    context = {"plan": None, "query": query, "indicator": None}
    if query.is_valid():
        indicator = indicator_selectors.indicator_by_code(
            organisation=organisation, code=query.cleaned_data["indicator"]
        )
        context["indicator"] = indicator
        context["plan"] = services.minimum_detectable_effect(
            organisation=organisation,
            indicator=indicator,
            n_per_arm=query.cleaned_data["n_per_arm"],
            before=query.cleaned_data["before"] or indicator_selectors.today_of(organisation),
        )
    return page(request, "cpi/_plan.html", context)
