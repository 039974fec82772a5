"""Chain links (the arrows): read one, and PATCH the hypothesis it cites.

An arrow is made and removed through its source node's `contributes_to`; here it only changes
the evidence it cites. `evidence` is the cited hypothesis's status, or null: "only drawn".
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError

from core.api import OrganisationScopedMixin
from core.errors import NotFound
from cpi import selectors as cpi_selectors
from cpi.compute.status import STATUSES

from .. import selectors, services
from .fields import ID_PARAMETER, ID_PATTERN, IdField


class ChainLinkSerializer(serializers.Serializer):
    """One arrow of the chain with the evidence it cites."""

    id = serializers.IntegerField(read_only=True)
    source = serializers.IntegerField(
        read_only=True, help_text=_("The id of the node that contributes.")
    )
    target = serializers.IntegerField(
        read_only=True, help_text=_("The id of the node it contributes to.")
    )
    hypothesis = IdField(
        allow_null=True,
        help_text=_(
            "The id of the hypothesis the arrow cites, or null. It must fit the arrow: its "
            "cause measures the source node and its effect measures the target node."
        ),
    )
    evidence = serializers.ChoiceField(
        choices=[(status, status) for status in STATUSES],
        read_only=True,
        allow_null=True,
        help_text=_("The cited hypothesis's status; null when the arrow cites none."),
    )

    def to_representation(self, link) -> dict:
        return link_answer(link)

    def validate(self, attrs) -> dict:
        """The service's arguments: the hypothesis id of this organisation resolved."""
        if "hypothesis" not in attrs:
            return {}
        pk = attrs["hypothesis"]
        if pk is None:
            return {"hypothesis": None}
        organisation = self.context["view"].get_organisation()
        try:
            hypothesis = cpi_selectors.hypothesis_by_id(organisation=organisation, hypothesis_id=pk)
        except NotFound:
            raise ValidationError(
                {"hypothesis": [gettext("No hypothesis %(id)s.") % {"id": pk}]}
            ) from None
        return {"hypothesis": hypothesis}


def link_answer(link) -> dict:
    """A `ChainLink` (with its hypothesis selected) as the API answers it (no queries)."""
    hypothesis = link.hypothesis
    return {
        "id": link.pk,
        "source": link.source_id,
        "target": link.target_id,
        "hypothesis": link.hypothesis_id,
        "evidence": hypothesis.status if hypothesis is not None else None,
    }


@extend_schema_view(
    retrieve=extend_schema(parameters=[ID_PARAMETER]),
    partial_update=extend_schema(parameters=[ID_PARAMETER]),
)
class ChainLinkViewSet(
    OrganisationScopedMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Arrows of the caller's organisation's chain, by id: read one, change what it cites."""

    serializer_class = ChainLinkSerializer
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return selectors.link_by_id(organisation=self.get_organisation(), pk=self.kwargs["pk"])

    def perform_update(self, serializer):
        link = serializer.instance
        if "hypothesis" in serializer.validated_data:
            services.cite_hypothesis(link=link, hypothesis=serializer.validated_data["hypothesis"])
        serializer.instance = self.get_object()
