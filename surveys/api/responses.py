"""A survey's responses: the bulk push, idempotent by respondent, and the paginated list."""

import re

import msgspec
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView

from core.api import error, json_body, organisation_of
from core.dates import iso_date
from core.idempotency import idempotent_answer
from core.parsers import TOO_DEEP
from core.schema import error_response

from .. import selectors, services
from ..models import Response
from ..schema import (
    RESPONSES_EXAMPLE,
    IngestCountsSerializer,
    ResponseBatchSerializer,
    StoredResponseSerializer,
)
from ..services.responses import ATTRIBUTE_VALUE_MAX, RESPONDENT_MAX
from .fields import SLUG_PATTERN
from .surveys import CODE_PARAMETER

# name:value, the name an attribute name, the value 1-200 characters without NUL.
ATTRIBUTE_PARAMETER = rf"^{SLUG_PATTERN}:[^\x00]{{1,{ATTRIBUTE_VALUE_MAX}}}$"
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="The same key with the same body within 24 h answers the first answer again; "
    "with a different body, 409.",
)


class SurveyResponsesView(ListAPIView):
    """Bulk push of a survey's responses (validated whole, written whole or not at all), and
    the responses as stored, newest first."""

    serializer_class = StoredResponseSerializer

    @extend_schema(
        request=ResponseBatchSerializer,
        examples=[RESPONSES_EXAMPLE],
        parameters=[CODE_PARAMETER, IDEMPOTENCY_PARAMETER],
        responses={
            200: IngestCountsSerializer,
            409: error_response("The Idempotency-Key was used with a different body."),
            413: error_response("More than 10,000 items in one request."),
        },
    )
    def post(self, request, code):
        organisation = organisation_of(request)
        survey = selectors.survey_of(organisation, code)
        body = json_body(request)
        return idempotent_answer(
            request, organisation_id=organisation.pk, answer=lambda: _ingest(survey, body)
        )

    @extend_schema(
        parameters=[
            CODE_PARAMETER,
            OpenApiParameter(
                "respondent",
                str,
                description=_("Only this respondent's response."),
                pattern=rf"^[^\x00]{{1,{RESPONDENT_MAX}}}$",
            ),
            OpenApiParameter("from", OpenApiTypes.DATE, description=_("First local day.")),
            OpenApiParameter("to", OpenApiTypes.DATE, description=_("Last local day.")),
            OpenApiParameter(
                "attribute",
                str,
                description=_("name:value, e.g. unit:north (numbers as text: tenure:3)."),
                pattern=ATTRIBUTE_PARAMETER,
            ),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no survey
            return Response.objects.none()
        survey = selectors.survey_of(organisation_of(self.request), self.kwargs["code"])
        return selectors.response_page_queryset(survey, **_list_filters(self.request.query_params))


def _list_filters(query) -> dict:
    # A parameter that is sent must be valid, even empty: `?to=` is a mistake, not "no bound".
    errors: dict[str, list[str]] = {}
    filters = {}
    for name, target in (("from", "start"), ("to", "end")):
        text = query.get(name)
        if text is not None:
            try:
                filters[target] = iso_date(text)
            except ValueError:
                errors[name] = [_("Use a date, YYYY-MM-DD.")]
    respondent = query.get("respondent")
    if respondent is not None:
        if not 0 < len(respondent) <= RESPONDENT_MAX or "\x00" in respondent:
            errors["respondent"] = [_("Use a respondent id of 1-200 characters.")]
        else:
            filters["respondent"] = respondent
    attribute = query.get("attribute")
    if attribute is not None:
        if not re.fullmatch(ATTRIBUTE_PARAMETER, attribute):
            errors["attribute"] = [_("Use name:value, e.g. unit:north.")]
        else:
            filters["attribute"], filters["value"] = attribute.split(":", 1)
    if errors:
        raise ValidationError(errors)
    return filters


def _ingest(survey, body: bytes) -> tuple[int, dict]:
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        return 400, {"errors": [error("", _("Malformed JSON: %(error)s") % {"error": exc})]}
    except RecursionError:
        return 400, {"errors": [error("", TOO_DEEP)]}
    if not isinstance(document, dict) or not isinstance(document.get("responses"), list):
        return 400, {"errors": [error("responses", _('Send {"responses": [...]}.'))]}
    items, dry_run = document["responses"], document.get("dry_run", False)
    if not isinstance(dry_run, bool):
        return 400, {"errors": [error("dry_run", _("'dry_run' must be true or false."))]}
    if len(items) > settings.INGEST_MAX_ITEMS:
        message = _("At most %(max)s items per request.") % {"max": settings.INGEST_MAX_ITEMS}
        return 413, {"errors": [error("responses", message)]}
    try:
        result = services.ingest_responses(survey=survey, items=items, dry_run=dry_run)
    except services.ResponsesRefused as exc:
        return 400, {"errors": exc.errors}
    return 200, result.as_dict()
