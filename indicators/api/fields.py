"""Strict JSON fields the serializers share: numbers, strings, integers, booleans, codes,
members, and nested parts replaced whole; ids and dates of the apps above (paths, filters,
bodies)."""

import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError

from accounts.selectors import member_by_username
from core.api import OrganisationScopedMixin
from core.dates import iso_date

from ..models import CODE_VALIDATOR
from ..services.ingest import is_number


class JsonNumberField(serializers.FloatField):
    """A finite JSON number: numeric strings, booleans, NaN and infinities are refused."""

    default_error_messages = {"invalid": _("A finite JSON number is required.")}

    def to_internal_value(self, data):
        if not is_number(data):
            self.fail("invalid")
        return float(data)


class JsonStringField(serializers.CharField):
    """A JSON string: DRF's CharField would also take 0 or 1.5 and store "0" or "1.5"."""

    default_error_messages = {"invalid": _("A JSON string is required.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonIntegerField(serializers.IntegerField):
    """A JSON integer: DRF's IntegerField would also take "5", 5.0 and true."""

    default_error_messages = {"invalid": _("A JSON integer is required.")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonBooleanField(serializers.BooleanField):
    """true or false: DRF's BooleanField would also take 0, 1, "yes" and "on"."""

    default_error_messages = {"invalid": _("true or false is required.")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class WholePartSerializer(serializers.Serializer):
    """A nested part that is always replaced whole, so its required fields stay required in PATCH.

    DRF skips required-field checks in every nested serializer of a partial update.
    """

    def validate(self, attrs):
        missing = {
            name: [field.error_messages["required"]]
            for name, field in self.fields.items()
            if field.required and field.source not in attrs
        }
        if missing:
            raise ValidationError(missing)
        return attrs


class MemberField(JsonStringField):
    """A person of the caller's organisation, by username (null: nobody)."""

    default_error_messages = {
        "unknown": _("No member of the organisation has the username '{username}'.")
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "The username of a member of the organisation, or null.")
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value):
        return value.username

    def to_internal_value(self, data):
        username = super().to_internal_value(data)
        self.run_validators(username)  # a NUL is refused here, before it reaches the database
        organisation = self.context["view"].get_organisation()
        user = member_by_username(organisation=organisation, username=username)
        if user is None:
            self.fail("unknown", username=username)
        return user


CODE_PATTERN = "[a-z][a-z0-9_]{0,62}"


@extend_schema_field({"type": "string", "pattern": f"^{CODE_PATTERN}$", "maxLength": 63})
class CodeField(JsonStringField):
    """An indicator code: lowercase letters, digits and underscores, starting with a letter."""

    default_error_messages = {"invalid": CODE_VALIDATOR.message}

    def __init__(self, **kwargs):
        # "x\n" is not a code: trimming it to "x" would accept what the schema's pattern refuses.
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        # fullmatch: a `$` would let a trailing newline through.
        if not re.fullmatch(CODE_PATTERN, text):
            self.fail("invalid")
        return text


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


class ScopedByIdViewSet(
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
