"""Experiments: the serializer, its filters, the viewset (addressed by id) and the planning
helper `GET /api/v1/experiments/plan/` (the minimum detectable effect)."""

import re

import django_filters
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.dates import iso_date
from core.errors import NotFound
from core.filters import StrictFilterSet
from core.schema import error_response
from indicators import selectors as indicator_selectors
from indicators.api.fields import CODE_PATTERN, CodeField, JsonIntegerField, JsonStringField

from .. import selectors, services
from ..compute.experiments import TWO_PROPORTIONS, WELCH
from ..models import Experiment, Sign
from .fields import (
    DETAIL_SCHEMA,
    EvidenceViewSet,
    IdField,
    IdFilter,
    IsoDateField,
    author_of,
    indicator_of,
)

MAX_N_PER_ARM = 10_000_000
VERDICTS = [
    ("supported", _("supported")),
    ("refuted", _("refuted")),
    ("inconclusive", _("inconclusive")),
]
TESTS = [(WELCH, _("Welch t-test")), (TWO_PROPORTIONS, _("two-proportion z-test"))]


class ArmSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text=_("Measurements in the arm."))
    mean = serializers.FloatField(allow_null=True, help_text=_("Mean-type indicators."))
    share = serializers.FloatField(
        allow_null=True, help_text=_("Ratio indicators: the arm's share, in percent.")
    )
    denominator = serializers.FloatField(
        allow_null=True, help_text=_("Ratio indicators: the arm's summed denominators.")
    )


class ResultSerializer(serializers.Serializer):
    test = serializers.ChoiceField(choices=TESTS)
    effect = serializers.FloatField(
        allow_null=True,
        help_text=_("treatment - control, in the indicator's unit (ratio: percentage points)."),
    )
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    df = serializers.FloatField(
        allow_null=True, help_text=_("Welch-Satterthwaite degrees of freedom (t-test only).")
    )
    verdict = serializers.ChoiceField(
        choices=VERDICTS, allow_null=True, help_text=_("null: the data cannot give one (reason).")
    )
    final = serializers.BooleanField(
        help_text=_("The end is before today in the organisation's time zone.")
    )
    reason = serializers.CharField(
        allow_null=True, help_text=_("Why there is no result, in plain words; else null.")
    )
    expected_effect = serializers.ChoiceField(choices=Sign.choices)
    control = ArmSerializer(allow_null=True)
    treatment = ArmSerializer(allow_null=True)


class PlanSerializer(serializers.Serializer):
    n_per_arm = serializers.IntegerField()
    power = serializers.FloatField()
    alpha = serializers.FloatField()
    basis = serializers.ChoiceField(
        choices=[("sd", "sd"), ("share", "share")],
        help_text=_("sd: the spread of the values; share: the share of a ratio indicator."),
    )
    mde = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "The smallest effect detectable at 80 % power, in the indicator's unit "
            "(ratio: percentage points); null without a spread to plan with (reason)."
        ),
    )
    sd = serializers.FloatField(allow_null=True, required=False)
    share = serializers.FloatField(allow_null=True, required=False, help_text=_("In percent."))
    reason = serializers.CharField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(help_text=_("First day of the history used."))
        fields["to"] = serializers.DateField(help_text=_("Last day of the history used."))
        return fields


ARM_KEYS = ("n", "mean", "share", "denominator")
RESULT_KEYS = ("test", "effect", "ci_low", "ci_high", "p_value", "df", "verdict", "reason")


def _arm(arm: dict | None) -> dict | None:
    return None if not arm else {key: arm.get(key) for key in ARM_KEYS}


def result_answer(experiment: Experiment, today) -> dict | None:
    """The stored result with `final` as of `today` (the calendar moves, the row may not)."""
    result = experiment.result
    if not result:
        return None
    return {
        **{key: result.get(key) for key in RESULT_KEYS},
        "final": experiment.end < today,
        "expected_effect": result.get("expected_effect"),
        "control": _arm(result.get("control")),
        "treatment": _arm(result.get("treatment")),
    }


def plan_answer(plan: dict | None) -> dict | None:
    if not plan:
        return None
    keys = ("n_per_arm", "power", "alpha", "from", "to", "basis", "mde", "sd", "share", "reason")
    return {key: plan.get(key) for key in keys}


def experiment_answer(experiment: Experiment, today) -> dict:
    """One experiment's answer (no queries when its indicator is loaded)."""
    return {
        "id": experiment.pk,
        "hypothesis": experiment.hypothesis_id,
        "name": experiment.name,
        "indicator": experiment.indicator.code,
        "arm_dimension": experiment.arm_dimension,
        "control": experiment.control,
        "treatment": experiment.treatment,
        "start": experiment.start.isoformat(),
        "end": experiment.end.isoformat(),
        "expected_effect": experiment.expected_effect or None,
        "planned_n_per_arm": experiment.planned_n_per_arm,
        "plan": plan_answer(experiment.plan),
        "result": result_answer(experiment, today),
        "created_at": experiment.created_at,
    }


class ExperimentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    hypothesis = IdField(help_text=_("The id of a hypothesis of the organisation."))
    name = JsonStringField(max_length=200)
    indicator = CodeField(
        max_length=63,
        required=False,
        help_text=_("The measured effect's code; absent: the hypothesis's effect."),
    )
    arm_dimension = JsonStringField(
        max_length=63, help_text=_("The segment dimension whose members are the arms.")
    )
    control = JsonStringField(max_length=100, help_text=_("The control arm's member."))
    treatment = JsonStringField(max_length=100, help_text=_("The treatment arm's member."))
    start = IsoDateField(help_text=_("First day, in the organisation's time zone (inclusive)."))
    end = IsoDateField(help_text=_("Last day, in the organisation's time zone (inclusive)."))
    expected_effect = serializers.ChoiceField(
        choices=Sign.choices,
        allow_null=True,
        required=False,
        help_text=_("null: derived from the hypothesis's sign and the cause's direction."),
    )
    planned_n_per_arm = JsonIntegerField(
        required=False,
        allow_null=True,
        min_value=2,
        max_value=MAX_N_PER_ARM,
        help_text=_("For the plan (minimum detectable effect); null: no plan."),
    )
    plan = PlanSerializer(read_only=True, allow_null=True)
    result = ResultSerializer(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, experiment: Experiment) -> dict:
        today = self.context.get("today") or indicator_selectors.today_of(experiment.organisation)
        answer = experiment_answer(experiment, today)
        answer["created_at"] = self.fields["created_at"].to_representation(answer["created_at"])
        return answer

    def validate(self, attrs) -> dict:
        """The service's `data`: the hypothesis and the indicator resolved in the organisation."""
        organisation = self.context["view"].get_organisation()
        data = {name: value for name, value in attrs.items() if name not in ("hypothesis",)}
        errors: dict[str, list[str]] = {}
        if "hypothesis" in attrs:
            try:
                data["hypothesis"] = selectors.hypothesis_by_id(
                    organisation=organisation, hypothesis_id=attrs["hypothesis"]
                )
            except NotFound:
                errors["hypothesis"] = [
                    gettext("No hypothesis %(id)s in the organisation.")
                    % {"id": attrs["hypothesis"]}
                ]
        if "indicator" in attrs:
            data["indicator"] = indicator_of(organisation, attrs["indicator"], "indicator", errors)
        if "expected_effect" in attrs:
            data["expected_effect"] = attrs["expected_effect"] or ""
        if errors:
            raise ValidationError(errors)
        return data


class ExperimentFilter(StrictFilterSet):
    hypothesis = IdFilter(field_name="hypothesis_id", help_text=_("The hypothesis's id."))
    verdict = django_filters.ChoiceFilter(
        field_name="result__verdict", choices=VERDICTS, help_text=_("The result's verdict.")
    )

    class Meta:
        model = Experiment
        fields = ["hypothesis", "verdict"]


PLAN_PARAMETERS = [
    OpenApiParameter(
        "indicator",
        str,
        required=True,
        pattern=f"^{CODE_PATTERN}$",
        description=_("The code of the indicator the experiment will measure."),
    ),
    OpenApiParameter(
        "n_per_arm",
        {"type": "integer", "minimum": 2, "maximum": MAX_N_PER_ARM},
        required=True,
        description=_("The planned number of measurements per arm."),
    ),
    OpenApiParameter(
        "before",
        OpenApiTypes.DATE,
        description=_(
            "The planned start: the spread comes from the 90 days before it "
            "(default: today in the organisation's time zone)."
        ),
    ),
]


@extend_schema_view(**DETAIL_SCHEMA)
class ExperimentViewSet(EvidenceViewSet):
    """Experiments of the caller's organisation, latest end first."""

    serializer_class = ExperimentSerializer
    filterset_class = ExperimentFilter

    def get_queryset(self):
        return selectors.experiments_of(organisation=self.get_organisation())

    def get_serializer_context(self):
        context = super().get_serializer_context()
        organisation = self.get_organisation()
        if organisation is not None:
            context["today"] = indicator_selectors.today_of(organisation)
        return context

    def perform_create(self, serializer):
        experiment = services.create_experiment(
            organisation=self.get_organisation(),
            data=serializer.validated_data,
            created_by=author_of(self.request),
        )
        serializer.instance = self.get_queryset().get(pk=experiment.pk)

    def perform_update(self, serializer):
        experiment = services.update_experiment(
            experiment=serializer.instance, data=serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=experiment.pk)

    def perform_destroy(self, instance):
        services.delete_experiment(experiment=instance)

    @extend_schema(
        parameters=PLAN_PARAMETERS,
        responses={200: PlanSerializer, 404: error_response(_("No such route."))},
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def plan(self, request):
        """The minimum detectable effect at 80 % power for `n_per_arm` measurements per arm,
        from the spread of the indicator's measurements in the 90 days before `before`."""
        organisation = self.get_organisation()
        code, n_per_arm, before = _plan_params(request.query_params, organisation)
        errors: dict[str, list[str]] = {}
        indicator = indicator_of(organisation, code, "indicator", errors)
        if errors:
            raise ValidationError(errors)
        plan = services.minimum_detectable_effect(
            organisation=organisation, indicator=indicator, n_per_arm=n_per_arm, before=before
        )
        return Response(plan_answer(plan))


def _plan_params(query, organisation):
    errors: dict[str, list[str]] = {}
    code = query.get("indicator")
    if code is None or not re.fullmatch(CODE_PATTERN, code):
        errors["indicator"] = [gettext("Send the code of an indicator.")]
    text = query.get("n_per_arm")
    n_per_arm = None
    if text is not None and text.isascii() and text.isdigit():
        n_per_arm = int(text)
    if n_per_arm is None or not 2 <= n_per_arm <= MAX_N_PER_ARM:
        errors["n_per_arm"] = [
            gettext("Use a whole number from 2 to %(max)d.") % {"max": MAX_N_PER_ARM}
        ]
    before = query.get("before")
    try:
        before = indicator_selectors.today_of(organisation) if before is None else iso_date(before)
    except ValueError:
        errors["before"] = [gettext("Use a date, YYYY-MM-DD.")]
    if errors:
        raise ValidationError(errors)
    return code, n_per_arm, before
