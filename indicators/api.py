"""REST API v1 for indicators, measurements, period values and deviations."""

from datetime import date

import django_filters
import msgspec
from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import OrganisationScopedMixin, error, json_body, organisation_of
from core.idempotency import idempotent_answer
from core.parsers import TOO_DEEP

from . import selectors, services
from .compute.periods import PERIODS
from .models import (
    Aggregation,
    Deviation,
    DeviationState,
    Direction,
    Evidence,
    Indicator,
    Kind,
    Layer,
    Period,
)
from .services.ingest import is_number


class JsonNumberField(serializers.FloatField):
    """A finite JSON number: numeric strings, booleans, NaN and infinities are refused."""

    default_error_messages = {"invalid": "A finite JSON number is required."}

    def to_internal_value(self, data):
        if not is_number(data):
            self.fail("invalid")
        return float(data)


class WholePartSerializer(serializers.Serializer):
    """A nested part that is always replaced whole, so its required fields stay required in PATCH.

    DRF skips required-field checks in every nested serializer of a partial update.
    """

    def validate(self, attrs):
        missing = {
            name: [field.error_messages["required"]]
            for name, field in self.fields.items()
            if field.required and field.source not in attrs
        }
        if missing:
            raise ValidationError(missing)
        return attrs


class BaselineSerializer(WholePartSerializer):
    value = JsonNumberField()
    date = serializers.DateField(required=False, allow_null=True)


class TargetSerializer(WholePartSerializer):
    value = JsonNumberField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(source="valid_from")
        return fields


class BenchmarkSerializer(TargetSerializer):
    source = serializers.CharField(required=False, allow_blank=True, default="")


class BandSerializer(serializers.Serializer):
    low = JsonNumberField(allow_null=True, required=False, default=None)
    high = JsonNumberField(allow_null=True, required=False, default=None)
    action_below = serializers.CharField(required=False, allow_blank=True, default="")
    action_above = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        low, high = attrs.get("low"), attrs.get("high")
        if low is None and high is None:
            raise ValidationError({"low": "A band needs a low or a high limit (or send null)."})
        if low is not None and high is not None and low > high:
            raise ValidationError({"low": "The low limit is above the high limit."})
        return attrs


def _nullable_choice(choices):
    return serializers.ChoiceField(choices=choices, allow_null=True, required=False)


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=63)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.CharField(required=False, allow_blank=True, max_length=200)
    unit = serializers.CharField(required=False, allow_blank=True, max_length=40)
    kind = serializers.ChoiceField(choices=Kind.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    aggregation = _nullable_choice(Aggregation.choices)
    period = serializers.ChoiceField(choices=Period.choices)
    evidence = _nullable_choice(Evidence.choices)
    layer = _nullable_choice(Layer.choices)
    leading = serializers.BooleanField(required=False, default=False)
    formula = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    baseline = BaselineSerializer(required=False, allow_null=True)
    targets = TargetSerializer(many=True, required=False)
    band = BandSerializer(required=False, allow_null=True)
    benchmarks = BenchmarkSerializer(many=True, required=False)

    def to_representation(self, indicator: Indicator) -> dict:
        return {
            "code": indicator.code,
            "name": indicator.name,
            "description": indicator.description,
            "owner": indicator.owner,
            "unit": indicator.unit,
            "kind": indicator.kind,
            "direction": indicator.direction,
            "aggregation": indicator.aggregation or None,
            "period": indicator.period,
            "evidence": indicator.evidence or None,
            "layer": indicator.layer or None,
            "leading": indicator.leading,
            "formula": indicator.formula or None,
            "baseline": _baseline(indicator),
            "targets": [
                {"from": t.valid_from.isoformat(), "value": t.value}
                for t in indicator.targets.all()
            ],
            "band": _band(indicator),
            "benchmarks": [
                {"from": b.valid_from.isoformat(), "value": b.value, "source": b.source}
                for b in indicator.benchmarks.all()
            ],
        }

    def to_service_data(self) -> dict:
        """Validated data in the shape the service takes (`from` dates as `from`)."""
        data = dict(self.validated_data)
        for name in ("targets", "benchmarks"):
            if name in data:
                data[name] = [{**item, "from": item.pop("valid_from")} for item in data[name]]
        return data


def _baseline(indicator: Indicator) -> dict | None:
    if indicator.baseline_value is None:
        return None
    day = indicator.baseline_date
    return {"value": indicator.baseline_value, "date": day.isoformat() if day else None}


def _band(indicator: Indicator) -> dict | None:
    if not indicator.has_band:
        return None
    return {
        "low": indicator.band_low,
        "high": indicator.band_high,
        "action_below": indicator.action_below,
        "action_above": indicator.action_above,
    }


class IndicatorFilter(django_filters.FilterSet):
    class Meta:
        model = Indicator
        fields = ["kind", "layer", "evidence", "leading", "period", "direction"]


class IndicatorViewSet(
    OrganisationScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Indicators of the caller's organisation, addressed by `code`."""

    serializer_class = IndicatorSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_class = IndicatorFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.indicators_of(organisation=self.get_organisation()).order_by("code")

    def perform_create(self, serializer):
        serializer.instance = services.create_indicator(
            organisation=self.get_organisation(), data=serializer.to_service_data()
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_indicator(
            indicator=serializer.instance, data=serializer.to_service_data()
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, enum=list(PERIODS)),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("segment", str, description="dim:member"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["get"])
    def values(self, request, code=None):
        """Period values: the total over all segments unless `segment=dim:member` is given."""
        indicator = selectors.indicator_by_code(organisation=self.get_organisation(), code=code)
        params = _values_params(request.query_params, indicator)
        return Response(selectors.indicator_values(indicator=indicator, **params))


def _values_params(query, indicator: Indicator) -> dict:
    # {parameter: [message]}: the exception handler turns it into the error envelope.
    errors: dict[str, list[str]] = {}
    period = query.get("period") or indicator.period
    if period not in PERIODS:
        errors["period"] = [f"Use one of: {', '.join(PERIODS)}."]
    bounds = {}
    for name, target in (("from", "start"), ("to", "end")):
        text = query.get(name)
        try:
            bounds[target] = date.fromisoformat(text) if text else None
        except ValueError:
            errors[name] = ["Use a date, YYYY-MM-DD."]
    segment = query.get("segment") or ""
    if segment and (segment.count(":") < 1 or segment.startswith(":") or segment.endswith(":")):
        errors["segment"] = ["Use dimension:member, e.g. region:north."]
    if errors:
        raise ValidationError(errors)
    return {"period": period, "segment": segment, **bounds}


class MeasurementsView(APIView):
    """Bulk push of measurements; validated whole, written whole or not at all."""

    @extend_schema(
        request=inline_serializer(
            "MeasurementBatch",
            {
                "measurements": serializers.ListField(child=serializers.DictField()),
                "dry_run": serializers.BooleanField(required=False),
            },
        ),
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses=inline_serializer(
            "IngestCounts",
            {
                "created": serializers.IntegerField(),
                "updated": serializers.IntegerField(),
                "unchanged": serializers.IntegerField(),
            },
        ),
    )
    def post(self, request):
        organisation = organisation_of(request)
        body = json_body(request)
        return idempotent_answer(
            request, organisation_id=organisation.pk, answer=lambda: _ingest(organisation, body)
        )


def _ingest(organisation, body: bytes) -> tuple[int, dict]:
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        return 400, {"errors": [error("", f"Malformed JSON: {exc}")]}
    except RecursionError:
        return 400, {"errors": [error("", TOO_DEEP)]}
    if not isinstance(document, dict) or not isinstance(document.get("measurements"), list):
        return 400, {"errors": [error("measurements", 'Send {"measurements": [...]}.')]}
    items, dry_run = document["measurements"], document.get("dry_run", False)
    if not isinstance(dry_run, bool):
        return 400, {"errors": [error("dry_run", "'dry_run' must be true or false.")]}
    if len(items) > settings.INGEST_MAX_ITEMS:
        return 413, {
            "errors": [
                error("measurements", f"At most {settings.INGEST_MAX_ITEMS} items per request.")
            ]
        }
    try:
        result = services.ingest_measurements(
            organisation=organisation, items=items, dry_run=dry_run
        )
    except services.IngestError as exc:
        return 400, {"errors": exc.errors}
    return 200, result.as_dict()


class DeviationSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    state = serializers.ChoiceField(choices=DeviationState.choices)

    class Meta:
        model = Deviation
        fields = [
            "id",
            "indicator",
            "period",
            "period_start",
            "kind",
            "value",
            "band_low",
            "band_high",
            "action",
            "state",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [name for name in fields if name not in ("state", "note")]


class DeviationFilter(django_filters.FilterSet):
    indicator = django_filters.CharFilter(field_name="indicator__code")

    class Meta:
        model = Deviation
        fields = ["state", "indicator", "kind"]


class DeviationViewSet(
    OrganisationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Deviations of the metric pipe; analysts acknowledge, close and annotate them."""

    serializer_class = DeviationSerializer
    filterset_class = DeviationFilter
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.deviations_of(organisation=self.get_organisation())

    def perform_update(self, serializer):
        """The service decides which state changes are allowed (400 naming `state` or `note`)."""
        data = serializer.validated_data
        serializer.instance = services.update_deviation(
            deviation=serializer.instance, state=data.get("state"), note=data.get("note")
        )
