"""`GET /api/v1/chain/`: the whole results chain, or an initiative's part of it, in one answer."""

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import OrganisationScopedMixin
from core.schema import error_response
from cpi.compute.status import STATUSES

from .. import selectors
from ..models import Level, NodeStatus, StatusSource
from .fields import ID_PARAMETER_SCHEMA, ID_PATTERN


class ChainNodeSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    level = serializers.ChoiceField(choices=Level.choices)
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=NodeStatus.choices)
    indicators = serializers.ListField(child=serializers.CharField())
    initiative = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    status_source = serializers.ChoiceField(choices=StatusSource.choices)
    unmeasured = serializers.BooleanField()
    leading = serializers.BooleanField()
    lagging = serializers.BooleanField()


class ChainArrowSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        help_text=_("The link's id (GET/PATCH /api/v1/chain/links/{id}/).")
    )
    source = serializers.IntegerField(help_text=_("The id of the node that contributes."))
    target = serializers.IntegerField(help_text=_("The id of the node it contributes to."))
    hypothesis = serializers.IntegerField(
        allow_null=True, help_text=_("The id of the hypothesis the arrow cites, or null.")
    )
    evidence = serializers.ChoiceField(
        choices=[(status, status) for status in STATUSES],
        allow_null=True,
        help_text=_("The cited hypothesis's status; null when the arrow cites none (only drawn)."),
    )


class ChainSerializer(serializers.Serializer):
    nodes = ChainNodeSummarySerializer(many=True)
    links = ChainArrowSerializer(many=True)


def chain_answer(nodes, links) -> dict:
    """The answer of `GET /api/v1/chain/` for `selectors.chain_rows` (no queries)."""
    return {
        "nodes": [
            {
                "id": node.pk,
                "level": node.level,
                "title": node.title,
                "status": node.status,
                "indicators": list(node.codes),
                "initiative": node.initiative_id,
                "score": node.score,
                "status_source": node.status_source,
                "unmeasured": not node.codes,
                "leading": node.level == Level.OUTCOME,
                "lagging": node.level == Level.IMPACT,
            }
            for node in nodes
        ],
        "links": [
            {
                "id": link.pk,
                "source": link.source,
                "target": link.target,
                "hypothesis": link.hypothesis,
                "evidence": link.evidence,
            }
            for link in links
        ],
    }


class ChainView(OrganisationScopedMixin, APIView):
    """The results chain with each node's stored status."""

    @extend_schema(
        operation_id="v1_chain_retrieve",
        parameters=[
            OpenApiParameter(
                "initiative",
                ID_PARAMETER_SCHEMA,
                description=_(
                    "Only this initiative's nodes and every node they contribute to, directly "
                    "or not (an unknown initiative is a 404)."
                ),
            ),
            OpenApiParameter(
                "level",
                str,
                many=True,
                enum=Level.values,
                description=_("Only nodes of these levels (repeat it for several)."),
            ),
        ],
        responses={
            200: ChainSerializer,
            404: error_response(_("No such initiative in the caller's organisation.")),
        },
    )
    def get(self, request):
        """Nodes in level order (activity first), then by id, and the links between them."""
        organisation = self.get_organisation()
        initiative, levels = _chain_params(request.query_params)
        if initiative is not None:
            initiative = selectors.initiative_by_id(organisation=organisation, pk=initiative)
        nodes, links = selectors.chain_rows(
            organisation=organisation, initiative=initiative, levels=levels
        )
        return Response(chain_answer(nodes, links))


def _chain_params(query) -> tuple[int | None, list[str] | None]:
    errors: dict[str, list[str]] = {}
    initiative = query.get("initiative")
    if initiative is not None and not re.fullmatch(ID_PATTERN, initiative):
        errors["initiative"] = [gettext("Use the id of an initiative, a whole number.")]
    levels = query.getlist("level")
    wrong = [level for level in levels if level not in Level.values]
    if wrong:
        errors["level"] = [gettext("Use one of: activity, output, outcome, impact.")]
    if errors:
        raise ValidationError(errors)
    return (int(initiative) if initiative is not None else None), (levels or None)
