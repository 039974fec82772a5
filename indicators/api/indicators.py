"""Indicators: the serializer, the viewset addressed by code, and its period values action."""

import re
from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import OrganisationScopedMixin
from core.dates import iso_date
from core.filters import StrictBooleanFilter, StrictFilterSet

from .. import selectors, services
from ..compute.periods import PERIODS
from ..models import Aggregation, Direction, Evidence, Indicator, Kind, Layer, Period
from ..schema import INDICATOR_BANDS_EXAMPLE, INDICATOR_EXAMPLE, IndicatorValuesSerializer
from .fields import (
    CODE_PATTERN,
    CodeField,
    JsonBooleanField,
    JsonIntegerField,
    JsonStringField,
    MemberField,
)
from .parts import (
    BandSerializer,
    BandVersionSerializer,
    BaselineSerializer,
    BenchmarkSerializer,
    SpcSerializer,
    TargetSerializer,
)

# dimension:member, neither end a colon (the member may hold colons), no NUL (PostgreSQL text
# cannot hold one); absent: the total.
SEGMENT_PARAMETER = r"^[^:\x00][^\x00]*:[^\x00]*[^:\x00]$"


def _nullable_choice(choices):
    return serializers.ChoiceField(choices=choices, allow_null=True, required=False)


class IndicatorSerializer(serializers.Serializer):
    code = CodeField(max_length=63)
    name = JsonStringField(max_length=200)
    description = JsonStringField(required=False, allow_blank=True)
    owner = JsonStringField(required=False, allow_blank=True, max_length=200)
    unit = JsonStringField(required=False, allow_blank=True, max_length=40)
    kind = serializers.ChoiceField(choices=Kind.choices)
    team = JsonStringField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="The team accountable for moving it (customer-centricity per team).",
    )
    direction = serializers.ChoiceField(choices=Direction.choices)
    aggregation = _nullable_choice(Aggregation.choices)
    period = serializers.ChoiceField(choices=Period.choices)
    evidence = _nullable_choice(Evidence.choices)
    layer = _nullable_choice(Layer.choices)
    leading = JsonBooleanField(required=False, default=False)
    formula = JsonStringField(required=False, allow_null=True, allow_blank=True)
    baseline = BaselineSerializer(required=False, allow_null=True)
    targets = TargetSerializer(many=True, required=False)
    band = BandSerializer(required=False, allow_null=True)
    bands = BandVersionSerializer(many=True, required=False)
    benchmarks = BenchmarkSerializer(many=True, required=False)
    stale = serializers.BooleanField(read_only=True, help_text="The next value is overdue.")
    owner_user = MemberField(required=False)
    spc = SpcSerializer(required=False)
    stale_grace_days = JsonIntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=366,
        help_text="Days after the expected next value before the indicator is stale "
        "(null: by its period).",
    )

    def to_representation(self, indicator: Indicator) -> dict:
        return {
            "code": indicator.code,
            "name": indicator.name,
            "description": indicator.description,
            "owner": indicator.owner,
            "unit": indicator.unit,
            "kind": indicator.kind,
            "team": indicator.team,
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
            "bands": [_band_version(band) for band in indicator.bands.all()],
            "benchmarks": [
                {"from": b.valid_from.isoformat(), "value": b.value, "source": b.source}
                for b in indicator.benchmarks.all()
            ],
            "stale": selectors.indicator_is_stale(indicator),
            "owner_user": _username(indicator.owner_user),
            "spc": {
                "baseline_from": _iso(indicator.spc_baseline_from),
                "baseline_points": indicator.spc_baseline_points,
                "two_of_three": indicator.spc_two_of_three,
            },
            "stale_grace_days": indicator.stale_grace_days,
        }

    def to_service_data(self) -> dict:
        """Validated data in the shape the service takes (`from` dates as `from`, `spc` as its
        flat fields)."""
        data = dict(self.validated_data)
        for name in ("targets", "benchmarks", "bands"):
            if name in data:
                data[name] = [{**item, "from": item.pop("valid_from", None)} for item in data[name]]
        spc = data.pop("spc", None) or {}
        for name in ("baseline_from", "baseline_points", "two_of_three"):
            if name in spc:
                data[f"spc_{name}"] = spc[name]
        return data


def _baseline(indicator: Indicator) -> dict | None:
    if indicator.baseline_value is None:
        return None
    day = indicator.baseline_date
    return {"value": indicator.baseline_value, "date": day.isoformat() if day else None}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def _band(indicator: Indicator) -> dict | None:
    band = selectors.band_in_force(indicator=indicator)
    if band is None:
        return None
    return {
        "low": band.low,
        "high": band.high,
        "action_below": band.action_below,
        "action_above": band.action_above,
        "owner": _username(band.owner),
    }


def _band_version(band) -> dict:
    return {
        "from": None if band.from_the_start else band.valid_from.isoformat(),
        "low": band.low,
        "high": band.high,
        "action_below": band.action_below,
        "action_above": band.action_above,
        "owner": _username(band.owner),
    }


class IndicatorChangesSerializer(IndicatorSerializer):
    """What PATCH documents: every field but `code`, which names the indicator for good."""

    code = None


class IndicatorFilter(StrictFilterSet):
    leading = StrictBooleanFilter()

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
    # Only what can be a code: anything else (a NUL, which PostgreSQL cannot compare) is a 404.
    lookup_value_regex = CODE_PATTERN
    filterset_class = IndicatorFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.indicators_of(organisation=self.get_organisation()).order_by("code")

    @extend_schema(examples=[INDICATOR_EXAMPLE])
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(request=IndicatorChangesSerializer, examples=[INDICATOR_BANDS_EXAMPLE])
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

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
            OpenApiParameter(
                "segment",
                str,
                description="dimension:member, e.g. region:north; absent: the total",
                pattern=SEGMENT_PARAMETER,
            ),
        ],
        responses=IndicatorValuesSerializer,
    )
    @action(detail=True, methods=["get"])
    def values(self, request, code=None):
        """Period values: the total over all segments unless `segment=dim:member` is given."""
        indicator = selectors.indicator_by_code(organisation=self.get_organisation(), code=code)
        params = _values_params(request.query_params, indicator)
        return Response(selectors.indicator_values(indicator=indicator, **params))


def _values_params(query, indicator: Indicator) -> dict:
    # {parameter: [message]}: the exception handler turns it into the error envelope.
    # A parameter that is sent must be valid, even empty: `?to=` is a mistake, not "no bound".
    errors: dict[str, list[str]] = {}
    period = query.get("period", indicator.period)
    if period not in PERIODS:
        errors["period"] = [f"Use one of: {', '.join(PERIODS)}."]
    bounds = {}
    for name, target in (("from", "start"), ("to", "end")):
        text = query.get(name)
        try:
            bounds[target] = None if text is None else iso_date(text)
        except ValueError:
            errors[name] = ["Use a date, YYYY-MM-DD."]
    segment = query.get("segment")
    if segment is not None and not re.fullmatch(SEGMENT_PARAMETER, segment):
        errors["segment"] = ["Use dimension:member, e.g. region:north."]
    if errors:
        raise ValidationError(errors)
    return {"period": period, "segment": segment or "", **bounds}
