"""Hypotheses: the serializer (codes resolved to indicators), the stored evidence blocks as they
are answered, its filters and the viewset (addressed by id)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.filters import StrictFilterSet
from indicators import selectors as indicator_selectors
from indicators.api.fields import CodeField, JsonIntegerField, JsonStringField

from .. import selectors, services
from ..models import MAX_LAG, PERIOD_CHOICES, Hypothesis, HypothesisStatus, Sign, StatusSource
from .experiments import ExperimentSerializer, experiment_answer
from .fields import DETAIL_SCHEMA, CodeFilter, EvidenceViewSet, author_of, indicator_of

REASONS = [
    ("not_enough_data", _("not enough data")),
    ("constant_series", _("a constant series")),
]


class LagSerializer(serializers.Serializer):
    lag = serializers.IntegerField()
    n = serializers.IntegerField(help_text=_("Periods where both series have a value."))
    r = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True, help_text=_("Two-sided, unadjusted."))
    reason = serializers.ChoiceField(
        choices=REASONS, allow_null=True, help_text=_("Why r is null; else null.")
    )


class EvidenceSerializer(serializers.Serializer):
    best_lag = serializers.IntegerField(
        allow_null=True, help_text=_("The lag with the largest |r| (ties: the smaller lag).")
    )
    r = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    lags = LagSerializer(many=True)


class GrangerSerializer(serializers.Serializer):
    lag = serializers.IntegerField()
    n = serializers.IntegerField()
    f = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    reason = serializers.ChoiceField(
        choices=[*REASONS, ("perfect_fit", _("a perfect fit: F is undefined"))],
        allow_null=True,
    )


class ForecastPointSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    value = serializers.FloatField()
    low = serializers.FloatField(help_text=_("95 % prediction interval, low end."))
    high = serializers.FloatField(help_text=_("95 % prediction interval, high end."))


class ForecastSerializer(serializers.Serializer):
    lag = serializers.IntegerField()
    n = serializers.IntegerField()
    intercept = serializers.FloatField()
    slope = serializers.FloatField()
    points = ForecastPointSerializer(many=True)


class BacktestSerializer(serializers.Serializer):
    origins = serializers.IntegerField()
    mae = serializers.FloatField(allow_null=True)
    naive_mae = serializers.FloatField(allow_null=True)
    beats_naive = serializers.BooleanField(allow_null=True)


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


# What a PUT that leaves them out resets to their model default.
DEFAULTED = ("max_lag", "period")
LAG_KEYS = ("lag", "n", "r", "p_value", "reason")


def evidence_answer(block: dict | None, computed_at) -> dict | None:
    if not block:
        return None
    return {
        "best_lag": block.get("best_lag"),
        "r": block.get("r"),
        "p_value": block.get("p_value"),
        "n": block.get("n"),
        "computed_at": computed_at,
        "lags": [{key: lag.get(key) for key in LAG_KEYS} for lag in block.get("lags") or []],
    }


def _only(block: dict | None, keys) -> dict | None:
    return None if not block else {key: block.get(key) for key in keys}


def forecast_answer(block: dict | None) -> dict | None:
    if not block:
        return None
    points = [
        {key: point.get(key) for key in ("period_start", "value", "low", "high")}
        for point in block.get("points") or []
    ]
    return {**_only(block, ("lag", "n", "intercept", "slope")), "points": points}


class HypothesisSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    cause = CodeField(max_length=63, help_text=_("The code of the leading indicator (a CPI)."))
    effect = CodeField(max_length=63, help_text=_("The code of the lagging indicator (a KPI)."))
    expected_sign = serializers.ChoiceField(choices=Sign.choices)
    max_lag = JsonIntegerField(
        required=False,
        min_value=0,
        max_value=MAX_LAG,
        help_text=_("Lags 0..max_lag (periods) are tried; default 3."),
    )
    period = serializers.ChoiceField(
        choices=PERIOD_CHOICES, required=False, help_text=_("Default month.")
    )
    statement = JsonStringField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=HypothesisStatus.choices, read_only=True)
    status_source = serializers.ChoiceField(
        choices=StatusSource.choices, read_only=True, help_text=_("Which evidence decided.")
    )
    evidence = EvidenceSerializer(
        read_only=True, allow_null=True, help_text=_("Lagged Pearson r on the series as stored.")
    )
    evidence_differenced = EvidenceSerializer(
        read_only=True, allow_null=True, help_text=_("The same on first differences.")
    )
    granger = GrangerSerializer(read_only=True, allow_null=True)
    forecast = ForecastSerializer(read_only=True, allow_null=True)
    backtest = BacktestSerializer(read_only=True, allow_null=True)
    forecast_shown = serializers.BooleanField(
        read_only=True,
        help_text=_("Supported, and the forecast beats the naive one in the backtest."),
    )
    warnings = WarningSerializer(many=True, read_only=True)
    experiments = ExperimentSerializer(many=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, hypothesis: Hypothesis) -> dict:
        today = indicator_selectors.today_of(hypothesis.organisation)
        stamp = self.fields["created_at"]
        computed_at = stamp.to_representation(hypothesis.computed_at)
        backtest = _only(hypothesis.backtest, ("origins", "mae", "naive_mae", "beats_naive"))
        experiments = []
        for experiment in hypothesis.experiments.all():
            answer = experiment_answer(experiment, today)
            answer["created_at"] = stamp.to_representation(answer["created_at"])
            experiments.append(answer)
        return {
            "id": hypothesis.pk,
            "cause": hypothesis.cause.code,
            "effect": hypothesis.effect.code,
            "expected_sign": hypothesis.expected_sign,
            "max_lag": hypothesis.max_lag,
            "period": hypothesis.period,
            "statement": hypothesis.statement,
            "status": hypothesis.status,
            "status_source": hypothesis.status_source,
            "evidence": evidence_answer(hypothesis.evidence, computed_at),
            "evidence_differenced": evidence_answer(hypothesis.evidence_differenced, computed_at),
            "granger": _only(hypothesis.granger, ("lag", "n", "f", "p_value", "reason")),
            "forecast": forecast_answer(hypothesis.forecast),
            "backtest": backtest,
            "forecast_shown": bool(
                hypothesis.status == HypothesisStatus.SUPPORTED
                and hypothesis.forecast
                and backtest
                and backtest["beats_naive"]
            ),
            "warnings": selectors.evidence_warnings(hypothesis),
            "experiments": experiments,
            "created_at": stamp.to_representation(hypothesis.created_at),
        }

    def validate(self, attrs) -> dict:
        """The service's `data`: cause and effect resolved in the caller's organisation."""
        organisation = self.context["view"].get_organisation()
        data = dict(attrs)
        errors: dict[str, list[str]] = {}
        for name in ("cause", "effect"):
            if name in attrs:
                data[name] = indicator_of(organisation, attrs[name], name, errors)
        if errors:
            raise ValidationError(errors)
        return data


class HypothesisFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=HypothesisStatus.choices)
    cause = CodeFilter(field_name="cause__code", help_text=_("The cause indicator's code."))
    effect = CodeFilter(field_name="effect__code", help_text=_("The effect indicator's code."))

    class Meta:
        model = Hypothesis
        fields = ["status", "cause", "effect"]


@extend_schema_view(**DETAIL_SCHEMA)
class HypothesisViewSet(EvidenceViewSet):
    """CPI -> KPI hypotheses of the caller's organisation, with their stored evidence."""

    serializer_class = HypothesisSerializer
    filterset_class = HypothesisFilter
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.hypotheses_of(organisation=self.get_organisation())

    def perform_create(self, serializer):
        hypothesis = services.create_hypothesis(
            organisation=self.get_organisation(),
            data=serializer.validated_data,
            created_by=author_of(self.request),
        )
        serializer.instance = self.get_queryset().get(pk=hypothesis.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if not serializer.partial:
            # PUT replaces the whole definition: what it leaves out takes its default.
            defaults = {name: Hypothesis._meta.get_field(name).default for name in DEFAULTED}
            data = {**defaults, "statement": "", **data}
        hypothesis = services.update_hypothesis(hypothesis=serializer.instance, data=data)
        serializer.instance = self.get_queryset().get(pk=hypothesis.pk)

    def perform_destroy(self, instance):
        services.delete_hypothesis(hypothesis=instance)
