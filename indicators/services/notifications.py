"""Tell people what the metric pipe found: the notifications outbox.

`notify` writes a Notification row in the caller's transaction and, after commit, wakes the
sender by the task's registered name (no service imports the tasks). The sender gathers every
unsent notification of each person who wants them at once into one mail, so a batch that
opened 500 deviations sends one mail per person, not 500; people who chose the daily digest get
theirs from the daily run. A lost wake-up delays a mail, never loses it: the rows wait.

Each person's rows are locked while their mail goes out (skip locked), so the wake-up and the
periodic run never send the same rows twice; a mail server error leaves them for the next run.
Rows of someone who chose "never", left the organisation or has no address are settled unsent.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, NotifyChoice
from core.wake import wake

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
    wake: bool = True,
) -> Notification | None:
    """Queue one message for `user` (None: nobody to tell, nothing queued). `wake` False: the
    caller wakes the sender once for a whole batch (`wake_sender` after its commit)."""
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
    if wake:
        transaction.on_commit(wake_sender)
    return notification


def wake_sender() -> None:
    """Wake the sender after commit; if the broker is down, the periodic run sends later."""
    wake(SEND_TASK)


MAIL_ITEMS = 50  # a longer mail lists this many and points to the deviations inbox for the rest


def send_pending(*, digest: bool = False) -> int:
    """Send every unsent notification of people who want them at once (`digest`: of people who
    chose the daily digest) as one mail per person and organisation; returns mails sent."""
    choice = NotifyChoice.DAILY if digest else NotifyChoice.IMMEDIATE
    people = set(
        Notification.objects.filter(sent_at__isnull=True).values_list("user_id", "organisation_id")
    )
    choices = _choices(people)
    sent = 0
    for person in sorted(people):
        wanted = choices.get(person)  # None: no longer a member
        if wanted == choice:
            sent += _send_person(person, digest=digest)
        elif wanted in (None, NotifyChoice.OFF):
            _settle(person)
    return sent


def _choices(people: set) -> dict:
    rows = Membership.objects.filter(
        user_id__in={user_id for user_id, _org in people}, user__is_active=True
    ).values_list("user_id", "organisation_id", "notify")
    return {(user_id, org_id): notify for user_id, org_id, notify in rows}


def _unsent(person: tuple[int, int]):
    user_id, organisation_id = person
    return Notification.objects.filter(
        user_id=user_id, organisation_id=organisation_id, sent_at__isnull=True
    )


def _settle(person: tuple[int, int]) -> None:
    """Mark a person's rows done without a mail (they chose "never", or left)."""
    _unsent(person).update(sent_at=timezone.now())


def _send_person(person: tuple[int, int], *, digest: bool) -> int:
    """One mail with all unsent notifications of one person; 1 if a mail went out."""
    try:
        with transaction.atomic():
            notifications = list(
                _unsent(person)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("user", "organisation")
                .order_by("created_at", "id")
            )
            if not notifications:
                return 0  # another run holds them
            mailed = _send_one_mail(notifications, digest=digest)
            Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
                sent_at=timezone.now()
            )
            return mailed
    except Exception:  # the rows stay unsent; the next run tries again, the others still go
        logger.exception("notification mail failed user=%s organisation=%s", *person)
        return 0


def _send_one_mail(notifications: list[Notification], *, digest: bool) -> int:
    """One mail with all of one person's notifications, in the organisation's language."""
    user, organisation = notifications[0].user, notifications[0].organisation
    if not user.email:
        return 0
    with translation.override(organisation.language):
        subject = _subject(notifications, digest=digest)
        body = render_to_string(
            "indicators/mail/notifications.txt",
            {
                "user": user,
                "organisation": organisation,
                "notifications": notifications[:MAIL_ITEMS],
                "more": max(len(notifications) - MAIL_ITEMS, 0),
                "base_url": settings.SITE_URL,
                "greeting": _("Hello"),
                "digest": digest,
            },
        )
    send_mail(subject, body, None, [user.email])
    return 1


def _subject(notifications: list[Notification], *, digest: bool) -> str:
    count = len(notifications)
    if digest:
        return ngettext(
            "Your daily digest from Outcome Chain: %(count)d new item",
            "Your daily digest from Outcome Chain: %(count)d new items",
            count,
        ) % {"count": count}
    if count == 1:
        return notifications[0].subject
    return ngettext(
        "%(count)d new item from Outcome Chain",
        "%(count)d new items from Outcome Chain",
        count,
    ) % {"count": count}
