"""The rules every scorecard write shares; each returns {field: [messages]} (empty: fine)."""

import math
from decimal import Decimal
from graphlib import CycleError, TopologicalSorter

from django.utils.translation import gettext as _

from accounts.selectors import non_members
from core.numbers import MAX_WEIGHT
from indicators.models import Period
from outcomes.services.instances import title_errors

from ..models import PerspectiveKind

MAX_MEASURES_LIMIT = 50
MAX_PHRASES = 200


def _is_number(value) -> bool:
    """A finite int, float or Decimal (a form's DecimalField or a JSON number); not a bool."""
    if isinstance(value, Decimal):
        return value.is_finite()
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def weight_errors(weight) -> list[str]:
    if not _is_number(weight):
        return [_("A weight is a finite number.")]
    if weight < 0:
        return [_("A weight cannot be negative.")]
    if weight > MAX_WEIGHT:
        return [_("A weight is at most %(max)s.") % {"max": MAX_WEIGHT}]
    return []


def all_zero_errors(weights: list, what: str) -> list[str]:
    """Siblings whose weights are all 0 would never score: refuse (`what` names them)."""
    numbers = [w for w in weights if not weight_errors(w)]
    if numbers and len(numbers) == len(weights) and not any(numbers):
        return [
            _("The weights of %(what)s are all 0: give at least one a weight above 0.")
            % {"what": what}
        ]
    return []


def position_errors(position) -> list[str]:
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 32767:
        return [_("A position is a whole number from 0 to 32767.")]
    return []


def text_errors(text, *, max_length: int | None = None) -> list[str]:
    """Free text (a voice statement, a description, a label): a string, blank allowed."""
    if not isinstance(text, str):
        return [_("Give a text.")]
    if max_length is not None and len(text) > max_length:
        return [_("At most %(max)s characters.") % {"max": max_length}]
    return []


def owner_errors(owner, organisation) -> list[str]:
    if owner is not None and non_members(organisation=organisation, users=[owner]):
        return [_("The owner must be a member of the organisation.")]
    return []


def name_errors(text, *, max_length: int, blank: str) -> list[str]:
    return title_errors(text, max_length=max_length, blank=blank)


def kind_errors(kind, taken: set[str]) -> list[str]:
    if kind not in PerspectiveKind.values:
        return [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(PerspectiveKind.values)}]
    if kind in taken:
        return [_("The scorecard already has a %(kind)s perspective.") % {"kind": kind}]
    return []


def period_errors(period) -> list[str]:
    if period not in Period.values:
        return [_("Choose one of: %(periods)s.") % {"periods": ", ".join(Period.values)}]
    return []


def threshold_errors(on_track_from, at_risk_from) -> dict[str, list[str]]:
    errors = {}
    for name, value in (("on_track_from", on_track_from), ("at_risk_from", at_risk_from)):
        if not _is_number(value) or not 0 <= value <= 1:
            errors[name] = [_("A threshold is a number from 0 to 1.")]
    if not errors and at_risk_from > on_track_from:
        errors["at_risk_from"] = [_("“At risk from” cannot be above “on track from”.")]
    return errors


def max_measures_errors(value) -> list[str]:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= MAX_MEASURES_LIMIT
    ):
        return [_("Give a whole number from 1 to %(max)s.") % {"max": MAX_MEASURES_LIMIT}]
    return []


def phrases_errors(phrases) -> list[str]:
    if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
        return [_("Generic phrases are a list of texts.")]
    if len(phrases) > MAX_PHRASES:
        return [_("At most %(max)s generic phrases.") % {"max": MAX_PHRASES}]
    if any(len(p) > 200 for p in phrases):
        return [_("A generic phrase has at most 200 characters.")]
    return []


def cycle_in(links: dict[int | str, set]) -> list | None:
    """A cycle of {source: {targets}} as a list of nodes, or None."""
    graph = {node: set() for node in links}
    for source, targets in links.items():
        for target in targets:
            graph.setdefault(target, set()).add(source)
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        return list(error.args[1])
    return None
