"""Chain nodes: the serializer (codes and ids resolved to objects), its filters and the viewset."""

import django_filters
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.errors import NotFound
from core.filters import StrictFilterSet
from core.numbers import MAX_WEIGHT
from indicators.api.fields import CodeField, JsonNumberField, JsonStringField

from .. import selectors, services
from ..models import ChainNode, Level, NodeStatus, StatusSource
from .fields import (
    CONFIRM_PARAMETER,
    DETAIL_SCHEMA,
    ChainViewSet,
    IdField,
    IdFilter,
    confirm_of,
)

DEFAULT_WEIGHT = 1.0


class ChainNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    level = serializers.ChoiceField(choices=Level.choices)
    title = JsonStringField(max_length=200)
    description = JsonStringField(required=False, allow_blank=True)
    initiative = IdField(
        required=False,
        allow_null=True,
        help_text=_("The id of the initiative; activities and outputs need one."),
    )
    indicators = serializers.ListField(
        child=CodeField(max_length=63),
        required=False,
        help_text=_("Codes of the indicators that measure the node (replaces the list)."),
    )
    weights = serializers.DictField(
        child=JsonNumberField(min_value=0, max_value=MAX_WEIGHT),
        required=False,
        help_text=_(
            "{code: weight}: optional; each 0 to 1,000,000; a new code weighs 1, a code already "
            "there keeps its weight."
        ),
    )
    contributes_to = serializers.ListField(
        child=IdField(),
        required=False,
        help_text=_("Ids of the nodes of a higher level this one contributes to (replaces them)."),
    )
    contributors = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text=_("Ids of the nodes that contribute to this one."),
    )
    status = serializers.ChoiceField(choices=NodeStatus.choices, read_only=True)
    score = serializers.FloatField(read_only=True, allow_null=True, help_text=_("0..1"))
    status_source = serializers.ChoiceField(choices=StatusSource.choices, read_only=True)
    unmeasured = serializers.BooleanField(read_only=True, help_text=_("No indicator measures it."))
    leading = serializers.BooleanField(read_only=True, help_text=_("An outcome: leading."))
    lagging = serializers.BooleanField(read_only=True, help_text=_("An impact: lagging."))
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, node: ChainNode) -> dict:
        measures = list(node.measures.all())
        stamp = self.fields["created_at"]
        return {
            "id": node.pk,
            "level": node.level,
            "title": node.title,
            "description": node.description,
            "initiative": node.initiative_id,
            "indicators": [m.indicator.code for m in measures],
            "weights": {m.indicator.code: m.weight for m in measures},
            "contributes_to": [link.target_id for link in node.links_up.all()],
            "contributors": [link.source_id for link in node.links_down.all()],
            "status": node.status,
            "score": node.score,
            "status_source": node.status_source,
            "unmeasured": not measures,
            "leading": node.level == Level.OUTCOME,
            "lagging": node.level == Level.IMPACT,
            "created_at": stamp.to_representation(node.created_at),
            "updated_at": stamp.to_representation(node.updated_at),
        }

    def validate(self, attrs) -> dict:
        """The service's `data`: codes and ids of this organisation resolved to objects."""
        organisation = self.context["view"].get_organisation()
        data = {name: attrs[name] for name in ("level", "title", "description") if name in attrs}
        errors: dict[str, list[str]] = {}
        if "initiative" in attrs:
            data["initiative"] = _initiative(organisation, attrs["initiative"], errors)
        if "indicators" in attrs or "weights" in attrs:
            indicators = _indicators(organisation, self.instance, attrs, errors)
            if indicators is not None:
                data["indicators"] = indicators
        if "contributes_to" in attrs:
            data["contributes_to"] = _targets(organisation, attrs["contributes_to"], errors)
        if errors:
            raise ValidationError(errors)
        return data


def _initiative(organisation, pk, errors):
    if pk is None:
        return None
    try:
        return selectors.initiative_by_id(organisation=organisation, pk=pk)
    except NotFound:
        errors["initiative"] = [gettext("No initiative %(id)s.") % {"id": pk}]
        return None


def _indicators(organisation, node, attrs, errors):
    """[(Indicator, weight)]: the codes sent (else the node's own), each with its weight sent,
    else the weight it has now, else 1."""
    current = {m.indicator.code: m.weight for m in node.measures.all()} if node else {}
    codes = attrs.get("indicators", list(current))
    weights = attrs.get("weights", {})
    strays = [code for code in weights if code not in codes]
    if strays:
        errors["weights"] = [
            gettext("'%(code)s' is not among the node's indicators.") % {"code": code}
            for code in strays
        ]
    found = selectors.indicators_by_code(organisation=organisation, codes=codes)
    unknown = [code for code in dict.fromkeys(codes) if code not in found]
    if unknown:
        errors["indicators"] = [
            gettext("No indicator '%(code)s' in the organisation.") % {"code": code}
            for code in unknown
        ]
    if strays or unknown:
        return None
    return [(found[code], weights.get(code, current.get(code, DEFAULT_WEIGHT))) for code in codes]


def _targets(organisation, ids, errors):
    found = selectors.nodes_by_id(organisation=organisation, ids=ids)
    unknown = [pk for pk in dict.fromkeys(ids) if pk not in found]
    if unknown:
        errors["contributes_to"] = [gettext("No chain node %(id)s.") % {"id": pk} for pk in unknown]
    return [found[pk] for pk in dict.fromkeys(ids) if pk in found]


class ChainNodeFilter(StrictFilterSet):
    level = django_filters.MultipleChoiceFilter(choices=Level.choices)
    status = django_filters.MultipleChoiceFilter(choices=NodeStatus.choices)
    initiative = IdFilter(field_name="initiative_id", help_text=_("The initiative's id."))

    class Meta:
        model = ChainNode
        fields = ["level", "initiative", "status"]


@extend_schema_view(**DETAIL_SCHEMA)
class ChainNodeViewSet(ChainViewSet):
    """Chain nodes of the caller's organisation, by id."""

    serializer_class = ChainNodeSerializer
    filterset_class = ChainNodeFilter

    def get_queryset(self):
        return selectors.nodes_with_links(organisation=self.get_organisation())

    def perform_create(self, serializer):
        node = services.create_node(
            organisation=self.get_organisation(), data=serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=node.pk)

    def perform_update(self, serializer):
        node = services.update_node(node=serializer.instance, data=serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=node.pk)

    @extend_schema(parameters=[CONFIRM_PARAMETER])
    def destroy(self, request, *args, **kwargs):
        """Deletes the node and its links upwards. When other nodes contribute to it: 400
        naming `contributors`, unless `confirm=true`, which removes those links too."""
        confirm = confirm_of(request)
        services.delete_node(node=self.get_object(), confirm=confirm)
        return Response(status=status.HTTP_204_NO_CONTENT)
