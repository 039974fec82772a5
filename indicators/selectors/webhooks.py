"""Webhooks and their deliveries: the admin pages' reads."""

from django.db.models import OuterRef, QuerySet, Subquery

from accounts.models import Organisation
from core.errors import NotFound

from ..models import Webhook, WebhookDelivery


def webhooks_of(*, organisation: Organisation) -> QuerySet[Webhook]:
    """The organisation's webhooks, each with its last delivery's state and time."""
    last = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-id")
    return Webhook.objects.filter(organisation=organisation).annotate(
        last_state=Subquery(last.values("state")[:1]),
        last_delivery_at=Subquery(last.values("created_at")[:1]),
    )


def webhook_by_id(*, organisation: Organisation, pk: int) -> Webhook:
    webhook = Webhook.objects.filter(organisation=organisation, pk=pk).first()
    if webhook is None:
        raise NotFound(f"webhook {pk}")
    return webhook


def webhook_deliveries_of(*, webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """Newest first."""
    return webhook.deliveries.order_by("-created_at", "-id")


def webhook_delivery_by_id(*, organisation: Organisation, pk: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.filter(webhook__organisation=organisation, pk=pk)
        .select_related("webhook")
        .first()
    )
    if delivery is None:
        raise NotFound(f"webhook delivery {pk}")
    return delivery
