"""Writes of one part of a scorecard: a perspective, an objective, a measure, a cause-effect link.

Each runs in one transaction under the scorecard's lock, re-scores the history after a change
that moves scores (weights, measures, parts added or removed) and, refused, raises a
ValidationError naming the field with nothing changed, the caller's instance included.

`data` holds only the fields being set:
- perspective: `kind`, `label`, `position`, `weight`;
- objective: `perspective` (move it), `title`, `voice`, `description`, `owner`, `weight`,
  `position`, `initiatives` ([Initiative], replacing), `measures` ([(Indicator, weight)],
  replacing), `contributes_to` ([Objective] of the same scorecard, replacing its links out).
  A measure whose indicator stays keeps its row (its id and score history), as a link does;
  `owner` must be a member of the organisation.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.instances import restored_on_failure

from ..models import Measure, Objective, ObjectiveLink, Perspective, Scorecard
from . import checks
from .scores import lock_scorecard, refresh_scores

PERSPECTIVE_FIELDS = ("kind", "label", "position", "weight")
OBJECTIVE_FIELDS = ("perspective", "title", "voice", "description", "owner", "weight", "position")
# What moves scores: any other change (title, voice, owner, links...) leaves them as they are.
SCORED = frozenset({"perspective", "weight", "measures"})
LABEL_MAX = Perspective._meta.get_field("label").max_length
TITLE_MAX = Objective._meta.get_field("title").max_length


def create_perspective(*, scorecard: Scorecard, data: dict) -> Perspective:
    return _save_perspective(Perspective(scorecard=scorecard), data)


def update_perspective(*, perspective: Perspective, data: dict) -> Perspective:
    return _save_perspective(perspective, data)


def _save_perspective(perspective: Perspective, data: dict) -> Perspective:
    fields = [name for name in PERSPECTIVE_FIELDS if name in data]
    scorecard = perspective.scorecard
    with restored_on_failure(perspective, fields), transaction.atomic():
        lock_scorecard(scorecard)
        for name in fields:
            setattr(perspective, name, data[name])
        others = Perspective.objects.filter(scorecard=scorecard).exclude(pk=perspective.pk)
        errors = {}
        _add(
            errors,
            "kind",
            checks.kind_errors(perspective.kind, set(others.values_list("kind", flat=True))),
        )
        _add(errors, "weight", checks.weight_errors(perspective.weight))
        if not errors.get("weight"):
            weights = [*others.values_list("weight", flat=True), perspective.weight]
            _add(errors, "weight", checks.all_zero_errors(weights, _("the perspectives")))
        _add(errors, "label", checks.text_errors(perspective.label, max_length=LABEL_MAX))
        _add(errors, "position", checks.position_errors(perspective.position))
        if errors:
            raise ValidationError(errors)
        adding = perspective._state.adding
        if adding and "position" not in data:
            perspective.position = others.count()
        perspective.save()
        if adding or "weight" in data:
            refresh_scores(scorecard=scorecard)
    return perspective


def delete_perspective(*, perspective: Perspective) -> None:
    """Delete it with its objectives (and their measures and links)."""
    scorecard = perspective.scorecard
    with transaction.atomic():
        lock_scorecard(scorecard)
        perspective.delete()
        refresh_scores(scorecard=scorecard)


def create_objective(*, perspective: Perspective, data: dict) -> Objective:
    return _save_objective(Objective(perspective=perspective), {"perspective": perspective, **data})


def update_objective(*, objective: Objective, data: dict) -> Objective:
    return _save_objective(objective, data)


def _save_objective(objective: Objective, data: dict) -> Objective:
    fields = [name for name in OBJECTIVE_FIELDS if name in data]
    scorecard = objective.perspective.scorecard
    with restored_on_failure(objective, fields), transaction.atomic():
        lock_scorecard(scorecard)
        for name in fields:
            setattr(objective, name, data[name])
        _check_objective(objective, data, scorecard)
        if objective._state.adding and "position" not in data:
            objective.position = Objective.objects.filter(perspective=objective.perspective).count()
        adding = objective._state.adding
        objective.save()
        if "initiatives" in data:
            objective.initiatives.set(data["initiatives"])
        if "measures" in data:
            _replace_measures(objective, data["measures"])
        if "contributes_to" in data:
            _replace_links(objective, data["contributes_to"])
        if adding or SCORED.intersection(data):
            refresh_scores(scorecard=scorecard)
    _forget_prefetched(objective)
    return objective


def _replace_measures(objective: Objective, measures) -> None:
    """Make the objective's measures `measures` [(indicator, weight)] in that order, keeping the
    rows (their ids, their score history) of the indicators that stay."""
    kept = {m.indicator_id: m for m in Measure.objects.filter(objective=objective)}
    wanted = {indicator.pk for indicator, _weight in measures}
    Measure.objects.filter(pk__in=[m.pk for i, m in kept.items() if i not in wanted]).delete()
    changed, new = [], []
    for index, (indicator, weight) in enumerate(measures):
        measure = kept.get(indicator.pk)
        if measure is None:
            new.append(
                Measure(objective=objective, indicator=indicator, weight=weight, position=index)
            )
        elif (measure.weight, measure.position) != (weight, index):
            measure.weight, measure.position = weight, index
            changed.append(measure)
    Measure.objects.bulk_update(changed, ["weight", "position"])
    Measure.objects.bulk_create(new)


def _replace_links(objective: Objective, targets) -> None:
    """Make the objective's links out go to `targets`, keeping the links that stay."""
    wanted = {target.pk for target in targets}
    existing = set(
        ObjectiveLink.objects.filter(source=objective).values_list("target_id", flat=True)
    )
    ObjectiveLink.objects.filter(source=objective).exclude(target_id__in=wanted).delete()
    ObjectiveLink.objects.bulk_create(
        ObjectiveLink(source=objective, target_id=pk)
        for pk in dict.fromkeys(t.pk for t in targets)
        if pk not in existing
    )


def _forget_prefetched(instance) -> None:
    cache = getattr(instance, "_prefetched_objects_cache", {})
    for name in ("measures", "initiatives", "contributes_to", "links_out"):
        cache.pop(name, None)


def _check_objective(objective: Objective, data: dict, scorecard: Scorecard) -> None:
    errors: dict[str, list[str]] = {}
    organisation_id = scorecard.organisation_id
    if objective.perspective.scorecard_id != scorecard.pk:
        errors["perspective"] = [_("Choose a perspective of the same scorecard.")]
    _add(
        errors,
        "title",
        checks.name_errors(
            objective.title, max_length=TITLE_MAX, blank=_("An objective needs a title.")
        ),
    )
    _add(errors, "voice", checks.text_errors(objective.voice))
    _add(errors, "description", checks.text_errors(objective.description))
    _add(errors, "position", checks.position_errors(objective.position))
    if "owner" in data:
        _add(errors, "owner", checks.owner_errors(objective.owner, scorecard.organisation))
    _add(errors, "weight", checks.weight_errors(objective.weight))
    if not errors.get("weight"):
        siblings = Objective.objects.filter(perspective=objective.perspective).exclude(
            pk=objective.pk
        )
        weights = [*siblings.values_list("weight", flat=True), objective.weight]
        _add(errors, "weight", checks.all_zero_errors(weights, _("the objectives")))
    if any(i.organisation_id != organisation_id for i in data.get("initiatives", [])):
        errors["initiatives"] = [_("An initiative of another organisation cannot be linked.")]
    if "measures" in data:
        _add(errors, "measures", _measures_errors(data["measures"], organisation_id))
    if "contributes_to" in data:
        _add(errors, "contributes_to", _links_errors(objective, data["contributes_to"], scorecard))
    if errors:
        raise ValidationError(errors)


def _measures_errors(measures, organisation_id: int) -> list[str]:
    seen = set()
    for indicator, weight in measures:
        if indicator.organisation_id != organisation_id:
            return [
                _("%(code)s is not an indicator of this organisation.") % {"code": indicator.code}
            ]
        if indicator.pk in seen:
            return [_("%(code)s measures this objective twice.") % {"code": indicator.code}]
        seen.add(indicator.pk)
        found = checks.weight_errors(weight)
        if found:
            return found
    return checks.all_zero_errors([weight for _indicator, weight in measures], _("the measures"))


def _links_errors(objective: Objective, targets, scorecard: Scorecard) -> list[str]:
    if any(t.perspective.scorecard_id != scorecard.pk for t in targets):
        return [_("An objective can only contribute to objectives of the same scorecard.")]
    if objective.pk is not None and any(t.pk == objective.pk for t in targets):
        return [_("An objective cannot contribute to itself.")]
    links: dict = {}
    for source, target in ObjectiveLink.objects.filter(
        source__perspective__scorecard=scorecard
    ).values_list("source_id", "target_id"):
        links.setdefault(source, set()).add(target)
    links[objective.pk or "new"] = {t.pk for t in targets}
    cycle = checks.cycle_in(links)
    if cycle:
        titles = dict(
            Objective.objects.filter(pk__in=[c for c in cycle if isinstance(c, int)]).values_list(
                "pk", "title"
            )
        )
        names = [titles.get(c, objective.title) for c in cycle]
        return [_("That link would make a cycle: %(cycle)s.") % {"cycle": " -> ".join(names)}]
    return []


def delete_objective(*, objective: Objective) -> None:
    """Delete it with its measures and its cause-effect links."""
    scorecard = objective.perspective.scorecard
    with transaction.atomic():
        lock_scorecard(scorecard)
        objective.delete()
        refresh_scores(scorecard=scorecard)


def add_measure(*, objective: Objective, indicator, weight: float = 1.0) -> Measure:
    """Add `indicator` to the objective's measures (after the others)."""
    measures = [(m.indicator, m.weight) for m in objective.measures.select_related("indicator")]
    update_objective(objective=objective, data={"measures": [*measures, (indicator, weight)]})
    return Measure.objects.get(objective=objective, indicator=indicator)


def update_measure(*, measure: Measure, weight: float) -> Measure:
    """Give the measure a new weight."""
    objective = measure.objective
    measures = [
        (m.indicator, weight if m.pk == measure.pk else m.weight)
        for m in objective.measures.select_related("indicator")
    ]
    try:
        update_objective(objective=objective, data={"measures": measures})
    except ValidationError as error:
        raise ValidationError(
            {"weight": error.message_dict.get("measures", error.messages)}
        ) from error
    return Measure.objects.get(objective=objective, indicator_id=measure.indicator_id)


def remove_measure(*, measure: Measure) -> None:
    objective = measure.objective
    measures = [
        (m.indicator, m.weight)
        for m in objective.measures.select_related("indicator")
        if m.pk != measure.pk
    ]
    update_objective(objective=objective, data={"measures": measures})


def link_objectives(*, source: Objective, target: Objective) -> None:
    """Add the cause-effect link source -> target (refused if it would make a cycle)."""
    targets = [*source.contributes_to.all(), target]
    if target.pk not in {t.pk for t in targets[:-1]}:
        update_objective(objective=source, data={"contributes_to": targets})


def unlink_objectives(*, source: Objective, target: Objective) -> None:
    targets = [t for t in source.contributes_to.all() if t.pk != target.pk]
    update_objective(objective=source, data={"contributes_to": targets})


def _add(errors: dict, key: str, found: list[str]) -> None:
    if found:
        errors[key] = found
