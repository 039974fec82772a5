"""What the chain's serializers and views share: ids, dates, the `confirm` of a delete."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError

from core.api import OrganisationScopedMixin

# The ids and dates of every app's API live in indicators.api.fields; re-exported here
# for this app's serializers and views.
from indicators.api.fields import (  # noqa: F401
    ID_PARAMETER_SCHEMA,
    ID_PATTERN,
    MAX_ID,
    IdField,
    IdFilter,
    IdFormField,
    IsoDateField,
)

ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The object's id.")
)
# The detail operations: an integer id in the schema, matched by ID_PATTERN in the route.
DETAIL_SCHEMA = {
    name: extend_schema(parameters=[ID_PARAMETER])
    for name in ("retrieve", "partial_update", "destroy")
}

CONFIRM_PARAMETER = OpenApiParameter(
    "confirm",
    OpenApiTypes.BOOL,
    description=_("true: delete even so (see the refusal this delete gives without it)."),
)


def confirm_of(request) -> bool:
    """`?confirm=true|false` (absent: false); anything else is a 400 naming `confirm`."""
    text = request.query_params.get("confirm")
    if text is None:
        return False
    if text not in ("true", "false"):
        raise ValidationError({"confirm": [_("Use true or false.")]})
    return text == "true"


class ChainViewSet(
    OrganisationScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Create, list, read, PATCH and DELETE objects of the caller's organisation by id."""

    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
