"""Documentation-only serializers and examples: the responses bulk push and its answers.

The responses view decodes its body itself (one pass over up to 10,000 items) and lists answer
straight from the models; these serializers only tell the OpenAPI schema, and so generated
clients, what those shapes are. Limits mirror `services.responses`.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_field
from rest_framework import serializers

from indicators.schema import IngestCountsSerializer  # noqa: F401 (the same counts)

from .services.responses import ATTRIBUTE_VALUE_MAX, RESPONDENT_MAX, TEXT_ANSWER_MAX

ATTRIBUTE_SCHEMA = {
    "oneOf": [
        {"type": "string", "minLength": 1, "maxLength": ATTRIBUTE_VALUE_MAX},
        {"type": "number"},
    ],
    "nullable": True,
}
ANSWER_SCHEMA = {
    "oneOf": [{"type": "integer"}, {"type": "string", "maxLength": TEXT_ANSWER_MAX}],
    "nullable": True,
}


@extend_schema_field({"type": "object", "additionalProperties": ATTRIBUTE_SCHEMA})
class AttributesField(serializers.DictField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": ANSWER_SCHEMA})
class AnswersField(serializers.DictField):
    pass


@extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "string", "maxLength": ATTRIBUTE_VALUE_MAX}}
)
class StoredAttributesField(serializers.DictField):
    pass


class ResponseItemSerializer(serializers.Serializer):
    respondent = serializers.CharField(
        min_length=1,
        max_length=RESPONDENT_MAX,
        help_text=_("The respondent's id in the survey tool; one response per respondent."),
    )
    submitted_at = serializers.CharField(
        help_text=_(
            "ISO-8601 timestamp with an offset or Z, or a bare date (the start of that day in "
            "the organisation's time zone); at most a day in the future."
        )
    )
    attributes = AttributesField(
        required=False,
        allow_null=True,
        help_text=_(
            "Background variables, flat {name: string or number}; numbers are kept as text, "
            "null means not given."
        ),
    )
    answers = AnswersField(
        required=False,
        allow_null=True,
        help_text=_(
            "{question code: answer}: a whole number on the question's scale, a string for "
            "free-text questions, or null for a skipped answer (never counted)."
        ),
    )


class ResponseBatchSerializer(serializers.Serializer):
    responses = ResponseItemSerializer(many=True)
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text=_("Validate and count, write nothing.")
    )


class StoredResponseSerializer(serializers.Serializer):
    respondent = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    local_date = serializers.DateField(
        help_text=_("The day it was submitted, in the organisation's time zone.")
    )
    attributes = StoredAttributesField()
    answers = AnswersField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


SURVEY_EXAMPLE = OpenApiExample(
    "A relationship NPS survey with a CSAT question",
    request_only=True,
    value={
        "code": "relationship",
        "name": "Relationship survey",
        "kind": "customer",
        "min_n": 30,
        "questions": [
            {
                "code": "nps",
                "text": "How likely are you to recommend us to a friend or colleague?",
                "texts": {
                    "sv": "Hur troligt är det att du skulle rekommendera oss?",
                    "fi": "Kuinka todennäköisesti suosittelisit meitä?",
                },
                "type": "nps",
                "indicator": None,
            },
            {"code": "satisfied", "text": "How satisfied are you with us?", "type": "csat"},
            {
                "code": "why",
                "text": "What is the main reason for your score?",
                "type": "text",
            },
        ],
    },
)
SURVEY_CHANGES_EXAMPLE = OpenApiExample(
    "Rename it and add a question",
    request_only=True,
    value={
        "name": "Relationship survey 2026",
        "questions": [
            {"code": "effort", "text": "How easy was it to get help?", "type": "ces"},
        ],
    },
)
RESPONSES_EXAMPLE = OpenApiExample(
    "Two responses, one with a skipped answer",
    request_only=True,
    value={
        "responses": [
            {
                "respondent": "r-1042",
                "submitted_at": "2026-03-02T10:15:00+02:00",
                "attributes": {"unit": "north", "customer_contact": "yes", "tenure": 3},
                "answers": {"nps": 9, "satisfied": 5, "why": "Quick answers"},
            },
            {
                "respondent": "r-1043",
                "submitted_at": "2026-03-02",
                "attributes": {"unit": "south"},
                "answers": {"nps": 6, "satisfied": None},
            },
        ],
        "dry_run": False,
    },
)
