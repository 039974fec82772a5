"""Tell people what the metric pipe found: the notifications outbox.

`notify` writes a Notification row in the caller's transaction and, after commit, wakes the
sender by the task's registered name (no service imports the tasks). The sender gathers every
unsent notification of each person who wants them at once into one mail, so a batch that
opened 500 deviations sends one mail per person, not 500; people who chose the daily digest get
theirs from the daily run. A lost wake-up delays a mail, never loses it: the rows wait.
"""

import logging
from collections import defaultdict

from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, NotifyChoice

from ..models import Notification

logger = logging.getLogger(__name__)
SEND_TASK = "indicators.tasks.send_notifications"


def notify(
    *,
    organisation,
    user,
    kind: str,
    subject: str,
    body: str = "",
    url: str = "",
    deviation=None,
    indicator=None,
) -> Notification | None:
    """Queue one message for `user` (None: nobody to tell, nothing queued)."""
    if user is None:
        return None
    notification = Notification.objects.create(
        organisation=organisation,
        user=user,
        kind=kind,
        subject=subject[:300],
        body=body,
        url=url,
        deviation=deviation,
        indicator=indicator,
    )
    transaction.on_commit(wake_sender)
    return notification


def wake_sender() -> None:
    """Wake the sender after commit; if the broker is down, the periodic run sends later."""
    try:
        current_app.tasks[SEND_TASK].delay()
    except Exception:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.warning("notification wake-up failed; the periodic run sends later", exc_info=True)


def send_pending(*, digest: bool = False) -> int:
    """Send every unsent notification of people who want them at once (`digest`: of people who
    chose the daily digest) as one mail per person and organisation; returns mails sent."""
    choice = NotifyChoice.DAILY if digest else NotifyChoice.IMMEDIATE
    pending = Notification.objects.filter(sent_at__isnull=True).select_related(
        "user", "organisation"
    )
    by_person = defaultdict(list)
    for notification in pending:
        by_person[(notification.user_id, notification.organisation_id)].append(notification)
    choices = _choices(by_person)
    sent = 0
    for key, notifications in by_person.items():
        wanted = choices.get(key, NotifyChoice.IMMEDIATE)
        if wanted == NotifyChoice.OFF:
            _mark_sent(notifications)
        elif wanted == choice:
            sent += _send_one_mail(notifications)
    return sent


def _choices(by_person: dict) -> dict:
    users = {user_id for user_id, _ in by_person}
    rows = Membership.objects.filter(user_id__in=users).values_list(
        "user_id", "organisation_id", "notify"
    )
    return {(user_id, org_id): notify for user_id, org_id, notify in rows}


def _mark_sent(notifications: list[Notification]) -> None:
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(sent_at=timezone.now())


def _send_one_mail(notifications: list[Notification]) -> int:
    """One mail with all of one person's notifications, in the organisation's language."""
    user, organisation = notifications[0].user, notifications[0].organisation
    if not user.email:
        _mark_sent(notifications)
        return 0
    with translation.override(organisation.language):
        if len(notifications) == 1:
            subject = notifications[0].subject
        else:
            subject = ngettext(
                "%(count)d new item from Outcome Chain",
                "%(count)d new items from Outcome Chain",
                len(notifications),
            ) % {"count": len(notifications)}
        body = render_to_string(
            "indicators/mail/notifications.txt",
            {
                "user": user,
                "organisation": organisation,
                "notifications": notifications,
                "base_url": settings.SITE_URL,
                "greeting": _("Hello"),
            },
        )
    send_mail(subject, body, None, [user.email])
    _mark_sent(notifications)
    return 1
