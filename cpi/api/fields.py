"""What the CPI evidence's serializers and views share: ids, dates, codes resolved to indicators,
and the viewset base (the same shape as the results chain's, which sits above this app)."""

import re

import django_filters
from django import forms
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets

from core.api import OrganisationScopedMixin
from core.dates import iso_date
from core.errors import NotFound
from indicators import selectors as indicator_selectors
from indicators.api.fields import CODE_PATTERN, JsonIntegerField

# Ids are positive 64-bit integers; a path that cannot hold one is a 404 before any query.
MAX_ID = 2**63 - 1
# What a query parameter or path takes as an id: 1 to 18 digits, no leading zero.
ID_PATTERN = "[1-9][0-9]{0,17}"
ID_PARAMETER_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}


class IdField(JsonIntegerField):
    """The id of an object, a JSON integer >= 1."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class IsoDateField(serializers.DateField):
    """YYYY-MM-DD only: DRF's DateField also takes 20260301 and 2026-W09-7."""

    default_error_messages = {"invalid": _("Use a date, YYYY-MM-DD.")}

    def to_internal_value(self, value):
        try:
            return iso_date(value)
        except ValueError:
            self.fail("invalid")


class IdFormField(forms.IntegerField):
    """A whole number of ASCII digits (forms.IntegerField also takes "1.0" and "٣")."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not (isinstance(value, str) and re.fullmatch(ID_PATTERN, value)):
            raise forms.ValidationError(_("Use the id of an object, a whole number."))
        return int(value)


@extend_schema_field(ID_PARAMETER_SCHEMA)
class IdFilter(django_filters.Filter):
    """Filter by the id of a related object (an unknown id finds nothing)."""

    field_class = IdFormField


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
        errors[field] = [_g("No indicator '%(code)s' in the organisation.") % {"code": code}]
        return None


def author_of(request):
    """The signed-in person, or None for an API key."""
    user = request.user
    return user if getattr(user, "api_key", None) is None and user.is_authenticated else None


def iso(day) -> str | None:
    return day.isoformat() if day else None


class EvidenceViewSet(
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
