"""Writes of initiatives, each in one transaction.

`data` holds the fields being set: `title`, `description`, `owner` (a member or None),
`start`, `end`, `state`, `budget` (a Decimal or None).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organisation
from accounts.selectors import non_members
from core.instances import restored_on_failure

from ..models import ChainNode, Initiative, InitiativeState
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


def delete_initiative(*, initiative: Initiative, confirm: bool = False) -> None:
    """Delete `initiative`. When it has chain nodes, refuse with their titles unless `confirm`,
    which deletes its activities and outputs (and their links) and keeps its outcomes and
    impacts, shared by nature, without an initiative."""
    organisation = initiative.organisation
    with transaction.atomic():
        lock_chain(organisation)
        nodes = list(initiative.nodes.order_by("pk"))
        if nodes and not confirm:
            raise ValidationError(
                {
                    "nodes": [
                        ngettext(
                            "The initiative has %(count)s chain node: %(titles)s. Confirm to "
                            "delete its activities and outputs with it.",
                            "The initiative has %(count)s chain nodes: %(titles)s. Confirm to "
                            "delete its activities and outputs with it.",
                            len(nodes),
                        )
                        % {"count": len(nodes), "titles": ", ".join(f"'{n.title}'" for n in nodes)}
                    ]
                }
            )
        own = ChainNode.objects.filter(initiative=initiative)
        own.filter(level__in=["outcome", "impact"]).update(initiative=None)
        own.delete()
        initiative.delete()
        if nodes:
            refresh_chain_status(organisation=organisation)
