"""What apps above `outcomes` contribute to its pages and answers, without being imported.

`objectives`: the scorecard links objectives to initiatives on its own side; it registers a
callable `(initiative_ids) -> {initiative_id: [objective ids]}` so that initiatives list their
`objectives`. Without one, every initiative lists none.

    from outcomes.registry import register_objectives

    class ScorecardConfig(AppConfig):
        def ready(self):
            register_objectives("scorecard.objectives", objectives_of_initiatives)
"""

from collections import defaultdict
from collections.abc import Callable, Iterable

ObjectivesOf = Callable[[list[int]], dict[int, list[int]]]
_objectives: dict[str, ObjectivesOf] = {}


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
