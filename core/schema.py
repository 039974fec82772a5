"""The OpenAPI description of what every API endpoint shares: the error envelope and its answers.

`AutoSchema` (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS) adds to each operation the error answers it
can give, all with the envelope of `core.api.exception_handler`; an endpoint declares its own
extra ones (a 409 or 413) with `extend_schema(responses=...)` and `error_response(...)`.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(
        allow_null=True, help_text=_("Position of the bad item in a batch, or null.")
    )
    field = serializers.CharField(
        allow_blank=True,
        help_text=_("The field or parameter at fault, dotted; empty for the whole."),
    )
    message = serializers.CharField()


class ErrorEnvelopeSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)


def error_response(description) -> OpenApiResponse:
    """An error answer with the envelope `{"errors": [{"index", "field", "message"}]}`."""
    return OpenApiResponse(ErrorEnvelopeSerializer, description=description)


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the error answers common to every operation."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self._error_answers():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    error_response(description), code, direction=direction
                )
        return dict(sorted(responses.items()))

    def _error_answers(self) -> list[tuple[str, str]]:
        has_body = self.method in BODY_METHODS
        answers = []
        if has_body or self._has_input():
            answers.append(("400", _("Invalid input; the errors name each field at fault.")))
        answers += [
            ("401", _("No credentials, or an invalid or revoked API key.")),
            ("403", _("The caller may not do this (no organisation, or a viewer writing).")),
        ]
        if "{" in self.path or self._is_paginated_list():
            answers.append(
                ("404", _("No such object in the caller's organisation, or no such page."))
            )
        if has_body:
            answers.append(
                ("415", _("The body is not JSON (send Content-Type: application/json)."))
            )
        return answers

    def _has_input(self) -> bool:
        return bool(self._get_parameters())

    def _is_paginated_list(self) -> bool:
        return self._is_list_view() and self._get_paginator() is not None
