"""Writes of scorecards, created whole (nested) or changed one setting at a time.

`create_scorecard(data=)` takes the nested shape of the API, already resolved to objects:

    {"name", "description", "scope", "preset", "period", "on_track_from", "at_risk_from",
     "max_measures_per_objective", "generic_phrases",
     "perspectives": [{"kind", "label", "weight",
         "objectives": [{"key", "title", "voice", "description", "owner", "weight",
             "initiatives": [Initiative], "measures": [{"indicator": Indicator, "weight"}],
             "contributes_to": [keys of objectives in the same payload]}]}]}

Without `perspectives`, the preset's four perspectives are created in its order. Refused with
a ValidationError whose keys name the item (`perspectives.0.objectives.2.measures.1.indicator`),
nothing saved: negative, non-finite or all-zero weights, a measure or an initiative of another
organisation, an owner who is not a member, a cycle of cause-effect links, two perspectives of
one kind, an unknown kind. A key named twice in `contributes_to` is one link.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation
from core.instances import restored_on_failure

from ..models import (
    PRESET_ORDER,
    Measure,
    Objective,
    ObjectiveLink,
    Perspective,
    Preset,
    Scope,
    Scorecard,
)
from . import checks
from .scores import lock_scorecard, refresh_scores

SETTINGS = (
    "name",
    "description",
    "scope",
    "preset",
    "period",
    "on_track_from",
    "at_risk_from",
    "max_measures_per_objective",
    "generic_phrases",
)
NAME_MAX = Scorecard._meta.get_field("name").max_length


def create_scorecard(*, organisation: Organisation, data: dict) -> Scorecard:
    """A new scorecard of `organisation` with its perspectives, objectives, measures and links."""
    scorecard = Scorecard(organisation=organisation)
    for name in SETTINGS:
        if name in data:
            setattr(scorecard, name, data[name])
    perspectives = data.get("perspectives")
    if perspectives is None:
        perspectives = [{"kind": kind} for kind in PRESET_ORDER.get(scorecard.preset, ())]
    errors = settings_errors(scorecard)
    errors.update(_tree_errors(organisation, perspectives))
    if errors:
        raise ValidationError(errors)
    with restored_on_failure(scorecard, []), transaction.atomic():
        scorecard.save()
        _create_tree(scorecard, perspectives)
        refresh_scores(scorecard=scorecard)
    return scorecard


def update_scorecard(*, scorecard: Scorecard, data: dict) -> Scorecard:
    """Change the settings in `data`; a new period re-scores the history."""
    fields = [name for name in SETTINGS if name in data]
    with restored_on_failure(scorecard, fields), transaction.atomic():
        lock_scorecard(scorecard)
        for name in fields:
            setattr(scorecard, name, data[name])
        errors = settings_errors(scorecard)
        if errors:
            raise ValidationError(errors)
        scorecard.save()
        if "period" in fields:
            refresh_scores(scorecard=scorecard)
    return scorecard


def delete_scorecard(*, scorecard: Scorecard) -> None:
    scorecard.delete()


def settings_errors(scorecard: Scorecard) -> dict[str, list[str]]:
    errors = {}
    name = checks.name_errors(
        scorecard.name, max_length=NAME_MAX, blank=_("A scorecard needs a name.")
    )
    if name:
        errors["name"] = name
    if scorecard.scope not in Scope.values:
        errors["scope"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(Scope.values)}]
    if scorecard.preset not in Preset.values:
        errors["preset"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(Preset.values)}]
    for name, found in (
        ("period", checks.period_errors(scorecard.period)),
        (
            "max_measures_per_objective",
            checks.max_measures_errors(scorecard.max_measures_per_objective),
        ),
        ("generic_phrases", checks.phrases_errors(scorecard.generic_phrases)),
    ):
        if found:
            errors[name] = found
    errors.update(checks.threshold_errors(scorecard.on_track_from, scorecard.at_risk_from))
    return errors


def _tree_errors(organisation: Organisation, perspectives: list[dict]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    taken: set[str] = set()
    keys: dict[str, str] = {}
    links: dict[str, set[str]] = {}
    for p_index, perspective in enumerate(perspectives):
        at = f"perspectives.{p_index}"
        found = checks.kind_errors(perspective.get("kind"), taken)
        if found:
            errors[f"{at}.kind"] = found
        taken.add(perspective.get("kind"))
        _add(errors, f"{at}.weight", checks.weight_errors(perspective.get("weight", 1.0)))
        _add(
            errors, f"{at}.label", checks.text_errors(perspective.get("label", ""), max_length=100)
        )
        if "position" in perspective:
            _add(errors, f"{at}.position", checks.position_errors(perspective["position"]))
        objectives = perspective.get("objectives", [])
        for o_index, objective in enumerate(objectives):
            _objective_errors(organisation, objective, f"{at}.objectives.{o_index}", errors)
            key = objective.get("key")
            if key is not None:
                if key in keys:
                    errors[f"{at}.objectives.{o_index}.key"] = [
                        _("Two objectives have the key “%(key)s”.") % {"key": key}
                    ]
                keys[key] = f"{at}.objectives.{o_index}"
        _add(
            errors,
            f"{at}.objectives",
            checks.all_zero_errors([o.get("weight", 1.0) for o in objectives], _("the objectives")),
        )
    _add(
        errors,
        "perspectives",
        checks.all_zero_errors([p.get("weight", 1.0) for p in perspectives], _("the perspectives")),
    )
    for p_index, perspective in enumerate(perspectives):
        for o_index, objective in enumerate(perspective.get("objectives", [])):
            targets = objective.get("contributes_to", [])
            unknown = [t for t in targets if t not in keys]
            if unknown:
                errors[f"perspectives.{p_index}.objectives.{o_index}.contributes_to"] = [
                    _("No objective in this scorecard has the key “%(key)s”.") % {"key": unknown[0]}
                ]
            links[objective.get("key", f"#{p_index}.{o_index}")] = {t for t in targets if t in keys}
    cycle = checks.cycle_in(links)
    if cycle:
        errors["links"] = [
            _("These links make a cycle: %(cycle)s.") % {"cycle": " -> ".join(map(str, cycle))}
        ]
    return errors


def _objective_errors(organisation, objective: dict, at: str, errors: dict) -> None:
    _add(
        errors,
        f"{at}.title",
        checks.name_errors(
            objective.get("title"), max_length=200, blank=_("An objective needs a title.")
        ),
    )
    _add(errors, f"{at}.weight", checks.weight_errors(objective.get("weight", 1.0)))
    for name in ("voice", "description"):
        _add(errors, f"{at}.{name}", checks.text_errors(objective.get(name, "")))
    if "position" in objective:
        _add(errors, f"{at}.position", checks.position_errors(objective["position"]))
    _add(errors, f"{at}.owner", checks.owner_errors(objective.get("owner"), organisation))
    for index, initiative in enumerate(objective.get("initiatives", [])):
        if initiative.organisation_id != organisation.pk:
            errors[f"{at}.initiatives.{index}"] = [
                _("That initiative is not in this organisation.")
            ]
    measures = objective.get("measures", [])
    seen = set()
    for index, measure in enumerate(measures):
        indicator = measure.get("indicator")
        if indicator is None or indicator.organisation_id != organisation.pk:
            errors[f"{at}.measures.{index}.indicator"] = [
                _("That indicator is not in this organisation.")
            ]
        elif indicator.pk in seen:
            errors[f"{at}.measures.{index}.indicator"] = [
                _("%(code)s measures this objective twice.") % {"code": indicator.code}
            ]
        else:
            seen.add(indicator.pk)
        _add(
            errors,
            f"{at}.measures.{index}.weight",
            checks.weight_errors(measure.get("weight", 1.0)),
        )
    _add(
        errors,
        f"{at}.measures",
        checks.all_zero_errors([m.get("weight", 1.0) for m in measures], _("the measures")),
    )


def _add(errors: dict, key: str, found: list[str]) -> None:
    if found:
        errors[key] = found


def _create_tree(scorecard: Scorecard, perspectives: list[dict]) -> None:
    by_key: dict[str, Objective] = {}
    wanted_links: list[tuple[Objective, list[str]]] = []
    for p_index, data in enumerate(perspectives):
        perspective = Perspective.objects.create(
            scorecard=scorecard,
            kind=data["kind"],
            label=data.get("label", ""),
            position=data.get("position", p_index),
            weight=data.get("weight", 1.0),
        )
        for o_index, item in enumerate(data.get("objectives", [])):
            objective = Objective.objects.create(
                perspective=perspective,
                title=item["title"],
                voice=item.get("voice", ""),
                description=item.get("description", ""),
                owner=item.get("owner"),
                weight=item.get("weight", 1.0),
                position=item.get("position", o_index),
            )
            objective.initiatives.set(item.get("initiatives", []))
            Measure.objects.bulk_create(
                Measure(
                    objective=objective,
                    indicator=m["indicator"],
                    weight=m.get("weight", 1.0),
                    position=i,
                )
                for i, m in enumerate(item.get("measures", []))
            )
            if item.get("key") is not None:
                by_key[item["key"]] = objective
            wanted_links.append((objective, item.get("contributes_to", [])))
    ObjectiveLink.objects.bulk_create(
        ObjectiveLink(source=source, target=by_key[key])
        for source, keys in wanted_links
        for key in dict.fromkeys(keys)  # a key named twice is one link
    )
