"""What the CPI evidence's serializers and views share: ids, dates, codes resolved to indicators,
and the viewset base (the same shape as the results chain's, which sits above this app)."""

import re

import django_filters
from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field

from core.errors import NotFound
from indicators import selectors as indicator_selectors

# The ids and dates of every app's API live in indicators.api.fields; re-exported here
# for this app's serializers and views.
from indicators.api.fields import (  # noqa: F401
    CODE_PATTERN,
    ID_PARAMETER_SCHEMA,
    ID_PATTERN,
    MAX_ID,
    IdField,
    IdFilter,
    IdFormField,
    IsoDateField,
    ScopedByIdViewSet,
)


class CodeFormField(forms.CharField):
    """An indicator code, exactly (no trimming: "x\\n" is not "x")."""

    def __init__(self, **kwargs):
        super().__init__(strip=False, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if not re.fullmatch(CODE_PATTERN, value):
            raise forms.ValidationError(_("Use an indicator code."))
        return value


@extend_schema_field({"type": "string", "pattern": f"^{CODE_PATTERN}$", "maxLength": 63})
class CodeFilter(django_filters.CharFilter):
    """Filter by an indicator's code; what cannot be a code is a 400 (an unknown one finds
    nothing)."""

    field_class = CodeFormField


ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The object's id.")
)
# The detail operations: an integer id in the schema, matched by ID_PATTERN in the route.
DETAIL_SCHEMA = {
    name: extend_schema(parameters=[ID_PARAMETER])
    for name in ("retrieve", "update", "partial_update", "destroy")
}


def indicator_of(organisation, code: str, field: str, errors: dict):
    """The indicator of `organisation` with `code`, or None with an error naming `field`."""
    try:
        return indicator_selectors.indicator_by_code(organisation=organisation, code=code)
    except NotFound:
        errors[field] = [gettext("No indicator '%(code)s' in the organisation.") % {"code": code}]
        return None


def author_of(request):
    """The signed-in person, or None for an API key."""
    user = request.user
    return user if getattr(user, "api_key", None) is None and user.is_authenticated else None


def iso(day) -> str | None:
    return day.isoformat() if day else None


EvidenceViewSet = ScopedByIdViewSet  # the evidence's objects: by id, scoped
