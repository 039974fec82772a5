"""Tell the owner and the webhooks when a deviation opens.

The recompute opens a deviation with `notified_at` None (created, or reopened by data). After
each recompute commit, a values-changed hook (`wake_on_values_changed`, registered in
`IndicatorsConfig.ready()`) enqueues `notify_opened_deviations` when some deviation waits; a
periodic run is the safety net. In one transaction per batch it queues a notification for the
owner, one `WebhookDelivery` per active webhook of the organisation, and sets `notified_at`
(rows locked, skip locked: two workers never tell twice). After commit it wakes the mail sender
once and enqueues the deliveries, so a rebuild that opened 500 deviations sends one mail per
person (`notifications.send_pending` groups) and one delivery per deviation and webhook.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.wake import wake

from ..charts import period_label
from ..models import Deviation, DeviationState, NotificationKind, Webhook, WebhookDelivery
from .notifications import notify, wake_sender
from .webhooks import enqueue_deliveries

logger = logging.getLogger(__name__)
NOTIFY_TASK = "indicators.tasks.notify_deviations"
EVENT_OPENED = "deviation.opened"
BATCH = 500


def awaiting_notice():
    """Open deviations whose opening nobody was told of yet (a partial index covers it)."""
    return Deviation.objects.filter(notified_at__isnull=True, state=DeviationState.OPEN)


def wake_if_awaiting() -> None:
    """After a recompute commits: enqueue the notifier if some deviation waits (one cheap
    query)."""
    if awaiting_notice().exists():
        wake(NOTIFY_TASK)


def notify_opened_deviations(*, batch: int = BATCH) -> int:
    """Tell the owner and every active webhook of each deviation awaiting notice; returns how
    many deviations were told of. Mails and deliveries go out after the last batch commits."""
    told, delivery_ids = 0, []
    while True:
        with transaction.atomic():
            deviations = list(_claim(batch))
            if deviations:
                delivery_ids += _tell(deviations)
        told += len(deviations)
        if len(deviations) < batch:
            break
    if told:
        transaction.on_commit(lambda: _after_commit(delivery_ids))
        logger.info("deviations told=%d deliveries=%d", told, len(delivery_ids))
    return told


def _after_commit(delivery_ids: list[int]) -> None:
    wake_sender()
    enqueue_deliveries(delivery_ids)


def _claim(batch: int) -> list[Deviation]:
    return (
        awaiting_notice()
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("indicator__organisation", "owner")
        .order_by("id")[:batch]
    )


def _tell(deviations: list[Deviation]) -> list[int]:
    """Notifications, deliveries and `notified_at` of one batch (in the caller's transaction)."""
    now = timezone.now()
    organisations = {d.indicator.organisation_id for d in deviations}
    webhooks: dict[int, list[Webhook]] = {}
    for webhook in Webhook.objects.filter(organisation_id__in=organisations, active=True):
        webhooks.setdefault(webhook.organisation_id, []).append(webhook)
    deliveries = []
    for deviation in deviations:
        _notify_owner(deviation)
        payload = deviation_payload(deviation, now)
        deliveries += [
            WebhookDelivery(webhook=w, event=EVENT_OPENED, payload=payload)
            for w in webhooks.get(deviation.indicator.organisation_id, [])
        ]
    created = WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in created:
        delivery.payload = {**delivery.payload, "id": delivery.pk}
    WebhookDelivery.objects.bulk_update(created, ["payload"])
    Deviation.objects.filter(pk__in=[d.pk for d in deviations]).update(notified_at=now)
    return [d.pk for d in created]


def deviation_url(deviation: Deviation) -> str:
    return reverse("deviation-detail", args=[deviation.pk])


def _notify_owner(deviation: Deviation) -> None:
    indicator = deviation.indicator
    with translation.override(indicator.organisation.language):
        subject, body = opened_message(deviation)
    notify(
        organisation=indicator.organisation,
        user=deviation.owner,
        kind=NotificationKind.DEVIATION_OPENED,
        subject=subject,
        body=body,
        url=deviation_url(deviation),
        deviation=deviation,
        indicator=indicator,
        wake=False,
    )


def opened_message(deviation: Deviation) -> tuple[str, str]:
    """Subject and body in the active language, e.g. "Fast Quote is outside its band in
    week 9, 2026: corrective action"."""
    indicator = deviation.indicator
    subject = _("%(indicator)s is outside its band in %(period)s: %(kind)s") % {
        "indicator": indicator.name,
        "period": period_label(deviation.period_start, deviation.period),
        "kind": deviation.get_kind_display(),
    }
    unit = f" {indicator.unit}" if indicator.unit else ""
    lines = [
        _("Value: %(value)s%(unit)s") % {"value": _number(deviation.value), "unit": unit},
        _("Band: %(low)s … %(high)s%(unit)s")
        % {
            "low": _number(deviation.band_low, "−∞"),
            "high": _number(deviation.band_high, "∞"),
            "unit": unit,
        },
        _("Agreed action: %(action)s") % {"action": deviation.action or "—"},
    ]
    return subject, "\n  ".join(lines)


def _number(value: float | None, missing: str = "—") -> str:
    return missing if value is None else floatformat(value, "-2g")


def deviation_payload(deviation: Deviation, now) -> dict:
    """The `deviation.opened` event's JSON (the delivery id is added once the row exists)."""
    indicator, owner = deviation.indicator, deviation.owner
    return {
        "event": EVENT_OPENED,
        "id": None,
        "created_at": now.isoformat(),
        "organisation": indicator.organisation.slug,
        "deviation": {
            "id": deviation.pk,
            "indicator": indicator.code,
            "indicator_name": indicator.name,
            "period": deviation.period,
            "period_start": deviation.period_start.isoformat(),
            "kind": deviation.kind,
            "value": deviation.value,
            "band_low": deviation.band_low,
            "band_high": deviation.band_high,
            "action": deviation.action,
            "owner": owner.get_username() if owner else None,
            "url": settings.SITE_URL + deviation_url(deviation),
        },
    }
