"""`Idempotency-Key` for POST endpoints: a retried request gets the first answer again.

Rule (DESIGN section 6): the same key with the same body within `IDEMPOTENCY_TTL` (24 h) answers
the first answer again, status and body, without doing the work twice; the same key with a
different body answers 409. A replayed answer carries `Idempotent-Replayed: true`, so a client
can tell "written now" from "written by the earlier request". Only 200 and 400 are remembered: they are the answer to that body,
whereas a 413 or a 503 may go differently when retried. Records are scoped by (organisation,
endpoint, key), the endpoint being the request path, so one key never replays another endpoint's
answer. Expired records are forgotten when read and swept by the beat (`core.tasks`).

    def post(self, request):
        return idempotent_answer(
            request, organisation_id=org.pk, answer=lambda: (200, {"created": 1})
        )
"""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from .api import error
from .db import storable
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"  # "true" on an answer given again, not worked out anew
REMEMBERED_STATUSES = frozenset({200, 400})
KEY_LENGTH = IdempotencyRecord._meta.get_field("key").max_length
ENDPOINT_LENGTH = IdempotencyRecord._meta.get_field("endpoint").max_length


def idempotent_answer(
    request, *, organisation_id: int, answer: Callable[[], tuple[int, dict]]
) -> Response:
    """`answer()` -> (status, payload) as a Response, replayed or remembered per `HEADER`."""
    key = request.headers.get(HEADER)
    if not key:
        status_code, payload = answer()
        return Response(payload, status=status_code)
    scope = {"organisation_id": organisation_id, "endpoint": request.path, "key": key}
    digest = body_digest(request.body)  # once: a 10,000-item body is about a megabyte
    replay = replayed(**scope, digest=digest)
    if replay is not None:
        return replay
    status_code, payload = answer()
    if status_code in REMEMBERED_STATUSES:
        payload = storable(payload)  # the first answer and its replays alike
        remember(**scope, digest=digest, status_code=status_code, payload=payload)
    return Response(payload, status=status_code)


def replayed(*, organisation_id: int, endpoint: str, key: str, digest: str) -> Response | None:
    """The remembered answer for this key, a 409 for another body, or None (not seen, expired)."""
    record = IdempotencyRecord.objects.filter(
        organisation_id=organisation_id, endpoint=endpoint[:ENDPOINT_LENGTH], key=key[:KEY_LENGTH]
    ).first()
    if record is None:
        return None
    if timezone.now() - record.created_at > settings.IDEMPOTENCY_TTL:
        record.delete()
        return None
    if record.body_digest != digest:
        return Response(
            {"errors": [error(HEADER, _("This key was used with a different body."))]},
            status=status.HTTP_409_CONFLICT,
        )
    answer = Response(record.response, status=record.status_code)
    answer[REPLAYED_HEADER] = "true"
    return answer


def remember(
    *,
    organisation_id: int,
    endpoint: str,
    key: str,
    digest: str,
    status_code: int,
    payload: dict,
) -> None:
    """Store the first answer to (organisation, endpoint, key); a concurrent first one wins."""
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                organisation_id=organisation_id,
                endpoint=endpoint[:ENDPOINT_LENGTH],
                key=key[:KEY_LENGTH],
                body_digest=digest,
                status_code=status_code,
                response=payload,
            )
    except IntegrityError:
        pass  # a concurrent request with the same key stored its answer first


def sweep_expired() -> int:
    """Delete the records older than `IDEMPOTENCY_TTL`; returns how many."""
    cutoff = timezone.now() - settings.IDEMPOTENCY_TTL
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def body_digest(body: bytes) -> str:
    """SHA-256 of the request body, as stored with the first answer."""
    return hashlib.sha256(body).hexdigest()
