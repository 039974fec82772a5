"""Remind the owner of a stale indicator, once per staleness, through the notifications outbox.

`Indicator.stale_reminded_for` holds the latest period start the owner was reminded about: a
reminder is due when the indicator is stale and that is not its current latest start. A new
value moves the latest start, so the next staleness reminds again.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Organisation

from .. import selectors
from ..charts import period_label
from ..models import Indicator, NotificationKind
from .notifications import notify


def remind_stale(*, organisation: Organisation, today=None) -> int:
    """Queue one reminder for each stale indicator with an owner (`owner_user`) not reminded
    about its latest value yet; returns how many were queued."""
    rows = selectors.indicators_with_latest(organisation=organisation, today=today)
    due = [
        indicator
        for indicator in rows.filter(owner_user__isnull=False).select_related("owner_user")
        if indicator.stale and indicator.stale_reminded_for != indicator.latest_start
    ]
    reminded = 0
    for indicator in due:
        with transaction.atomic():
            # The conditional update claims the reminder: two runs at once remind once.
            claimed = (
                Indicator.objects.filter(pk=indicator.pk)
                .exclude(stale_reminded_for=indicator.latest_start)
                .update(stale_reminded_for=indicator.latest_start)
            )
            if claimed:
                _remind(organisation, indicator)
                reminded += 1
    return reminded


def remind_all_stale(*, today=None) -> int:
    """`remind_stale` in every organisation (the daily task)."""
    return sum(
        remind_stale(organisation=organisation, today=today)
        for organisation in Organisation.objects.all()
    )


def _remind(organisation: Organisation, indicator: Indicator) -> None:
    with translation.override(organisation.language):
        since = period_label(indicator.latest_start, indicator.period)
        subject = _("No new value of %(name)s since %(since)s") % {
            "name": indicator.name,
            "since": since,
        }
        body = _(
            "The latest value of %(name)s is for %(since)s, and the next one is overdue. "
            "Please report it, or ask who does."
        ) % {"name": indicator.name, "since": since}
    notify(
        organisation=organisation,
        user=indicator.owner_user,
        kind=NotificationKind.STALE,
        subject=subject,
        body=body,
        url=reverse("indicator-detail", args=[indicator.code]),
        indicator=indicator,
    )
