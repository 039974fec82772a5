"""Writes of initiatives, each in one transaction.

`data` holds the fields being set: `title`, `description`, `owner` (a member or None),
`start`, `end`, `state`, `budget` (a Decimal or None).
"""

from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organisation
from accounts.selectors import non_members
from core.instances import restored_on_failure

from ..compute import chain_order_key
from ..models import (
    LEVELS_OF_AN_INITIATIVE,
    ChainLink,
    ChainNode,
    Initiative,
    InitiativeState,
)
from ..registry import ObjectiveLabel, objective_labels, objectives_of
from .instances import title_errors
from .status import lock_chain, refresh_chain_status

FIELDS = ("title", "description", "owner", "start", "end", "state", "budget")
TITLE_MAX = Initiative._meta.get_field("title").max_length
_BUDGET = Initiative._meta.get_field("budget")
BUDGET_DECIMALS = _BUDGET.decimal_places
BUDGET_MAX = Decimal(10) ** (_BUDGET.max_digits - _BUDGET.decimal_places)


def create_initiative(*, organisation: Organisation, data: dict) -> Initiative:
    """A new initiative of `organisation`."""
    initiative = Initiative(organisation=organisation)
    return _save(initiative, data)


def update_initiative(*, initiative: Initiative, data: dict) -> Initiative:
    """Change the fields in `data`; the others stay."""
    return _save(initiative, data)


def _save(initiative: Initiative, data: dict) -> Initiative:
    fields = [name for name in FIELDS if name in data]
    with restored_on_failure(initiative, fields):
        for name in fields:
            setattr(initiative, name, data[name])
        _check(initiative)
        with transaction.atomic():
            initiative.save()
    return initiative


def _check(initiative: Initiative) -> None:
    errors: dict[str, list[str]] = {}
    title = title_errors(
        initiative.title, max_length=TITLE_MAX, blank=_("An initiative needs a title.")
    )
    if title:
        errors["title"] = title
    if initiative.state not in InitiativeState.values:
        errors["state"] = [_("Choose one of: planned, running, done, stopped.")]
    if initiative.start and initiative.end and initiative.end < initiative.start:
        errors["end"] = [_("The end comes before the start.")]
    budget_error = _budget_error(initiative.budget)
    if budget_error:
        errors["budget"] = [budget_error]
    if initiative.owner is not None and non_members(
        organisation=initiative.organisation, users=[initiative.owner]
    ):
        errors["owner"] = [_("The owner must be a member of the organisation.")]
    if errors:
        raise ValidationError(errors)


def _budget_error(budget) -> str | None:
    """Why `budget` cannot be stored (None: it can): a finite amount of 0 or more that fits
    the column (12 digits and 2 decimals)."""
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, int | float | Decimal):
        return _("A budget is an amount of money, a number.")
    budget = Decimal(str(budget)) if isinstance(budget, float) else Decimal(budget)
    if not budget.is_finite():
        return _("A budget is an amount of money, a number.")
    if budget < 0:
        return _("A budget cannot be negative.")
    if budget >= BUDGET_MAX:
        return _("A budget must be below %(max)s.") % {"max": f"{BUDGET_MAX:,}"}
    if budget != budget.quantize(Decimal(1).scaleb(-BUDGET_DECIMALS)):
        return _("A budget has at most %(count)s decimals.") % {"count": BUDGET_DECIMALS}
    return None


class InitiativeDeletion(NamedTuple):
    """What deleting an initiative takes with it (`initiative_deletion`)."""

    deleted: list[ChainNode]  # its activities and outputs, in chain order
    kept: list[ChainNode]  # its outcomes and impacts: they stay, without an initiative
    # Each arrow that goes with `deleted` and has a node that stays at its other end, as
    # "“Train agents” (Initiative B) → “Agents trained”", in chain order.
    arrows: list[str]
    objectives: list[tuple[int, ObjectiveLabel]]  # the objectives it serves, which lose it

    @property
    def nodes(self) -> list[ChainNode]:
        return [*self.deleted, *self.kept]

    @property
    def takes_anything(self) -> bool:
        """Whether the delete changes anything but the initiative: then it needs a confirm."""
        return bool(self.deleted or self.kept or self.objectives)


def initiative_deletion(*, initiative: Initiative) -> InitiativeDeletion:
    """What `delete_initiative(confirm=True)` would delete, keep and unlink (three queries and
    the objective sources')."""
    nodes = sorted(initiative.nodes.all(), key=chain_order_key)
    deleted = [n for n in nodes if n.level in LEVELS_OF_AN_INITIATIVE]
    served = objectives_of([initiative.pk])[initiative.pk]
    return InitiativeDeletion(
        deleted=deleted,
        kept=[n for n in nodes if n.level not in LEVELS_OF_AN_INITIATIVE],
        arrows=_arrows_that_go(initiative, {n.pk for n in deleted}),
        objectives=objective_labels(served),
    )


def _arrows_that_go(initiative: Initiative, deleted: set[int]) -> list[str]:
    """The arrows into or out of `deleted` whose other end stays (another initiative's node, a
    shared one); arrows between two deleted nodes go unseen, with both of their ends."""
    if not deleted:
        return []
    links = (
        ChainLink.objects.filter(Q(source_id__in=deleted) | Q(target_id__in=deleted))
        .exclude(source_id__in=deleted, target_id__in=deleted)
        .select_related("source__initiative", "target__initiative")
    )
    ordered = sorted(
        links,
        key=lambda link: (*chain_order_key(link.source), *chain_order_key(link.target)),
    )
    return [
        f"{_node_label(link.source, initiative)} → {_node_label(link.target, initiative)}"
        for link in ordered
    ]


def _node_label(node: ChainNode, initiative: Initiative) -> str:
    """“title”, with the initiative it belongs to when that is another one."""
    if node.initiative_id is None or node.initiative_id == initiative.pk:
        return _("“%(title)s”") % {"title": node.title}
    return _("“%(title)s” (%(initiative)s)") % {
        "title": node.title,
        "initiative": node.initiative.title,
    }


def delete_initiative(*, initiative: Initiative, confirm: bool = False) -> None:
    """Delete `initiative`, in one transaction: its activities and outputs go with it (and
    every arrow into or out of them, other initiatives' too), its outcomes and impacts, shared
    by nature, stay without an initiative, and the objectives it serves lose it.

    When anything but the initiative changes, refused unless `confirm`, with a ValidationError
    that lists it: on `nodes` its chain nodes (and the arrows of other nodes that go), on
    `objectives` the objectives it serves; nothing changed."""
    organisation = initiative.organisation
    with transaction.atomic():
        lock_chain(organisation)
        deletion = initiative_deletion(initiative=initiative)
        if deletion.takes_anything and not confirm:
            raise ValidationError(_refusal(deletion))
        own = ChainNode.objects.filter(initiative=initiative)
        own.filter(level__in=["outcome", "impact"]).update(initiative=None)
        own.delete()
        initiative.delete()  # and, by cascade, the objectives' links to it
        if deletion.nodes:
            refresh_chain_status(organisation=organisation)


def _refusal(deletion: InitiativeDeletion) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if deletion.nodes:
        errors["nodes"] = [_nodes_message(deletion)]
        if deletion.arrows:
            errors["nodes"].append(
                ngettext(
                    "With its activities and outputs goes %(count)s arrow to or from a node "
                    "that stays: %(arrows)s.",
                    "With its activities and outputs go %(count)s arrows to or from nodes "
                    "that stay: %(arrows)s.",
                    len(deletion.arrows),
                )
                % {"count": len(deletion.arrows), "arrows": "; ".join(deletion.arrows)}
            )
    if deletion.objectives:
        errors["objectives"] = [_objectives_message(deletion)]
    return errors


def _nodes_message(deletion: InitiativeDeletion) -> str:
    nodes = deletion.nodes
    words = {"count": len(nodes), "titles": ", ".join(f"'{n.title}'" for n in nodes)}
    if deletion.deleted:
        return (
            ngettext(
                "The initiative has %(count)s chain node: %(titles)s. Confirm to delete its "
                "activities and outputs with it.",
                "The initiative has %(count)s chain nodes: %(titles)s. Confirm to delete its "
                "activities and outputs with it.",
                len(nodes),
            )
            % words
        )
    return (
        ngettext(
            "The initiative has %(count)s chain node: %(titles)s. Confirm to delete it; the "
            "node stays, without an initiative.",
            "The initiative has %(count)s chain nodes: %(titles)s. Confirm to delete it; the "
            "nodes stay, without an initiative.",
            len(nodes),
        )
        % words
    )


def objective_title(label: ObjectiveLabel) -> str:
    """“title” (where it sits), as a refusal names an objective."""
    if label.context:
        return _("“%(title)s” (%(context)s)") % {"title": label.title, "context": label.context}
    return _("“%(title)s”") % {"title": label.title}


def _objectives_message(deletion: InitiativeDeletion) -> str:
    count = len(deletion.objectives)
    words = {
        "count": count,
        "titles": ", ".join(objective_title(label) for _pk, label in deletion.objectives),
    }
    if deletion.nodes:
        return (
            ngettext(
                "It serves %(count)s objective, which loses it: %(titles)s.",
                "It serves %(count)s objectives, which lose it: %(titles)s.",
                count,
            )
            % words
        )
    return (
        ngettext(
            "The initiative serves %(count)s objective, which loses it: %(titles)s. Confirm to "
            "delete it.",
            "The initiative serves %(count)s objectives, which lose it: %(titles)s. Confirm to "
            "delete it.",
            count,
        )
        % words
    )
