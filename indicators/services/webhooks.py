"""Outbound webhooks: signed JSON POSTs of the metric pipe's events, with retries and a log.

A delivery is one event for one webhook; its `payload` is the JSON body, serialised the same way
on every attempt (sorted keys, no spaces), so a retry or "send again" sends the identical bytes
with a fresh signature:

    X-Outcome-Chain-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

The timestamp is inside the signed content, so a receiver can refuse a replayed request
(docs/webhooks.md). An answer 2xx is success; anything else, a redirect or a network error is a
failed attempt, retried with exponential back-off (`retry_in`) until WEBHOOK_MAX_ATTEMPTS, then
the delivery is failed. The attempts are counted on the row, not in the message, so a lost
message is picked up by `sweep_lost_deliveries` where it stopped. Delivery is at least once:
receivers deduplicate by `X-Outcome-Chain-Delivery`.

No HTTP library beyond the standard one: the package installs no client, and one POST needs none.
The secret is never logged.
"""

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.wake import wake

from ..models import DeliveryState, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)
DELIVER_TASK = "indicators.tasks.deliver_webhook"
SCHEMES = ("http", "https")
ERROR_LENGTH = 500


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def check_url(url: str) -> str:
    """The URL stripped, or ValidationError naming `url` unless it is an http(s) address."""
    url = (url or "").strip()
    try:
        URLValidator(schemes=list(SCHEMES))(url)
    except ValidationError:
        raise ValidationError(
            {"url": _("Enter a web address that starts with http:// or https://.")}
        ) from None
    return url


def create_webhook(*, organisation, name: str, url: str, active: bool = True) -> Webhook:
    """A webhook with a new random secret; ValidationError naming the field for a bad name/URL."""
    webhook = Webhook(organisation=organisation, secret=new_secret())
    return _save(webhook, name=name, url=url, active=active)


def update_webhook(*, webhook: Webhook, name: str, url: str, active: bool) -> Webhook:
    return _save(webhook, name=name, url=url, active=active)


def _save(webhook: Webhook, *, name: str, url: str, active: bool) -> Webhook:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the webhook a name.")})
    webhook.name, webhook.url, webhook.active = name, check_url(url), active
    webhook.full_clean(exclude=["organisation", "secret"])
    webhook.save()
    return webhook


def rotate_secret(*, webhook: Webhook) -> Webhook:
    """A new random secret (the old one leaked, or a receiver changes hands); every later
    attempt, "send again" too, is signed with it."""
    webhook.secret = new_secret()
    webhook.save(update_fields=["secret"])
    return webhook


def delete_webhook(*, webhook: Webhook) -> None:
    """Delete the webhook and its delivery log."""
    webhook.delete()


def body_of(payload: dict) -> bytes:
    """The exact bytes POSTed: the same for every attempt of a delivery (jsonb reorders keys)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 over "<timestamp>.<body>" with the secret."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def retry_in(attempts: int) -> int:
    """Seconds before the next attempt after `attempts` failed ones: base x 2^(attempts - 1),
    at most WEBHOOK_RETRY_MAX_SECONDS (base 30: 30, 60, 120, ... seconds)."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_SECONDS)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt did; `retry_in` is None when no further attempt is due."""

    delivered: bool
    status: int | None
    error: str
    retry_in: int | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a success: a POST is never re-sent elsewhere."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict) -> tuple[int | None, str]:
    """POST `body`; returns (HTTP status or None, error text or "")."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, _("The receiver answered %(status)s.") % {"status": error.code}
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or error
        return None, str(reason)[:ERROR_LENGTH] or error.__class__.__name__


def attempt_delivery(*, delivery_id: int, once: bool = False) -> Attempt | None:
    """Make one attempt of a pending delivery (`once`: of any delivery, and no retry after it).

    The row is locked for the attempt (skip locked: a duplicate message does nothing while one
    attempt runs), so two workers never send the same delivery at the same moment. Returns None
    when there is nothing to do (gone, settled, or being attempted)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("webhook")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or (delivery.state != DeliveryState.PENDING and not once):
            return None
        return _attempt(delivery, once=once)


def _attempt(delivery: WebhookDelivery, *, once: bool) -> Attempt:
    webhook = delivery.webhook
    timestamp = int(time.time())
    body = body_of(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "OutcomeChain-Webhook/1",
        "X-Outcome-Chain-Event": delivery.event,
        "X-Outcome-Chain-Delivery": str(delivery.pk),
        "X-Outcome-Chain-Signature": signature(webhook.secret, timestamp, body),
    }
    status, error = post(webhook.url, body, headers)
    delivered = status is not None and 200 <= status < 300
    delivery.attempts += 1
    delivery.last_status, delivery.last_error = status, "" if delivered else error
    wait = None
    if delivered:
        delivery.state, delivery.delivered_at = DeliveryState.SUCCEEDED, timezone.now()
    elif once or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.state = DeliveryState.FAILED
    else:
        delivery.state, wait = DeliveryState.PENDING, retry_in(delivery.attempts)
    delivery.save(update_fields=["attempts", "last_status", "last_error", "state", "delivered_at"])
    logger.info(
        "webhook attempt delivery=%s webhook=%s status=%s delivered=%s attempts=%d",
        delivery.pk,
        webhook.pk,
        status,
        delivered,
        delivery.attempts,
    )
    return Attempt(delivered, status, delivery.last_error, wait)


def send_again(*, delivery: WebhookDelivery) -> None:
    """Queue one more attempt of `delivery`: the same payload and id, a fresh signature."""
    transaction.on_commit(lambda: enqueue_deliveries([delivery.pk], once=True))


def enqueue_deliveries(delivery_ids, *, once: bool = False) -> None:
    """Wake a worker for each delivery; if the broker is down, the sweep sends them later."""
    for delivery_id in delivery_ids:
        if not wake(DELIVER_TASK, delivery_id, once=once):
            return


def lost_deliveries(now=None) -> list[int]:
    """Pending deliveries whose message must have been lost: never attempted for
    WEBHOOK_SWEEP_AFTER_SECONDS, or older than every retry together would take."""
    now = now or timezone.now()
    schedule = sum(retry_in(n) for n in range(1, settings.WEBHOOK_MAX_ATTEMPTS))
    never = now - timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS)
    stuck = never - timedelta(
        seconds=schedule + settings.WEBHOOK_TIMEOUT_SECONDS * settings.WEBHOOK_MAX_ATTEMPTS
    )
    pending = WebhookDelivery.objects.filter(state=DeliveryState.PENDING)
    return list(
        pending.filter(attempts=0, created_at__lt=never).values_list("pk", flat=True)[:1000]
    ) + list(
        pending.filter(attempts__gt=0, created_at__lt=stuck).values_list("pk", flat=True)[:1000]
    )


def sweep_lost_deliveries() -> int:
    """Enqueue the lost deliveries again (periodic); returns how many."""
    ids = lost_deliveries()
    enqueue_deliveries(ids)
    return len(ids)
