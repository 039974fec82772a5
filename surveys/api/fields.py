"""Strict JSON fields of the survey API: survey and question codes, attribute names, wording.

The generic strict fields (strings, integers, booleans, indicator codes, dates) are the
indicators API's, re-exported here for this app's serializers and views.
"""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from indicators.api.fields import (  # noqa: F401
    CODE_PATTERN,
    CodeField,
    IsoDateField,
    JsonBooleanField,
    JsonIntegerField,
    JsonStringField,
    WholePartSerializer,
)

from ..models import LANGUAGES, Question
from ..services.surveys import ATTRIBUTE_MAX, CODE_MAX

# A survey or question code, an attribute name: a slug of 1-50 characters.
SLUG_PATTERN = "[-a-zA-Z0-9_]{1,50}"
TEXT_MAX = Question._meta.get_field("text").max_length


@extend_schema_field({"type": "string", "pattern": f"^{SLUG_PATTERN}$", "maxLength": CODE_MAX})
class SlugCodeField(JsonStringField):
    """A survey's or question's code, or an attribute's name: letters, digits, - and _."""

    default_error_messages = {"invalid": _("Use 1-50 letters, digits, hyphens or underscores.")}

    def __init__(self, **kwargs):
        # "x\n" is not a code: trimming it to "x" would accept what the schema's pattern refuses.
        super().__init__(trim_whitespace=False, max_length=ATTRIBUTE_MAX, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if not re.fullmatch(SLUG_PATTERN, text):
            self.fail("invalid")
        return text


class WordingField(JsonStringField):
    """A question's wording: 1-500 characters, no NUL."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", TEXT_MAX)
        super().__init__(**kwargs)


class TextsSerializer(serializers.Serializer):
    """The wording per language; a missing or empty one falls back to `text`."""

    def get_fields(self):
        return {language: WordingField(required=False, allow_blank=True) for language in LANGUAGES}
