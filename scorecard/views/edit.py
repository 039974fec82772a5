"""Editing pages of scorecards: create, change and delete a scorecard, its perspectives and
objectives, an objective's measures and its cause-effect links.

Analysts and admins only (viewers get 403, another organisation's objects 404). Every write is a
service call; the service's ValidationError lands on the field it names and the page answers
400 with the form as it was sent (the services leave the instance as it came).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from accounts.pages import page, role_required
from accounts.selectors import members_of
from indicators import selectors as indicator_selectors
from outcomes import selectors as outcome_selectors

from .. import selectors, services
from ..forms import (
    LinkForm,
    MeasureAddForm,
    MeasureWeightForm,
    ObjectiveForm,
    PerspectiveForm,
    ScorecardForm,
    add_service_errors,
)
from ..models import Objective, ObjectiveLink, PerspectiveKind
from ..services.checks import weight_errors

EDIT = [role_required(Role.ANALYST), require_http_methods(["GET", "POST"])]


def editing(view):
    for decorator in reversed(EDIT):
        view = decorator(view)
    return view


def _organisation(request):
    return request.membership.organisation


def _data(request):
    return request.POST if request.method == "POST" else None


def _status(request) -> int:
    return 400 if request.method == "POST" else 200


def _back(request, default: str) -> str:
    """`next` when it is a page of this site, else `default`."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return default


def _warnings_of(objective) -> list:
    """The rule warnings of `objective` (and of its measures) in the scorecard's default period,
    shown where the analyst can act on them."""
    detail = selectors.scorecard_detail(scorecard=objective.perspective.scorecard)
    measures = set(objective.measures.values_list("pk", flat=True))
    return [
        w
        for w in detail.warnings
        if (w.type == "objective" and w.id == objective.pk)
        or (w.type == "measure" and w.id in measures)
    ]


# -- scorecards -----------------------------------------------------------------------------------


@editing
def scorecard_create(request):
    organisation = _organisation(request)
    form = ScorecardForm(_data(request), create=True)
    if request.method == "POST" and form.is_valid():
        try:
            scorecard = services.create_scorecard(
                organisation=organisation, data=form.service_data()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "The scorecard “%(name)s” was created with its four perspectives: add objectives."
                )
                % {"name": scorecard.name},
            )
            return redirect("scorecard-edit", pk=scorecard.pk)
    return page(
        request,
        "scorecard/scorecard_form.html",
        {"form": form, "scorecard": None},
        _status(request),
    )


@editing
def scorecard_edit(request, pk):
    """The scorecard's settings, and its perspectives and objectives with links to edit each."""
    scorecard = selectors.scorecard_by_id(organisation=_organisation(request), pk=pk)
    form = ScorecardForm(_data(request), initial=ScorecardForm.initial_for(scorecard))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_scorecard(scorecard=scorecard, data=form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The scorecard settings were saved."))
            return redirect(_back(request, reverse("scorecard-detail", args=[scorecard.pk])))
    perspectives = selectors.structure_of(scorecard)
    taken = {p.kind for p in perspectives}
    context = {
        "form": form,
        "scorecard": scorecard,
        "perspectives": perspectives,
        "can_add_perspective": any(kind not in taken for kind in PerspectiveKind.values),
    }
    return page(request, "scorecard/scorecard_form.html", context, _status(request))


@editing
def scorecard_delete(request, pk):
    scorecard = selectors.scorecard_by_id(organisation=_organisation(request), pk=pk)
    if request.method == "POST":
        services.delete_scorecard(scorecard=scorecard)
        messages.success(
            request, _("The scorecard “%(name)s” was deleted.") % {"name": scorecard.name}
        )
        return redirect("scorecard-list")
    counts = Objective.objects.filter(perspective__scorecard=scorecard).aggregate(
        objectives=Count("pk", distinct=True), measures=Count("measures", distinct=True)
    )
    context = {
        "scorecard": scorecard,
        "perspective_count": scorecard.perspectives.count(),
        "objective_count": counts["objectives"],
        "measure_count": counts["measures"],
    }
    return page(request, "scorecard/scorecard_confirm_delete.html", context)


# -- perspectives ---------------------------------------------------------------------------------


def _save_perspective(request, scorecard, perspective=None):
    initial = PerspectiveForm.initial_for(perspective) if perspective else None
    form = PerspectiveForm(
        _data(request), initial=initial, scorecard=scorecard, perspective=perspective
    )
    if request.method == "POST" and form.is_valid():
        try:
            if perspective is None:
                saved = services.create_perspective(scorecard=scorecard, data=form.service_data())
                message = _("The perspective “%(label)s” was added.")
            else:
                saved = services.update_perspective(
                    perspective=perspective, data=form.service_data()
                )
                message = _("The perspective “%(label)s” was saved.")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, message % {"label": saved.display_label})
            return redirect(_back(request, reverse("scorecard-edit", args=[scorecard.pk])))
    context = {"form": form, "scorecard": scorecard, "perspective": perspective}
    return page(request, "scorecard/perspective_form.html", context, _status(request))


@editing
def perspective_create(request, pk):
    scorecard = selectors.scorecard_by_id(organisation=_organisation(request), pk=pk)
    return _save_perspective(request, scorecard)


@editing
def perspective_edit(request, pk):
    perspective = selectors.perspective_by_id(organisation=_organisation(request), pk=pk)
    return _save_perspective(request, perspective.scorecard, perspective)


@editing
def perspective_delete(request, pk):
    perspective = selectors.perspective_by_id(organisation=_organisation(request), pk=pk)
    scorecard = perspective.scorecard
    if request.method == "POST":
        try:
            services.delete_perspective(perspective=perspective)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The perspective “%(label)s” was deleted.")
                % {"label": perspective.display_label},
            )
        return redirect("scorecard-edit", pk=scorecard.pk)
    objectives = list(
        perspective.objectives.annotate(measure_count=Count("measures")).order_by("position", "pk")
    )
    context = {"perspective": perspective, "scorecard": scorecard, "objectives": objectives}
    return page(request, "scorecard/perspective_confirm_delete.html", context)


# -- objectives -----------------------------------------------------------------------------------


def _save_objective(request, perspective, objective=None):
    organisation = _organisation(request)
    scorecard = perspective.scorecard
    members = list(members_of(organisation=organisation))
    initiatives = list(outcome_selectors.initiatives_of(organisation=organisation))
    perspectives = list(scorecard.perspectives.all())
    for p in perspectives:
        p.scorecard = scorecard  # display_label reads the preset without a query
    initial = ObjectiveForm.initial_for(objective) if objective else None
    form = ObjectiveForm(
        _data(request),
        initial=initial,
        perspective=perspective,
        perspectives=perspectives if objective else (),
        members=members,
        initiatives=initiatives,
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            if objective is None:
                saved = services.create_objective(perspective=perspective, data=data)
            else:
                saved = services.update_objective(objective=objective, data=data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if objective is None:
                messages.success(
                    request,
                    _("The objective “%(title)s” was added: now choose its measures.")
                    % {"title": saved.title},
                )
                return redirect("objective-measures", pk=saved.pk)
            messages.success(
                request, _("The objective “%(title)s” was saved.") % {"title": saved.title}
            )
            return redirect(_back(request, reverse("objective-detail", args=[saved.pk])))
    context = {
        "form": form,
        "scorecard": scorecard,
        "perspective": perspective,
        "objective": objective,
        "warnings": _warnings_of(objective) if objective else [],
    }
    return page(request, "scorecard/objective_form.html", context, _status(request))


@editing
def objective_create(request, pk):
    perspective = selectors.perspective_by_id(organisation=_organisation(request), pk=pk)
    return _save_objective(request, perspective)


@editing
def objective_edit(request, pk):
    objective = selectors.objective_by_id(organisation=_organisation(request), pk=pk)
    return _save_objective(request, objective.perspective, objective)


@editing
def objective_delete(request, pk):
    objective = selectors.objective_by_id(organisation=_organisation(request), pk=pk)
    scorecard = objective.perspective.scorecard
    if request.method == "POST":
        services.delete_objective(objective=objective)
        messages.success(
            request, _("The objective “%(title)s” was deleted.") % {"title": objective.title}
        )
        return redirect("scorecard-edit", pk=scorecard.pk)
    context = {
        "objective": objective,
        "scorecard": scorecard,
        "measures": list(objective.measures.select_related("indicator")),
        "links_out": list(objective.contributes_to.order_by("title", "pk")),
        "links_in": list(objective.contributors.order_by("title", "pk")),
    }
    return page(request, "scorecard/objective_confirm_delete.html", context)


# -- measures -------------------------------------------------------------------------------------


def _indicator_choices(organisation) -> list:
    """The organisation's indicators with what the measure choice shows, by name (one query)."""
    return list(
        indicator_selectors.indicators_of(organisation=organisation)
        .prefetch_related(None)
        .select_related(None)
        .only("pk", "organisation_id", "code", "name", "kind", "evidence", "layer")
        .order_by("name", "code")
    )


@editing
def objective_measures(request, pk):
    """The objective's measures: POST `action` add (`indicator`, `weight`), weight (`measure`,
    `weight`) or remove (`measure`), then back to this page (or `next`)."""
    organisation = _organisation(request)
    objective = selectors.objective_by_id(organisation=organisation, pk=pk)
    scorecard = objective.perspective.scorecard
    indicators = _indicator_choices(organisation)
    measures = list(objective.measures.select_related("indicator"))
    action = request.POST.get("action") if request.method == "POST" else None
    add_form = MeasureAddForm(
        request.POST if action == "add" else None,
        indicators=indicators,
        taken=[m.indicator_id for m in measures],
    )
    weight_forms = {
        m.pk: MeasureWeightForm(
            request.POST
            if action == "weight" and request.POST.get("measure") == str(m.pk)
            else None,
            initial={"weight": m.weight},
            prefix=f"m{m.pk}",
        )
        for m in measures
    }
    error = None
    if action == "add" and add_form.is_valid():
        indicator, weight = add_form.cleaned_data["indicator"], add_form.cleaned_data["weight"]
        try:
            services.add_measure(objective=objective, indicator=indicator, weight=weight)
        except ValidationError as refused:
            field = "weight" if weight_errors(weight) else "indicator"
            add_service_errors(add_form, refused, aliases={"measures": field})
        else:
            messages.success(
                request,
                _("%(code)s now measures “%(title)s”.")
                % {"code": indicator.code, "title": objective.title},
            )
            return redirect(_back(request, request.path))
    elif action in ("weight", "remove"):
        measure = next((m for m in measures if str(m.pk) == request.POST.get("measure")), None)
        if measure is None:
            error = _("That measure is not on this objective.")
        elif action == "remove":
            try:
                services.remove_measure(measure=measure)
            except ValidationError as refused:
                error = " ".join(refused.messages)
            else:
                messages.success(
                    request,
                    _("%(code)s no longer measures “%(title)s”.")
                    % {"code": measure.indicator.code, "title": objective.title},
                )
                return redirect(_back(request, request.path))
        else:
            form = weight_forms[measure.pk]
            if form.is_valid():
                try:
                    services.update_measure(measure=measure, weight=form.cleaned_data["weight"])
                except ValidationError as refused:
                    add_service_errors(form, refused, aliases={"measures": "weight"})
                else:
                    messages.success(
                        request,
                        _("The weight of %(code)s was saved.") % {"code": measure.indicator.code},
                    )
                    return redirect(_back(request, request.path))
    elif action is not None:
        error = _("Choose what to do: add, weight or remove.")
    rows = [{"measure": m, "form": weight_forms[m.pk]} for m in measures]
    context = {
        "objective": objective,
        "scorecard": scorecard,
        "rows": rows,
        "add_form": add_form,
        "error": error,
        "max_measures": scorecard.max_measures_per_objective,
        "is_customer": objective.perspective.kind == PerspectiveKind.CUSTOMER,
        "warnings": _warnings_of(objective),
    }
    return page(request, "scorecard/objective_measures.html", context, _status(request))


# -- cause-effect links ---------------------------------------------------------------------------


@editing
def objective_links(request, pk):
    """The objective's cause-effect links: POST `action` add|remove with `target` (it
    contributes to that objective) or `source` (that one contributes to it)."""
    organisation = _organisation(request)
    objective = selectors.objective_by_id(organisation=organisation, pk=pk)
    scorecard = objective.perspective.scorecard
    objectives = list(
        Objective.objects.filter(perspective__scorecard=scorecard)
        .select_related("perspective__scorecard")
        .order_by("perspective__position", "perspective_id", "position", "pk")
    )
    links = ObjectiveLink.objects.filter(source__perspective__scorecard=scorecard)
    targets = [t for s, t in links.values_list("source_id", "target_id") if s == objective.pk]
    sources = list(links.filter(target=objective).values_list("source_id", flat=True))
    form = LinkForm(
        _data(request), objective=objective, objectives=objectives, targets=targets, sources=sources
    )
    if request.method == "POST" and form.is_valid():
        source, target = form.arrow()
        try:
            if form.cleaned_data["action"] == "add":
                services.link_objectives(source=source, target=target)
                message = _("“%(source)s” now contributes to “%(target)s”.")
            else:
                services.unlink_objectives(source=source, target=target)
                message = _("“%(source)s” no longer contributes to “%(target)s”.")
        except ValidationError as error:
            add_service_errors(form, error, aliases={"contributes_to": form.field_used()})
        else:
            messages.success(request, message % {"source": source.title, "target": target.title})
            return redirect(_back(request, request.path))
    by_id = {o.pk: o for o in objectives}
    context = {
        "objective": objective,
        "scorecard": scorecard,
        "form": form,
        "targets": [by_id[pk] for pk in targets if pk in by_id],
        "sources": [by_id[pk] for pk in sources if pk in by_id],
    }
    return page(request, "scorecard/objective_links.html", context, _status(request))
