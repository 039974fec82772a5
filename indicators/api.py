"""REST API v1 for indicators, measurements, period values and deviations."""

import re
from datetime import date

import django_filters
import msgspec
from django.conf import settings
from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts.selectors import member_by_username
from core.api import OrganisationScopedMixin, error, json_body, organisation_of
from core.filters import StrictBooleanFilter, StrictFilterSet
from core.idempotency import idempotent_answer
from core.parsers import TOO_DEEP
from core.schema import error_response

from . import selectors, services
from .compute.periods import PERIODS
from .models import (
    CODE_VALIDATOR,
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
from .schema import (
    INDICATOR_BANDS_EXAMPLE,
    INDICATOR_EXAMPLE,
    MEASUREMENTS_EXAMPLE,
    SIGNALS,
    IndicatorValuesSerializer,
    IngestCountsSerializer,
    MeasurementBatchSerializer,
)
from .services.ingest import is_number

# dimension:member, neither end a colon (the member may hold colons), no NUL (PostgreSQL text
# cannot hold one); absent: the total.
SEGMENT_PARAMETER = r"^[^:\x00][^\x00]*:[^\x00]*[^:\x00]$"


class JsonNumberField(serializers.FloatField):
    """A finite JSON number: numeric strings, booleans, NaN and infinities are refused."""

    default_error_messages = {"invalid": "A finite JSON number is required."}

    def to_internal_value(self, data):
        if not is_number(data):
            self.fail("invalid")
        return float(data)


class JsonStringField(serializers.CharField):
    """A JSON string: DRF's CharField would also take 0 or 1.5 and store "0" or "1.5"."""

    default_error_messages = {"invalid": "A JSON string is required."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonIntegerField(serializers.IntegerField):
    """A JSON integer: DRF's IntegerField would also take "5", 5.0 and true."""

    default_error_messages = {"invalid": "A JSON integer is required."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonBooleanField(serializers.BooleanField):
    """true or false: DRF's BooleanField would also take 0, 1, "yes" and "on"."""

    default_error_messages = {"invalid": "true or false is required."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


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
    source = JsonStringField(required=False, allow_blank=True, default="")


class MemberField(JsonStringField):
    """A person of the caller's organisation, by username (null: nobody)."""

    default_error_messages = {
        "unknown": "No member of the organisation has the username '{username}'."
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "The username of a member of the organisation, or null.")
        super().__init__(allow_null=True, **kwargs)

    def to_internal_value(self, data):
        username = super().to_internal_value(data)
        organisation = self.context["view"].get_organisation()
        user = member_by_username(organisation=organisation, username=username)
        if user is None:
            self.fail("unknown", username=username)
        return user


class BandSerializer(serializers.Serializer):
    """The band in force today; written from the start of the current period (see the docs)."""

    low = JsonNumberField(allow_null=True, required=False, default=None)
    high = JsonNumberField(allow_null=True, required=False, default=None)
    action_below = JsonStringField(required=False, allow_blank=True, default="")
    action_above = JsonStringField(required=False, allow_blank=True, default="")
    # Absent: the owner of the band in force stays.
    owner = MemberField(required=False)

    def validate(self, attrs):
        low, high = attrs.get("low"), attrs.get("high")
        if low is None and high is None:
            raise ValidationError({"low": "A band needs a low or a high limit (or send null)."})
        if low is not None and high is not None and low > high:
            raise ValidationError({"low": "The low limit is above the high limit."})
        return attrs


class BandVersionSerializer(WholePartSerializer):
    """One band version: in force from `from` (null: from the first period) until the next;
    neither limit ends the band from its date."""

    low = JsonNumberField(allow_null=True, required=False, default=None)
    high = JsonNumberField(allow_null=True, required=False, default=None)
    action_below = JsonStringField(required=False, allow_blank=True, default="")
    action_above = JsonStringField(required=False, allow_blank=True, default="")
    owner = MemberField(required=False, default=None)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            source="valid_from", required=False, allow_null=True, default=None
        )
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        low, high = attrs.get("low"), attrs.get("high")
        if low is not None and high is not None and low > high:
            raise ValidationError({"low": "The low limit is above the high limit."})
        return attrs


class SpcSerializer(serializers.Serializer):
    """Natural process limits: from `baseline_points` values starting at `baseline_from`."""

    baseline_from = serializers.DateField(
        required=False, allow_null=True, help_text="null: from the first value."
    )
    baseline_points = JsonIntegerField(
        required=False,
        min_value=2,
        max_value=1000,
        error_messages={
            "min_value": "A baseline window needs at least 2 points.",
            "max_value": "A baseline window has at most 1000 points.",
        },
    )
    two_of_three = JsonBooleanField(
        required=False, help_text="Also signal 2 of 3 values beyond 2 sigma on one side."
    )


CODE_PATTERN = "[a-z][a-z0-9_]{0,62}"


@extend_schema_field({"type": "string", "pattern": f"^{CODE_PATTERN}$", "maxLength": 63})
class CodeField(JsonStringField):
    """An indicator code: lowercase letters, digits and underscores, starting with a letter."""

    default_error_messages = {"invalid": CODE_VALIDATOR.message}

    def __init__(self, **kwargs):
        # "x\n" is not a code: trimming it to "x" would accept what the schema's pattern refuses.
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        # fullmatch: a `$` would let a trailing newline through.
        if not re.fullmatch(CODE_PATTERN, text):
            self.fail("invalid")
        return text


def _nullable_choice(choices):
    return serializers.ChoiceField(choices=choices, allow_null=True, required=False)


class IndicatorSerializer(serializers.Serializer):
    code = CodeField(max_length=63)
    name = JsonStringField(max_length=200)
    description = JsonStringField(required=False, allow_blank=True)
    owner = JsonStringField(required=False, allow_blank=True, max_length=200)
    unit = JsonStringField(required=False, allow_blank=True, max_length=40)
    kind = serializers.ChoiceField(choices=Kind.choices)
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
            bounds[target] = None if text is None else _iso_date(text)
        except ValueError:
            errors[name] = ["Use a date, YYYY-MM-DD."]
    segment = query.get("segment")
    if segment is not None and not re.fullmatch(SEGMENT_PARAMETER, segment):
        errors["segment"] = ["Use dimension:member, e.g. region:north."]
    if errors:
        raise ValidationError(errors)
    return {"period": period, "segment": segment or "", **bounds}


def _iso_date(text: str) -> date:
    """YYYY-MM-DD only: `date.fromisoformat` also takes 20260301 and 2026-W09-7."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    return date.fromisoformat(text)


class MeasurementsView(APIView):
    """Bulk push of measurements; validated whole, written whole or not at all."""

    @extend_schema(
        request=MeasurementBatchSerializer,
        examples=[MEASUREMENTS_EXAMPLE],
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="The same key with the same body within 24 h answers the first "
                "answer again; with a different body, 409.",
            )
        ],
        responses={
            200: IngestCountsSerializer,
            409: error_response("The Idempotency-Key was used with a different body."),
            413: error_response("More than 10,000 items in one request."),
        },
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


@extend_schema_field({"type": "string", "nullable": True})
class UsernameField(serializers.Field):
    """A person by username; null for nobody."""

    def to_representation(self, value):
        return value.username


class DeviationChangeSerializer(serializers.Serializer):
    """One entry of a deviation's history; `by` null: the recompute (or an API key)."""

    at = serializers.DateTimeField()
    by = UsernameField(read_only=True)
    old_state = serializers.CharField(allow_blank=True, help_text="Empty when it was created.")
    new_state = serializers.ChoiceField(choices=DeviationState.choices)
    old_owner = UsernameField(read_only=True)
    new_owner = UsernameField(read_only=True)
    note = serializers.CharField(allow_blank=True)


class OwnerField(JsonStringField):
    """The owner by username (null: nobody); on write, a member of the caller's organisation."""

    default_error_messages = {"unknown": "No member of the organisation is called '{name}'."}

    def to_representation(self, value):
        return value.username

    def to_internal_value(self, data):
        username = super().to_internal_value(data)
        owner = account_selectors.member_by_username(
            organisation=self.context["view"].get_organisation(), username=username
        )
        if owner is None:
            self.fail("unknown", name=username)
        return owner


class DeviationSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    state = serializers.ChoiceField(choices=DeviationState.choices)
    note = JsonStringField(required=False, allow_blank=True)
    owner = OwnerField(required=False, allow_null=True)
    history = DeviationChangeSerializer(many=True, read_only=True)
    signal = serializers.SerializerMethodField()
    is_signal = serializers.SerializerMethodField()

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
            "miss",
            "action",
            "state",
            "note",
            "owner",
            "signal",
            "is_signal",
            "opened_at",
            "history",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [name for name in fields if name not in ("state", "note", "owner")]

    @extend_schema_field(serializers.ChoiceField(choices=SIGNALS, allow_null=True))
    def get_signal(self, deviation) -> str | None:
        """The XmR rule the deviation's value fires (null: within normal variation)."""
        signals = self.context.get("signals")
        if signals is None or deviation.pk not in signals:
            signals = selectors.deviation_signals(deviations=[deviation])
        return signals.get(deviation.pk)

    def get_is_signal(self, deviation) -> bool:
        return self.get_signal(deviation) is not None


class DeviationFilter(StrictFilterSet):
    indicator = django_filters.CharFilter(field_name="indicator__code")
    owner = django_filters.CharFilter(field_name="owner__username")

    class Meta:
        model = Deviation
        fields = ["state", "indicator", "kind", "owner"]


class DeviationViewSet(
    OrganisationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Deviations of the metric pipe; analysts acknowledge, close, annotate and hand them over."""

    serializer_class = DeviationSerializer
    filterset_class = DeviationFilter
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.deviations_with_history(organisation=self.get_organisation())

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "signals": getattr(self, "signals", None)}

    def paginate_queryset(self, queryset):
        """The page's signals in one call (one query), not one per deviation."""
        page = super().paginate_queryset(queryset)
        self.signals = selectors.deviation_signals(deviations=page or [])
        return page

    def perform_update(self, serializer):
        """The service decides which changes are allowed (400 naming `state`, `note` or
        `owner`, nothing changed)."""
        data = serializer.validated_data
        changes = {name: data[name] for name in ("owner",) if name in data}
        updated = services.update_deviation(
            deviation=serializer.instance,
            # An API key acts for the organisation, not for a person: by nobody.
            by=self.request.user if isinstance(self.request.user, get_user_model()) else None,
            state=data.get("state"),
            note=data.get("note"),
            **changes,
        )
        serializer.instance = self.get_queryset().get(pk=updated.pk)
