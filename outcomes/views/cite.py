"""Citing a hypothesis on an arrow of the chain, from the source node's page (analysts only)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.pages import role_required

from .. import selectors, services
from .chain import node_page


@role_required(Role.ANALYST)
@require_POST
def link_cite(request, pk):
    """POST `hypothesis` (an id of the hypotheses that fit the arrow, or empty: cite none),
    then back to the source node's page; a refusal shows there at the arrow, with a 400."""
    organisation = request.membership.organisation
    link = selectors.link_by_id(organisation=organisation, pk=pk)
    node = selectors.node_by_id(organisation=organisation, pk=link.source_id)
    chosen = request.POST.get("hypothesis", "").strip()
    fitting = {str(h.pk): h for h in _fitting(node, link)}
    if chosen and chosen not in fitting:
        return _refused(
            request, node, link, [_("Choose one of the hypotheses that fit the arrow.")]
        )
    hypothesis = fitting.get(chosen)
    try:
        services.cite_hypothesis(link=link, hypothesis=hypothesis)
    except ValidationError as error:
        return _refused(request, node, link, error.message_dict.get("hypothesis", error.messages))
    words = {"source": link.source.title, "target": link.target.title}
    if hypothesis is None:
        message = _("The arrow “%(source)s” → “%(target)s” cites no hypothesis now.")
    else:
        words.update(
            cause=hypothesis.cause.name,
            effect=hypothesis.effect.name,
            status=hypothesis.get_status_display(),
        )
        message = _(
            "The arrow “%(source)s” → “%(target)s” now cites the hypothesis “%(cause)s drives "
            "%(effect)s” (%(status)s)."
        )
    messages.success(request, message % words)
    return redirect("node-detail", pk=node.pk)


def _fitting(node, link) -> list:
    for arrow in selectors.arrows_up(node=node):
        if arrow.pk == link.pk:
            return arrow.fitting
    return []


def _refused(request, node, link, problems):
    return node_page(request, node, cite_errors={link.pk: problems}, status=400)
