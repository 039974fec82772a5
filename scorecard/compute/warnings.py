"""The customer-perspective rules of the source material, as warnings: never refusals.

Each warning is `{code, message, object: {type, id}}` in the API. The rules:

- `no_customer_perspective`: the scorecard has no customer perspective at all;
- `initiative_on_customer_objective`: initiatives belong to internal-process and learning
  objectives; the customer perspective normally carries none;
- `customer_objective_without_voice`: a customer objective should say, in the customer's own
  words, what they get ("XYZ gives me a price while I am still on the page");
- `generic_objective`: the title or the voice of a customer objective contains one of the
  scorecard's generic phrases ("keep customers longer": everyone wants that, it differentiates
  nothing; "grow market share" is a fine financial objective, so other perspectives are not read);
- `only_say_measures` / `only_do_measures`: a customer objective measured only by what customers
  say (surveys, NPS) or only by what they do (renewal, purchases) sees half the picture;
- `too_many_measures`: more measures than the scorecard allows per objective (few metrics);
- `objective_without_measures`: nothing measures the objective, so it never scores;
- `measure_cannot_score`: the measure's indicator has no target or no baseline, so it has no
  progress to score.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .phrases import generic_phrase_in

CUSTOMER = "customer"


@dataclass(frozen=True, slots=True)
class MeasureFacts:
    id: int
    indicator_name: str
    evidence: str = ""  # "say", "do" or "" (neither)
    can_score: bool = True


@dataclass(frozen=True, slots=True)
class ObjectiveFacts:
    id: int
    title: str
    perspective_kind: str
    voice: str = ""
    initiative_count: int = 0
    measures: tuple[MeasureFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class ScorecardFacts:
    id: int
    perspective_kinds: tuple[str, ...]
    objectives: tuple[ObjectiveFacts, ...] = ()
    generic_phrases: tuple[str, ...] = ()
    max_measures: int = 3


@dataclass(frozen=True, slots=True)
class Warning:
    code: str
    message: str
    type: str
    id: int

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "object": {"type": self.type, "id": self.id},
        }


def warnings_of(facts: ScorecardFacts) -> list[Warning]:
    """Every warning of one scorecard: the scorecard's first, then each objective's in order."""
    found = []
    if CUSTOMER not in facts.perspective_kinds:
        found.append(
            Warning(
                "no_customer_perspective",
                _("The scorecard has no customer perspective: add one and say what customers get."),
                "scorecard",
                facts.id,
            )
        )
    for objective in facts.objectives:
        found.extend(_objective_warnings(objective, facts))
    return found


def _objective_warnings(objective: ObjectiveFacts, facts: ScorecardFacts) -> list[Warning]:
    found = []

    def warn(code: str, message: str, kind: str = "objective", pk: int = objective.id) -> None:
        found.append(Warning(code, message, kind, pk))

    names = {"title": objective.title}
    customer = objective.perspective_kind == CUSTOMER
    if customer and objective.initiative_count:
        warn(
            "initiative_on_customer_objective",
            _(
                "“%(title)s” is a customer objective with initiatives: attach initiatives to the "
                "internal-process and learning objectives that drive it."
            )
            % names,
        )
    if customer and not objective.voice.strip():
        warn(
            "customer_objective_without_voice",
            _("“%(title)s” has no statement in the customer's voice: say what the customer gets.")
            % names,
        )
    phrase = customer and generic_phrase_in(
        f"{objective.title}\n{objective.voice}", facts.generic_phrases
    )
    if phrase:
        warn(
            "generic_objective",
            _(
                "“%(title)s” is generic (“%(phrase)s”): every organisation wants that; write what "
                "makes you different for the customer."
            )
            % {**names, "phrase": phrase},
        )
    if customer:
        found.extend(_say_do_warnings(objective))
    count = len(objective.measures)
    if count > facts.max_measures:
        warn(
            "too_many_measures",
            ngettext(
                "“%(title)s” has %(count)d measures; keep to %(max)d (few metrics).",
                "“%(title)s” has %(count)d measures; keep to %(max)d (few metrics).",
                count,
            )
            % {**names, "count": count, "max": facts.max_measures},
        )
    if not count:
        warn(
            "objective_without_measures",
            _("“%(title)s” has no measures, so it has no score.") % names,
        )
    for measure in objective.measures:
        if not measure.can_score:
            warn(
                "measure_cannot_score",
                _(
                    "%(indicator)s on “%(title)s” has no target or no baseline, so it cannot be "
                    "scored."
                )
                % {**names, "indicator": measure.indicator_name},
                "measure",
                measure.id,
            )
    return found


def _say_do_warnings(objective: ObjectiveFacts) -> list[Warning]:
    kinds = {measure.evidence for measure in objective.measures} & {"say", "do"}
    names = {"title": objective.title}
    if kinds == {"say"}:
        message = _(
            "“%(title)s” is measured only by what customers say: add a measure of what they do "
            "(renewal, purchase frequency, basket size)."
        )
        return [Warning("only_say_measures", message % names, "objective", objective.id)]
    if kinds == {"do"}:
        message = _(
            "“%(title)s” is measured only by what customers do: add a measure of what they say "
            "(survey, NPS, feedback)."
        )
        return [Warning("only_do_measures", message % names, "objective", objective.id)]
    return []


__all__ = ["MeasureFacts", "ObjectiveFacts", "ScorecardFacts", "Warning", "warnings_of"]
