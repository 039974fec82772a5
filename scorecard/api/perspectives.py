"""Perspectives one at a time (`/api/v1/perspectives/`): add one to a scorecard, relabel,
re-order or re-weigh it, delete it with its objectives. The rules are
`services.create_perspective` / `update_perspective`'s (one of each kind per scorecard)."""

from django.db.models import Prefetch
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.errors import NotFound
from core.filters import StrictFilterSet
from core.numbers import MAX_WEIGHT

from .. import selectors, services
from ..models import Objective, Perspective, PerspectiveKind
from .fields import (
    DETAIL_SCHEMA,
    IdField,
    IdFilter,
    JsonIntegerField,
    JsonNumberField,
    JsonStringField,
    ScopedByIdViewSet,
)

MAX_POSITION = 32767


class PerspectiveSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    scorecard = IdField(help_text=_("The id of its scorecard (set on create only)."))
    kind = serializers.ChoiceField(choices=PerspectiveKind.choices)
    label = JsonStringField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_(
            "Written: its own label. Answered: its own label, else the preset's label of its "
            'kind, translated (send "" to go back to the preset\'s).'
        ),
    )
    position = JsonIntegerField(
        required=False,
        min_value=0,
        max_value=MAX_POSITION,
        help_text=_("Its row on the scorecard, top first; absent on create: after the others."),
    )
    weight = JsonNumberField(required=False, min_value=0, max_value=MAX_WEIGHT)
    objectives = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text=_("Ids of its objectives, in order."),
    )

    def to_representation(self, perspective: Perspective) -> dict:
        return {
            "id": perspective.pk,
            "scorecard": perspective.scorecard_id,
            "kind": perspective.kind,
            "label": str(perspective.display_label),
            "position": perspective.position,
            "weight": perspective.weight,
            "objectives": [o.pk for o in perspective.objectives.all()],
        }

    def validate(self, attrs) -> dict:
        data = {k: attrs[k] for k in ("kind", "label", "position", "weight") if k in attrs}
        if "scorecard" in attrs:
            if self.instance is not None:
                if attrs["scorecard"] != self.instance.scorecard_id:
                    raise ValidationError(
                        {"scorecard": [gettext("A perspective stays in its scorecard.")]}
                    )
                return data
            organisation = self.context["view"].get_organisation()
            try:
                data["scorecard"] = selectors.scorecard_by_id(
                    organisation=organisation, pk=attrs["scorecard"]
                )
            except NotFound:
                raise ValidationError(
                    {"scorecard": [gettext("No scorecard %(id)s.") % {"id": attrs["scorecard"]}]}
                ) from None
        return data


def perspectives_with_objectives(organisation):
    """The organisation's perspectives with their scorecard and objective ids, in order."""
    return (
        Perspective.objects.filter(scorecard__in=selectors.scorecards_of(organisation=organisation))
        .select_related("scorecard")
        .prefetch_related(
            Prefetch(
                "objectives",
                queryset=Objective.objects.only("pk", "perspective_id").order_by("position", "pk"),
            )
        )
        .order_by("scorecard__name", "scorecard_id", "position", "pk")
    )


class PerspectiveFilter(StrictFilterSet):
    scorecard = IdFilter(field_name="scorecard_id", help_text=_("A scorecard's id."))

    class Meta:
        model = Perspective
        fields = ["scorecard", "kind"]


@extend_schema_view(**DETAIL_SCHEMA)
class PerspectiveViewSet(ScopedByIdViewSet):
    """Perspectives of the caller's organisation's scorecards, in scorecard and row order."""

    serializer_class = PerspectiveSerializer
    filterset_class = PerspectiveFilter

    def get_queryset(self):
        return perspectives_with_objectives(self.get_organisation())

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        perspective = services.create_perspective(scorecard=data.pop("scorecard"), data=data)
        serializer.instance = self.get_queryset().get(pk=perspective.pk)

    def perform_update(self, serializer):
        perspective = services.update_perspective(
            perspective=serializer.instance, data=serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=perspective.pk)

    def destroy(self, request, *args, **kwargs):
        """Deletes the perspective with its objectives, their measures and links."""
        services.delete_perspective(perspective=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
