"""The scorecard answers: the whole scorecard in one period (`scorecard_answer`, from
`selectors.scorecard_detail`) and the list's summaries, built with no further query."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from indicators.models import Layer, Period

from .. import selectors
from ..compute import LAYER_ORDER, status_of_score
from ..models import Part, PerspectiveKind, Preset, Scope, Score
from .fields import (
    MeasureAnswerSerializer,
    measure_facts,
    nullable_choice,
    score_field,
    status_field,
)

# --- answers --------------------------------------------------------------------------------


class ScoredMeasureSerializer(MeasureAnswerSerializer):
    score = score_field(help_text=_("Progress against target, 0..1; null without data."))
    status = status_field()


class ScoredObjectiveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    voice = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.CharField(allow_null=True, help_text=_("The owner's username, or null."))
    weight = serializers.FloatField()
    score = score_field()
    status = status_field()
    previous = score_field(help_text=_("The score of the period before, or null."))
    initiatives = serializers.ListField(child=serializers.IntegerField())
    contributes_to = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("Ids of the objectives this one helps reach.")
    )
    measures = ScoredMeasureSerializer(many=True)


class ScoredPerspectiveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=PerspectiveKind.choices)
    label = serializers.CharField(help_text=_("Its own label, else the preset's, translated."))
    weight = serializers.FloatField()
    score = score_field()
    status = status_field()
    objectives = ScoredObjectiveSerializer(many=True)


class LinkSerializer(serializers.Serializer):
    source = serializers.IntegerField(help_text=_("The objective that helps."))
    target = serializers.IntegerField(help_text=_("The objective it helps reach."))


class LayersSerializer(serializers.Serializer):
    impact = serializers.BooleanField()
    execution = serializers.BooleanField()
    prerequisite = serializers.BooleanField()
    choice = serializers.BooleanField()


class MaturitySerializer(serializers.Serializer):
    level = serializers.IntegerField(
        min_value=0,
        max_value=4,
        help_text=_("The largest k such that the first k layers, in order, are all measured."),
    )
    layers = LayersSerializer(help_text=_("Whether each layer has a recent value."))
    next_layer = nullable_choice(
        Layer.choices, help_text=_("The first layer not measured; null at level 4.")
    )
    predictive = serializers.BooleanField(
        help_text=_("Level 3 or more: the first that predicts future customer behaviour.")
    )


class ScorecardCentricitySerializer(serializers.Serializer):
    cpi = serializers.IntegerField(help_text=_("CPI indicators on the scorecard."))
    kpi = serializers.IntegerField(help_text=_("KPI indicators on the scorecard."))


class WarningObjectSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Part.choices, help_text=_("The part it is about."))
    id = serializers.IntegerField()


class ScorecardWarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    object = WarningObjectSerializer()


class ScorecardSerializer(serializers.Serializer):
    """The whole scorecard in one period (read only: built by `scorecard_answer`)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    scope = serializers.ChoiceField(choices=Scope.choices)
    preset = serializers.ChoiceField(choices=Preset.choices)
    period = serializers.ChoiceField(choices=Period.choices)
    period_start = serializers.DateField(help_text=_("The first day of the period answered."))
    on_track_from = serializers.FloatField()
    at_risk_from = serializers.FloatField()
    max_measures_per_objective = serializers.IntegerField()
    generic_phrases = serializers.ListField(child=serializers.CharField())
    score = score_field()
    status = status_field()
    perspectives = ScoredPerspectiveSerializer(many=True)
    links = LinkSerializer(many=True)
    maturity = MaturitySerializer()
    customer_centricity = ScorecardCentricitySerializer()
    warnings = ScorecardWarningSerializer(many=True)
    scores_at = serializers.DateTimeField(
        allow_null=True, help_text=_("When the stored scores were last refreshed.")
    )


def _settings(scorecard) -> dict:
    return {
        "id": scorecard.pk,
        "name": scorecard.name,
        "description": scorecard.description,
        "scope": scorecard.scope,
        "preset": scorecard.preset,
        "period": scorecard.period,
    }


def _thresholds(scorecard) -> dict:
    return {
        "on_track_from": scorecard.on_track_from,
        "at_risk_from": scorecard.at_risk_from,
        "max_measures_per_objective": scorecard.max_measures_per_objective,
        "generic_phrases": list(scorecard.generic_phrases or []),
    }


def _stamp(moment) -> str | None:
    return serializers.DateTimeField().to_representation(moment) if moment else None


def scorecard_answer(detail) -> dict:
    """`selectors.Detail` as `GET /api/v1/scorecards/{id}/` answers it (no queries)."""
    scorecard = detail.scorecard
    targets: dict[int, list[int]] = {}
    for source, target in detail.links:
        targets.setdefault(source, []).append(target)
    maturity = detail.maturity
    return {
        **_settings(scorecard),
        "period_start": detail.period_start.isoformat(),
        **_thresholds(scorecard),
        "score": detail.total.score,
        "status": detail.total.status,
        "perspectives": [
            {
                "id": row.obj.pk,
                "kind": row.obj.kind,
                "label": str(row.obj.display_label),
                "weight": row.obj.weight,
                "score": row.score,
                "status": row.status,
                "objectives": [
                    _objective_answer(objective, detail, targets) for objective in row.children
                ],
            }
            for row in detail.perspectives
        ],
        "links": [{"source": source, "target": target} for source, target in detail.links],
        "maturity": {
            "level": maturity.level,
            "layers": {layer: maturity.layers[layer] for layer in LAYER_ORDER},
            "next_layer": maturity.next_layer,
            "predictive": maturity.predictive,
        },
        "customer_centricity": dict(detail.customer_centricity),
        "warnings": [warning.as_dict() for warning in detail.warnings],
        "scores_at": _stamp(scorecard.scores_at),
    }


def _objective_answer(row, detail, targets) -> dict:
    objective = row.obj
    return {
        "id": objective.pk,
        "title": objective.title,
        "voice": objective.voice,
        "description": objective.description,
        "owner": objective.owner.get_username() if objective.owner else None,
        "weight": objective.weight,
        "score": row.score,
        "status": row.status,
        "previous": row.previous,
        "initiatives": list(detail.initiatives.get(objective.pk, [])),
        "contributes_to": targets.get(objective.pk, []),
        "measures": [
            {**measure_facts(m.obj), "score": m.score, "status": m.status} for m in row.children
        ],
    }


class PerspectiveSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=PerspectiveKind.choices)
    label = serializers.CharField()
    weight = serializers.FloatField()
    score = score_field()
    status = status_field()


class ScorecardSummarySerializer(serializers.Serializer):
    """A scorecard in the list: its settings and the scores of its latest complete period."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    scope = serializers.ChoiceField(choices=Scope.choices)
    preset = serializers.ChoiceField(choices=Preset.choices)
    period = serializers.ChoiceField(choices=Period.choices)
    period_start = serializers.DateField(help_text=_("Its latest complete period."))
    on_track_from = serializers.FloatField()
    at_risk_from = serializers.FloatField()
    max_measures_per_objective = serializers.IntegerField()
    generic_phrases = serializers.ListField(child=serializers.CharField())
    score = score_field()
    status = status_field()
    perspectives = PerspectiveSummarySerializer(many=True)
    scores_at = serializers.DateTimeField(allow_null=True)


def summaries(scorecards, today) -> list[dict]:
    """The list's answers for `scorecards` (perspectives prefetched): one query for the scores."""
    starts = {s.pk: selectors.default_period_start(s, today) for s in scorecards}
    scores = {
        (sid, part, pk): score
        for sid, start, part, pk, score in Score.objects.filter(
            scorecard_id__in=list(starts), period_start__in=set(starts.values())
        )
        .exclude(part=Part.MEASURE)
        .exclude(part=Part.OBJECTIVE)
        .values_list("scorecard_id", "period_start", "part", "part_id", "score")
        if starts[sid] == start
    }
    answers = []
    for scorecard in scorecards:
        thresholds = {
            "on_track_from": scorecard.on_track_from,
            "at_risk_from": scorecard.at_risk_from,
        }
        total = scores.get((scorecard.pk, Part.SCORECARD, scorecard.pk))
        perspectives = []
        for perspective in scorecard.perspectives.all():
            score = scores.get((scorecard.pk, Part.PERSPECTIVE, perspective.pk))
            perspective.scorecard = scorecard  # its label needs the preset
            perspectives.append(
                {
                    "id": perspective.pk,
                    "kind": perspective.kind,
                    "label": str(perspective.display_label),
                    "weight": perspective.weight,
                    "score": score,
                    "status": status_of_score(score, **thresholds),
                }
            )
        answers.append(
            {
                **_settings(scorecard),
                "period_start": starts[scorecard.pk].isoformat(),
                **_thresholds(scorecard),
                "score": total,
                "status": status_of_score(total, **thresholds),
                "perspectives": perspectives,
                "scores_at": _stamp(scorecard.scores_at),
            }
        )
    return answers
