"""Deviations: the serializer with history and signal, and the viewset that updates them."""

import django_filters
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, viewsets

from core.api import OrganisationScopedMixin
from core.filters import StrictFilterSet

from .. import selectors, services
from ..models import Deviation, DeviationState
from ..schema import SIGNALS
from .fields import JsonStringField, MemberField


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


class DeviationSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    state = serializers.ChoiceField(choices=DeviationState.choices)
    note = JsonStringField(required=False, allow_blank=True)
    owner = MemberField(required=False)
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
