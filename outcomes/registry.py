"""What apps above `outcomes` contribute to its pages and answers, without being imported.

`objectives`: the scorecard links objectives to initiatives on its own side; it registers a
callable `(initiative_ids) -> {initiative_id: [objective ids]}` so that initiatives list their
`objectives`. Without one, every initiative lists none.

`objective labels`: so that the initiative page names those objectives, the same app registers
a callable `(objective_ids) -> {objective_id: ObjectiveLabel(title, url, context)}`. An
objective no source labels is shown by its id.

    from outcomes.registry import register_objective_labels, register_objectives

    class ScorecardConfig(AppConfig):
        def ready(self):
            register_objectives("scorecard.objectives", objectives_of_initiatives)
            register_objective_labels("scorecard.objectives", objective_labels)
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import NamedTuple

ObjectivesOf = Callable[[list[int]], dict[int, list[int]]]
_objectives: dict[str, ObjectivesOf] = {}


class ObjectiveLabel(NamedTuple):
    """How a page names one objective: its title, the page that shows it ("" for none) and
    where it sits (e.g. "Company scorecard · Internal process")."""

    title: str
    url: str = ""
    context: str = ""


LabelsOf = Callable[[list[int]], dict[int, ObjectiveLabel]]
_labels: dict[str, LabelsOf] = {}


def register_objectives(name: str, objectives_of: ObjectivesOf) -> None:
    """Add (or, under the same name, replace) a source of the objectives initiatives serve."""
    _objectives[name] = objectives_of


def unregister_objectives(name: str) -> None:
    _objectives.pop(name, None)


def objectives_of(initiative_ids: Iterable[int]) -> dict[int, list[int]]:
    """The ids of the objectives each initiative serves, from every registered source: each
    once, in the order the sources give them; only for the initiatives asked about (any other
    id reads as an empty list)."""
    ids = list(initiative_ids)
    found: dict[int, list[int]] = defaultdict(list)
    if not ids:
        return found
    asked = set(ids)
    for source in _objectives.values():
        for initiative_id, objective_ids in source(ids).items():
            if initiative_id in asked:
                kept = found[initiative_id]
                kept.extend(pk for pk in objective_ids if pk not in kept)
    return found


def register_objective_labels(name: str, labels_of: LabelsOf) -> None:
    """Add (or, under the same name, replace) a source of objective titles and links."""
    _labels[name] = labels_of


def unregister_objective_labels(name: str) -> None:
    _labels.pop(name, None)


def objective_labels(objective_ids: Iterable[int]) -> list[tuple[int, ObjectiveLabel]]:
    """(id, label) of each objective, in the order given, each once: the label of the first
    source (in registration order) that knows it, else a bare "#id" without a link. Each source
    is asked once, and only about the ids no earlier source labelled."""
    ids = list(dict.fromkeys(objective_ids))
    found: dict[int, ObjectiveLabel] = {}
    for source in _labels.values():
        missing = [pk for pk in ids if pk not in found]
        if not missing:
            break
        for pk, label in source(missing).items():
            if pk in missing and pk not in found:
                found[pk] = label
    return [(pk, found.get(pk) or ObjectiveLabel(title=f"#{pk}")) for pk in ids]
