"""The score history answer: the stored scores per period of every part of a scorecard."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from indicators.models import Period

from ..compute import status_of_score
from ..models import Part, PerspectiveKind
from .fields import status_field

# --- history --------------------------------------------------------------------------------


class PeriodScoreSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    score = serializers.FloatField(help_text=_("0..1"))
    status = status_field()


class PartHistorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scores = PeriodScoreSerializer(many=True, help_text=_("Periods with a score, oldest first."))


class PerspectiveHistorySerializer(PartHistorySerializer):
    kind = serializers.ChoiceField(choices=PerspectiveKind.choices)
    label = serializers.CharField()


class ObjectiveHistorySerializer(PartHistorySerializer):
    perspective = serializers.IntegerField()
    title = serializers.CharField()


class MeasureHistorySerializer(PartHistorySerializer):
    objective = serializers.IntegerField()
    indicator = serializers.CharField()


class ScorecardHistorySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The scorecard's id."))
    period = serializers.ChoiceField(choices=Period.choices)
    periods = serializers.ListField(
        child=serializers.DateField(), help_text=_("Every period start asked for, oldest first.")
    )
    scores = PeriodScoreSerializer(many=True, help_text=_("The scorecard's own scores."))
    perspectives = PerspectiveHistorySerializer(many=True)
    objectives = ObjectiveHistorySerializer(many=True)
    measures = MeasureHistorySerializer(many=True)


def history_answer(scorecard, periods, history, perspectives) -> dict:
    """The history answer from `selectors.score_history` and the structure (no queries)."""
    thresholds = {"on_track_from": scorecard.on_track_from, "at_risk_from": scorecard.at_risk_from}

    def scores(part, pk) -> list[dict]:
        return [
            {
                "period_start": start.isoformat(),
                "score": score,
                "status": status_of_score(score, **thresholds),
            }
            for start, score in history.get((part, pk), [])
        ]

    objectives = [o for p in perspectives for o in p.objectives.all()]
    return {
        "id": scorecard.pk,
        "period": scorecard.period,
        "periods": [start.isoformat() for start in periods],
        "scores": scores(Part.SCORECARD, scorecard.pk),
        "perspectives": [
            {
                "id": p.pk,
                "kind": p.kind,
                "label": str(p.display_label),
                "scores": scores(Part.PERSPECTIVE, p.pk),
            }
            for p in perspectives
        ],
        "objectives": [
            {
                "id": o.pk,
                "perspective": o.perspective_id,
                "title": o.title,
                "scores": scores(Part.OBJECTIVE, o.pk),
            }
            for o in objectives
        ],
        "measures": [
            {
                "id": m.pk,
                "objective": m.objective_id,
                "indicator": m.indicator.code,
                "scores": scores(Part.MEASURE, m.pk),
            }
            for o in objectives
            for m in o.measures.all()
        ],
    }
