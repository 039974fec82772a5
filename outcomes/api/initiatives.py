"""Initiatives: the serializer, its filters and the viewset (CRUD, addressed by id)."""

from decimal import Decimal

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from core.filters import StrictFilterSet
from indicators.api.fields import JsonNumberField, JsonStringField, MemberField

from .. import selectors, services
from ..models import Initiative, InitiativeState
from ..registry import objectives_of
from .fields import (
    CONFIRM_PARAMETER,
    DETAIL_SCHEMA,
    ChainViewSet,
    IsoDateField,
    confirm_of,
)

# The budget column holds 12 digits before the decimal point.
MAX_BUDGET = 999_999_999_999
CENT = Decimal("0.01")


class InitiativeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = JsonStringField(max_length=200)
    description = JsonStringField(required=False, allow_blank=True)
    owner = MemberField(required=False)
    start = IsoDateField(required=False, allow_null=True)
    end = IsoDateField(required=False, allow_null=True)
    state = serializers.ChoiceField(choices=InitiativeState.choices, required=False)
    budget = JsonNumberField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_BUDGET,
        help_text=_("In the organisation's currency, kept to the cent; null: none given."),
    )
    objectives = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text=_("Ids of the scorecard objectives the initiative serves."),
    )
    nodes = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text=_("Ids of the initiative's chain nodes."),
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, initiative: Initiative) -> dict:
        objectives = self.context.get("objectives")
        if objectives is None or initiative.pk not in objectives:
            objectives = objectives_of([initiative.pk])
        stamp = self.fields["created_at"]
        return {
            "id": initiative.pk,
            "title": initiative.title,
            "description": initiative.description,
            "owner": initiative.owner.get_username() if initiative.owner else None,
            "start": initiative.start.isoformat() if initiative.start else None,
            "end": initiative.end.isoformat() if initiative.end else None,
            "state": initiative.state,
            "budget": float(initiative.budget) if initiative.budget is not None else None,
            "objectives": list(objectives.get(initiative.pk, [])),
            "nodes": [node.pk for node in initiative.nodes.all()],
            "created_at": stamp.to_representation(initiative.created_at),
            "updated_at": stamp.to_representation(initiative.updated_at),
        }

    def to_service_data(self) -> dict:
        data = dict(self.validated_data)
        if data.get("budget") is not None:
            data["budget"] = Decimal(repr(data["budget"])).quantize(CENT)
        return data


class InitiativeFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=InitiativeState.choices)
    owner = django_filters.CharFilter(
        field_name="owner__username", help_text=_("The owner's username.")
    )

    class Meta:
        model = Initiative
        fields = ["state", "owner"]


@extend_schema_view(**DETAIL_SCHEMA)
class InitiativeViewSet(ChainViewSet):
    """Initiatives of the caller's organisation, by title."""

    serializer_class = InitiativeSerializer
    filterset_class = InitiativeFilter

    def get_queryset(self):
        return selectors.initiatives_with_nodes(organisation=self.get_organisation())

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "objectives": getattr(self, "objectives", None)}

    def paginate_queryset(self, queryset):
        """The page's objectives in one call, not one per initiative."""
        page = super().paginate_queryset(queryset)
        ids = [initiative.pk for initiative in page or []]
        found = objectives_of(ids)
        # Every initiative of the page is answered for, those that serve none too.
        self.objectives = {pk: found.get(pk, []) for pk in ids}
        return page

    def perform_create(self, serializer):
        initiative = services.create_initiative(
            organisation=self.get_organisation(), data=serializer.to_service_data()
        )
        serializer.instance = self.get_queryset().get(pk=initiative.pk)

    def perform_update(self, serializer):
        initiative = services.update_initiative(
            initiative=serializer.instance, data=serializer.to_service_data()
        )
        serializer.instance = self.get_queryset().get(pk=initiative.pk)

    @extend_schema(parameters=[CONFIRM_PARAMETER])
    def destroy(self, request, *args, **kwargs):
        """Deletes the initiative. With chain nodes or objectives: 400 naming `nodes` (with the
        arrows of other nodes that go) and/or `objectives`, unless `confirm=true`, which deletes
        its activities and outputs and keeps its outcomes and impacts."""
        confirm = confirm_of(request)
        services.delete_initiative(initiative=self.get_object(), confirm=confirm)
        return Response(status=status.HTTP_204_NO_CONTENT)
