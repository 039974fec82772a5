"""What the chain's serializers and views share: ids, dates, the `confirm` of a delete."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError

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
    ScopedByIdViewSet,
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


ChainViewSet = ScopedByIdViewSet  # the chain's objects: by id, scoped
