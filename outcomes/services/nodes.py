"""Writes of chain nodes: create, change, link, measure, delete — each in one transaction.

`data` holds only the fields being set (a PATCH sends some of them):
`level`, `title`, `description`, `initiative` (an Initiative or None),
`indicators` ([(Indicator, weight)], replacing the node's list; an arrow into or out of the
node whose cited hypothesis no longer fits it cites none after it) and
`contributes_to` ([ChainNode], replacing its links upwards; a link that stays keeps its row
and the hypothesis it cites).

Refused with a ValidationError naming the field, nothing changed: a link downwards or to the
same level, anything of another organisation, an activity or output without an initiative, a
weight that is negative, not a finite number, or zero for every indicator, a blank title or one
over 200 characters, and a change of level that would turn one of the node's own links the
wrong way (an error on `level`). Nothing changed includes the caller's instance: a refused or
failed write leaves it as it came. A saved node comes back with its stored status as the
refresh left it, and without the relations prefetched before the save.

Each write takes the organisation's chain lock (`status.lock_chain`) before it reads or writes
anything, so two edits of one chain run one after the other instead of deadlocking.
"""

import math
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organisation
from core.instances import restored_on_failure
from core.numbers import MAX_WEIGHT

from ..models import LEVEL_RANK, LEVELS_OF_AN_INITIATIVE, ChainLink, ChainNode, Level, NodeIndicator
from .instances import title_errors
from .status import lock_chain, refresh_chain_status

PLAIN_FIELDS = ("level", "title", "description", "initiative")
# What a caller may have prefetched (`selectors.nodes_of`) and a save replaces.
REPLACED_RELATIONS = ("measures", "indicators", "links_up", "contributes_to")
TITLE_MAX = ChainNode._meta.get_field("title").max_length


def create_node(*, organisation: Organisation, data: dict) -> ChainNode:
    """A new node of `organisation` with its indicators and links upwards."""
    node = ChainNode(organisation=organisation)
    return _save(node, data, new=True)


def update_node(*, node: ChainNode, data: dict) -> ChainNode:
    """Change the fields in `data` (the others stay as they are)."""
    return _save(node, data, new=False)


def _save(node: ChainNode, data: dict, *, new: bool) -> ChainNode:
    fields = [name for name in PLAIN_FIELDS if name in data]
    with restored_on_failure(node, fields), transaction.atomic():
        # The checks read the chain: hold it from them to the refresh.
        lock_chain(node.organisation)
        saved_level = None if new else ChainNode.objects.get(pk=node.pk).level
        for name in fields:
            setattr(node, name, data[name])
        indicators = data.get("indicators")
        targets = data.get("contributes_to")
        _check(node, indicators, targets, new=new, level_changed=node.level != saved_level)
        # Nodes that lose this one as a contributor need a fresh status too.
        old_targets = [] if new or targets is None else _targets_of(node)
        node.save()
        if indicators is not None:
            _replace_indicators(node, indicators)
        if targets is not None:
            _replace_links(node, targets)
        refresh_chain_status(
            organisation=node.organisation, node_ids=[node.pk, *old_targets], nodes=[node]
        )
    _forget_prefetched(node)
    return node


def _forget_prefetched(node: ChainNode) -> None:
    """Drop relations prefetched before the save, so that the caller reads the new ones."""
    cache = getattr(node, "_prefetched_objects_cache", {})
    for name in REPLACED_RELATIONS:
        cache.pop(name, None)


def _targets_of(node: ChainNode) -> list[int]:
    return list(ChainLink.objects.filter(source=node).values_list("target_id", flat=True))


def _check(node: ChainNode, indicators, targets, *, new: bool, level_changed: bool) -> None:
    errors: dict[str, list[str]] = {}
    _check_level(node, errors)
    _check_title(node, errors)
    _check_initiative(node, errors)
    if indicators is not None:
        _check_indicators(node, indicators, errors)
    if "level" not in errors:
        if targets is not None:
            _check_targets(node, targets, errors)
        elif level_changed and not new:
            _check_kept_targets(node, errors)
        if level_changed and not new:
            _check_contributors(node, errors)
    if errors:
        raise ValidationError(errors)


def _check_level(node: ChainNode, errors: dict) -> None:
    if node.level not in Level.values:
        errors["level"] = [_("Choose one of: activity, output, outcome, impact.")]


def _check_title(node: ChainNode, errors: dict) -> None:
    title = title_errors(node.title, max_length=TITLE_MAX, blank=_("A node needs a title."))
    if title:
        errors["title"] = title


def _check_initiative(node: ChainNode, errors: dict) -> None:
    initiative = node.initiative
    if initiative is not None and initiative.organisation_id != node.organisation_id:
        errors["initiative"] = [_("The initiative belongs to another organisation.")]
    elif initiative is None and node.level in LEVELS_OF_AN_INITIATIVE:
        errors["initiative"] = [
            _("An %(level)s belongs to an initiative: choose one.")
            % {"level": Level(node.level).label}
        ]


def _check_indicators(node: ChainNode, indicators, errors: dict) -> None:
    messages, seen = [], set()
    for indicator, weight in indicators:
        if indicator.organisation_id != node.organisation_id:
            messages.append(
                _("Indicator '%(code)s' belongs to another organisation.")
                % {"code": indicator.code}
            )
        elif indicator.pk in seen:
            messages.append(_("Indicator '%(code)s' is listed twice.") % {"code": indicator.code})
        seen.add(indicator.pk)
        if not _is_weight(weight):
            messages.append(
                _("The weight of '%(code)s' must be a number from 0 to %(most)s.")
                % {"code": indicator.code, "most": number_format(MAX_WEIGHT, force_grouping=True)}
            )
    if indicators and not messages and not any(weight > 0 for _i, weight in indicators):
        messages.append(_("At least one indicator needs a weight above 0."))
    if messages:
        errors["indicators"] = messages


def _is_weight(weight) -> bool:
    if isinstance(weight, Decimal):  # a form's DecimalField
        return weight.is_finite() and 0 <= weight <= MAX_WEIGHT
    return (
        isinstance(weight, int | float)
        and not isinstance(weight, bool)
        and math.isfinite(weight)
        and 0 <= weight <= MAX_WEIGHT
    )


def _check_targets(node: ChainNode, targets, errors: dict) -> None:
    messages = []
    for target in targets:
        if target.organisation_id != node.organisation_id:
            messages.append(_("Node %(id)s belongs to another organisation.") % {"id": target.pk})
        elif node.pk is not None and target.pk == node.pk:
            messages.append(_("A node cannot contribute to itself."))
        elif LEVEL_RANK[target.level] <= LEVEL_RANK[node.level]:
            messages.append(_link_message(node, target))
    if messages:
        errors["contributes_to"] = messages


def _check_kept_targets(node: ChainNode, errors: dict) -> None:
    """A new level must stay below every node this one contributes to (its links are kept)."""
    not_above = [
        t for t in node.contributes_to.all() if LEVEL_RANK[t.level] <= LEVEL_RANK[node.level]
    ]
    if not_above:
        errors.setdefault("level", []).append(
            _("This node contributes to nodes that are not of a higher level: %(titles)s.")
            % {"titles": ", ".join(f"'{t.title}'" for t in not_above)}
        )


def _link_message(node: ChainNode, target: ChainNode) -> str:
    return _(
        "An %(level)s can contribute only to a higher level; '%(title)s' is an %(target)s."
    ) % {
        "level": Level(node.level).label,
        "title": target.title,
        "target": Level(target.level).label,
    }


def _check_contributors(node: ChainNode, errors: dict) -> None:
    """A new level must stay above every node that contributes to this one."""
    lower = [c for c in node.contributors.all() if LEVEL_RANK[c.level] >= LEVEL_RANK[node.level]]
    if lower:
        errors.setdefault("level", []).append(
            _("These nodes contribute to this one and are not of a lower level: %(titles)s.")
            % {"titles": ", ".join(f"'{c.title}'" for c in lower)}
        )


def _replace_indicators(node: ChainNode, indicators) -> None:
    NodeIndicator.objects.filter(node=node).delete()
    NodeIndicator.objects.bulk_create(
        NodeIndicator(node=node, indicator=indicator, weight=float(weight))
        for indicator, weight in indicators
    )
    # A cited hypothesis must still fit its arrow: its cause measures the source node, its
    # effect the target. An arrow whose hypothesis no longer does goes back to "only drawn".
    kept = [indicator.pk for indicator, _weight in indicators]
    ChainLink.objects.filter(source=node, hypothesis__isnull=False).exclude(
        hypothesis__cause_id__in=kept
    ).update(hypothesis=None)
    ChainLink.objects.filter(target=node, hypothesis__isnull=False).exclude(
        hypothesis__effect_id__in=kept
    ).update(hypothesis=None)


def _replace_links(node: ChainNode, targets) -> None:
    """The node's links upwards become `targets`: the rows of links that stay are kept, and
    with them the hypothesis each cites; only links to new targets are created."""
    wanted = {target.pk for target in targets}
    ChainLink.objects.filter(source=node).exclude(target_id__in=wanted).delete()
    existing = set(ChainLink.objects.filter(source=node).values_list("target_id", flat=True))
    ChainLink.objects.bulk_create(
        ChainLink(source=node, target_id=pk) for pk in sorted(wanted - existing)
    )


def link_nodes(*, source: ChainNode, target: ChainNode) -> ChainLink:
    """Add one arrow `source` -> `target` (a no-op when it exists), by the same level rule."""
    with transaction.atomic():
        lock_chain(source.organisation)
        errors: dict = {}
        _check_targets(source, [target], errors)
        if errors:
            raise ValidationError(errors)
        link, _created = ChainLink.objects.get_or_create(source=source, target=target)
        refresh_chain_status(
            organisation=source.organisation, node_ids=[target.pk], nodes=[source, target]
        )
    _forget_prefetched(source)
    return link


def unlink_nodes(*, source: ChainNode, target: ChainNode) -> None:
    """Remove the arrow `source` -> `target`. Refused with a ValidationError on
    `contributes_to` naming both nodes when there is no such arrow (never drawn, or removed
    meanwhile)."""
    with transaction.atomic():
        lock_chain(source.organisation)
        removed, _counts = ChainLink.objects.filter(source=source, target=target).delete()
        if not removed:
            raise ValidationError(
                {
                    "contributes_to": [
                        _(
                            "“%(source)s” does not contribute to “%(target)s”: there is no arrow "
                            "to remove."
                        )
                        % {"source": source.title, "target": target.title}
                    ]
                }
            )
        refresh_chain_status(
            organisation=source.organisation, node_ids=[target.pk], nodes=[source, target]
        )
    _forget_prefetched(source)


def delete_node(*, node: ChainNode, confirm: bool = False) -> None:
    """Delete `node`. When other nodes contribute to it, refuse with their titles unless
    `confirm`, which removes those links too; links upwards go with the node."""
    organisation = node.organisation
    with transaction.atomic():
        lock_chain(organisation)
        contributors = list(node.contributors.order_by("pk"))
        if contributors and not confirm:
            raise ValidationError(
                {
                    "contributors": [
                        ngettext(
                            "%(count)s node contributes to this one: %(titles)s. Confirm to "
                            "delete it with that link.",
                            "%(count)s nodes contribute to this one: %(titles)s. Confirm to "
                            "delete it with those links.",
                            len(contributors),
                        )
                        % {
                            "count": len(contributors),
                            "titles": ", ".join(f"'{c.title}'" for c in contributors),
                        }
                    ]
                }
            )
        above = list(node.contributes_to.values_list("pk", flat=True))
        node.delete()
        refresh_chain_status(organisation=organisation, node_ids=above)
