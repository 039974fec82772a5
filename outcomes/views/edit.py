"""Editing pages: forms to create, change, link and delete initiatives and chain nodes.

Analysts only (viewers get 403). Every write is a service call; the service's ValidationError
lands on the field it names, and the page answers 400 with the form as it was sent.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from accounts.pages import page, role_required
from accounts.selectors import members_of
from core.service_forms import add_service_errors

from .. import selectors, services
from ..forms import (
    ConfirmDeleteForm,
    InitiativeForm,
    LinkForm,
    MeasureFormSet,
    NodeForm,
)
from ..models import LEVEL_RANK, LEVELS_OF_AN_INITIATIVE, Level

# -- initiatives ----------------------------------------------------------------------------------


def _save_initiative(request, initiative=None):
    organisation = request.membership.organisation
    members = list(members_of(organisation=organisation))
    initial = InitiativeForm.initial_for(initiative) if initiative else None
    form = InitiativeForm(
        request.POST if request.method == "POST" else None, initial=initial, members=members
    )
    if request.method == "POST" and form.is_valid():
        try:
            if initiative is None:
                saved = services.create_initiative(
                    organisation=organisation, data=form.service_data()
                )
                messages.success(request, _("The initiative was created."))
            else:
                saved = services.update_initiative(initiative=initiative, data=form.service_data())
                messages.success(request, _("The initiative was saved."))
        except ValidationError as error:
            add_service_errors(form, error)  # the service left the initiative as it came
        else:
            return redirect("initiative-detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "initiative": initiative}
    return page(request, "outcomes/initiative_form.html", context, status=status)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def initiative_create(request):
    return _save_initiative(request)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def initiative_edit(request, pk):
    organisation = request.membership.organisation
    initiative = selectors.initiative_by_id(organisation=organisation, pk=pk)
    return _save_initiative(request, initiative)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def initiative_delete(request, pk):
    """The delete page lists what goes with the initiative (its activities and outputs, the
    arrows of other nodes into or out of them, its place in the objectives it serves) and what
    stays; the tick appears only when something but the initiative changes."""
    organisation = request.membership.organisation
    initiative = selectors.initiative_by_id(organisation=organisation, pk=pk)
    deletion = services.initiative_deletion(initiative=initiative)
    form = ConfirmDeleteForm(
        request.POST if request.method == "POST" else None, label=_confirm_label(deletion)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_initiative(initiative=initiative, confirm=form.cleaned_data["confirm"])
        except ValidationError as error:
            add_service_errors(form, error, aliases={"nodes": "confirm", "objectives": "confirm"})
        else:
            messages.success(
                request,
                _("The initiative “%(title)s” was deleted.") % {"title": initiative.title},
            )
            return redirect("initiative-list")
    context = {
        "initiative": initiative,
        "form": form,
        "deleted": deletion.deleted,
        "kept": deletion.kept,
        "arrows": deletion.arrows,
        "objectives": [label for _pk, label in deletion.objectives],
        "needs_confirm": deletion.takes_anything,
    }
    status = 400 if request.method == "POST" else 200
    return page(request, "outcomes/initiative_confirm_delete.html", context, status=status)


def _confirm_label(deletion) -> str:
    """The tick says what goes: the initiative's work, or only the initiative."""
    if deletion.deleted and deletion.kept:
        return _("Delete it with its activities and outputs, and keep its outcomes and impacts")
    if deletion.deleted:
        return _("Delete it with its activities and outputs")
    if deletion.kept:
        return _("Delete it, and keep its outcomes and impacts without an initiative")
    return _("Delete it, and take it off the objectives it serves")


# -- chain nodes ----------------------------------------------------------------------------------


def _node_forms(request, node=None):
    organisation = request.membership.organisation
    initiatives = list(selectors.initiatives_of(organisation=organisation))
    nodes = selectors.node_choices(organisation=organisation)
    indicators = selectors.indicator_choices(organisation=organisation)
    data = request.POST if request.method == "POST" else None
    if node is not None:
        initial = NodeForm.initial_for(node)
        measures = MeasureFormSet.initial_for(node)
    else:
        initial = NodeForm.initial_from_query(request.GET, initiatives=initiatives, nodes=nodes)
        measures = []
    form = NodeForm(data, initial=initial, initiatives=initiatives, nodes=nodes, node=node)
    measure_set = MeasureFormSet(
        data, initial=measures, prefix="indicators", form_kwargs={"indicators": indicators}
    )
    return form, measure_set


def _save_node(request, node=None):
    organisation = request.membership.organisation
    form, measure_set = _node_forms(request, node)
    if request.method == "POST" and form.is_valid() and measure_set.is_valid():
        data = {**form.service_data(), "indicators": measure_set.items()}
        try:
            if node is None:
                saved = services.create_node(organisation=organisation, data=data)
                messages.success(request, _created_message(saved, data["contributes_to"]))
            else:
                saved = services.update_node(node=node, data=data)
                messages.success(request, _("The chain node was saved."))
        except ValidationError as error:
            problems = dict(getattr(error, "error_dict", {}))
            if "indicators" in problems:
                # The weights' messages go above the indicator rows, the others on their field.
                measure_set.add_service_errors(ValidationError(problems.pop("indicators")))
                error = ValidationError(problems) if problems else None
            if error is not None:
                add_service_errors(form, error)  # the service left the node as it came
        else:
            return redirect("node-detail", pk=saved.pk)
    context = {
        "form": form,
        "measures": measure_set,
        "node": node,
        "levels": [(level.value, level.label, LEVEL_RANK[level]) for level in Level],
        "work_levels": list(LEVELS_OF_AN_INITIATIVE),
    }
    status = 400 if request.method == "POST" else 200
    return page(request, "outcomes/node_form.html", context, status=status)


def _created_message(node, targets) -> str:
    if not targets:
        return _("The %(level)s “%(title)s” was created.") % {
            "level": node.get_level_display(),
            "title": node.title,
        }
    return _("The %(level)s “%(title)s” was created; it contributes to %(targets)s.") % {
        "level": node.get_level_display(),
        "title": node.title,
        "targets": ", ".join(f"“{t.title}”" for t in targets),
    }


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def node_create(request):
    return _save_node(request)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def node_edit(request, pk):
    node = selectors.node_by_id(organisation=request.membership.organisation, pk=pk)
    return _save_node(request, node)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def node_delete(request, pk):
    node = selectors.node_by_id(organisation=request.membership.organisation, pk=pk)
    contributors, targets = selectors.neighbours_of(node=node)
    form = ConfirmDeleteForm(
        request.POST if request.method == "POST" else None,
        label=_("Delete it, and the links of the nodes that contribute to it"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_node(node=node, confirm=form.cleaned_data["confirm"])
        except ValidationError as error:
            add_service_errors(form, error, aliases={"contributors": "confirm"})
        else:
            messages.success(
                request, _("The chain node “%(title)s” was deleted.") % {"title": node.title}
            )
            if node.initiative_id:
                return redirect("initiative-detail", pk=node.initiative_id)
            return redirect("chain")
    context = {"node": node, "form": form, "contributors": contributors, "targets": targets}
    status = 400 if request.method == "POST" else 200
    return page(request, "outcomes/node_confirm_delete.html", context, status=status)


def _back(request, node) -> str:
    back = request.POST.get("next") or request.GET.get("next") or ""
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return reverse("node-detail", args=[node.pk])


def _attach_link_ids(node) -> None:
    if not hasattr(node, "target_ids"):
        node.target_ids = [link.target_id for link in node.links_up.all()]
    if not hasattr(node, "contributor_ids"):
        node.contributor_ids = list(node.links_down.values_list("source_id", flat=True))


def link_context(node, nodes=None, form=None) -> dict:
    """What `outcomes/_link_form.html` shows for `node`: its arrows up and down with a remove
    button each, a choice of nodes to add an arrow to or from, and links to create a new node
    that contributes to it, prefilled (`?level=&initiative=&contributes_to=`).

    A reading page may include the partial with `link_context(node)` for analysts: it reads
    `node.target_ids` / `node.contributor_ids` when the node has them (nodes of
    `selectors.chain` do), else the node's links (one query), and `nodes` (the organisation's
    nodes, `selectors.node_choices`: one query) when not given."""
    _attach_link_ids(node)
    if nodes is None:
        nodes = selectors.node_choices(organisation=node.organisation)
    form = form or LinkForm(
        node=node, nodes=nodes, linked=[*node.target_ids, *node.contributor_ids]
    )
    by_id = {n.pk: n for n in nodes}
    targets = [by_id[pk] for pk in sorted(node.target_ids) if pk in by_id]
    contributors = [by_id[pk] for pk in sorted(node.contributor_ids) if pk in by_id]
    rank = LEVEL_RANK[node.level]
    lower = [level for level in Level if LEVEL_RANK[level] < rank]
    new_contributors = []
    for level in reversed(lower):
        query = {"level": level.value, "contributes_to": node.pk}
        if level in LEVELS_OF_AN_INITIATIVE and node.initiative_id:
            query["initiative"] = node.initiative_id
        url = f"{reverse('node-create')}?{urlencode(query)}"
        new_contributors.append({"level": level, "url": url})
    return {
        "link_node": node,
        "link_form": form,
        "link_targets": targets,
        "link_contributors": contributors,
        "new_contributors": new_contributors,
    }


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def node_link(request, pk):
    """POST adds or removes one arrow of the node (`action` add|remove, with `target`: the node
    contributes to it, or `source`: it contributes to the node), then goes back to `next` or
    the node's page. GET shows the node's arrows with those forms."""
    organisation = request.membership.organisation
    node = selectors.node_by_id(organisation=organisation, pk=pk)
    nodes = selectors.node_choices(organisation=organisation)
    _attach_link_ids(node)
    linked = [*node.target_ids, *node.contributor_ids]
    data = request.POST if request.method == "POST" else None
    form = LinkForm(data, node=node, nodes=nodes, linked=linked)
    if request.method == "POST" and form.is_valid():
        source, target = form.arrow()
        field = "target" if form.cleaned_data.get("target") else "source"
        try:
            if form.cleaned_data["action"] == "add":
                services.link_nodes(source=source, target=target)
                message = _("“%(source)s” now contributes to “%(target)s”.")
            else:
                services.unlink_nodes(source=source, target=target)
                message = _("“%(source)s” no longer contributes to “%(target)s”.")
        except ValidationError as error:
            add_service_errors(form, error, aliases={"contributes_to": field})
        else:
            messages.success(request, message % {"source": source.title, "target": target.title})
            return redirect(_back(request, node))
    # The forms on this page come back to it, unless they were sent from elsewhere.
    back = _back(request, node) if (request.POST.get("next") or request.GET.get("next")) else ""
    context = {"node": node, "next": back or request.path, **link_context(node, nodes, form)}
    status = 400 if request.method == "POST" else 200
    return page(request, "outcomes/node_links.html", context, status=status)
