"""Writes of initiatives, each in one transaction.

`data` holds the fields being set: `title`, `description`, `owner` (a member or None),
`start`, `end`, `state`, `budget` (a Decimal or None).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organisation
from accounts.selectors import non_members

from ..models import ChainNode, Initiative, InitiativeState
from .status import refresh_chain_status

FIELDS = ("title", "description", "owner", "start", "end", "state", "budget")


def create_initiative(*, organisation: Organisation, data: dict) -> Initiative:
    """A new initiative of `organisation`."""
    initiative = Initiative(organisation=organisation)
    return _save(initiative, data)


def update_initiative(*, initiative: Initiative, data: dict) -> Initiative:
    """Change the fields in `data`; the others stay."""
    return _save(initiative, data)


def _save(initiative: Initiative, data: dict) -> Initiative:
    for name in FIELDS:
        if name in data:
            setattr(initiative, name, data[name])
    _check(initiative)
    with transaction.atomic():
        initiative.save()
    return initiative


def _check(initiative: Initiative) -> None:
    errors: dict[str, list[str]] = {}
    if not (initiative.title or "").strip():
        errors["title"] = [_("An initiative needs a title.")]
    if initiative.state not in InitiativeState.values:
        errors["state"] = [_("Choose one of: planned, running, done, stopped.")]
    if initiative.start and initiative.end and initiative.end < initiative.start:
        errors["end"] = [_("The end comes before the start.")]
    if initiative.budget is not None and initiative.budget < 0:
        errors["budget"] = [_("A budget cannot be negative.")]
    if initiative.owner is not None and non_members(
        organisation=initiative.organisation, users=[initiative.owner]
    ):
        errors["owner"] = [_("The owner must be a member of the organisation.")]
    if errors:
        raise ValidationError(errors)


def delete_initiative(*, initiative: Initiative, confirm: bool = False) -> None:
    """Delete `initiative`. When it has chain nodes, refuse with their titles unless `confirm`,
    which deletes its activities and outputs (and their links) and keeps its outcomes and
    impacts, shared by nature, without an initiative."""
    nodes = list(initiative.nodes.order_by("pk"))
    if nodes and not confirm:
        raise ValidationError(
            {
                "nodes": [
                    ngettext(
                        "The initiative has %(count)s chain node: %(titles)s. Confirm to delete "
                        "its activities and outputs with it.",
                        "The initiative has %(count)s chain nodes: %(titles)s. Confirm to delete "
                        "its activities and outputs with it.",
                        len(nodes),
                    )
                    % {"count": len(nodes), "titles": ", ".join(f"'{n.title}'" for n in nodes)}
                ]
            }
        )
    organisation = initiative.organisation
    with transaction.atomic():
        own = ChainNode.objects.filter(initiative=initiative)
        own.filter(level__in=["outcome", "impact"]).update(initiative=None)
        own.delete()
        initiative.delete()
        if nodes:
            refresh_chain_status(organisation=organisation)
