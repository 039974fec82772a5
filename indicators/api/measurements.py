"""The bulk push of measurements, idempotent by key."""

import msgspec
from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from core.api import error, json_body, organisation_of
from core.idempotency import idempotent_answer
from core.parsers import TOO_DEEP
from core.schema import error_response

from .. import services
from ..schema import MEASUREMENTS_EXAMPLE, IngestCountsSerializer, MeasurementBatchSerializer


class MeasurementsView(APIView):
    """Bulk push of measurements; validated whole, written whole or not at all."""

    @extend_schema(
        request=MeasurementBatchSerializer,
        examples=[MEASUREMENTS_EXAMPLE],
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="The same key with the same body within 24 h answers the first "
                "answer again; with a different body, 409.",
            )
        ],
        responses={
            200: IngestCountsSerializer,
            409: error_response("The Idempotency-Key was used with a different body."),
            413: error_response("More than 10,000 items in one request."),
        },
    )
    def post(self, request):
        organisation = organisation_of(request)
        body = json_body(request)
        return idempotent_answer(
            request, organisation_id=organisation.pk, answer=lambda: _ingest(organisation, body)
        )


def _ingest(organisation, body: bytes) -> tuple[int, dict]:
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        return 400, {"errors": [error("", f"Malformed JSON: {exc}")]}
    except RecursionError:
        return 400, {"errors": [error("", TOO_DEEP)]}
    if not isinstance(document, dict) or not isinstance(document.get("measurements"), list):
        return 400, {"errors": [error("measurements", 'Send {"measurements": [...]}.')]}
    items, dry_run = document["measurements"], document.get("dry_run", False)
    if not isinstance(dry_run, bool):
        return 400, {"errors": [error("dry_run", "'dry_run' must be true or false.")]}
    if len(items) > settings.INGEST_MAX_ITEMS:
        return 413, {
            "errors": [
                error("measurements", f"At most {settings.INGEST_MAX_ITEMS} items per request.")
            ]
        }
    try:
        result = services.ingest_measurements(
            organisation=organisation, items=items, dry_run=dry_run
        )
    except services.IngestError as exc:
        return 400, {"errors": exc.errors}
    return 200, result.as_dict()
