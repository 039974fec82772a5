"""The metric pipe: deviations and their history, comments on values, notifications, and
webhooks with their deliveries."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation

from .indicators import Indicator, Period


class DeviationKind(models.TextChoices):
    CORRECTIVE = "corrective", _("corrective action")
    LEARNING = "learning", _("learning action")


class DeviationState(models.TextChoices):
    OPEN = "open", _("open")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    CLOSED = "closed", _("closed")
    RESOLVED_BY_DATA = "resolved_by_data", _("resolved by data")


class Deviation(models.Model):
    """A period value of the indicator's own period outside its band (the metric pipe)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="deviations")
    period = models.CharField(max_length=10, choices=Period.choices)
    period_start = models.DateField()
    kind = models.CharField(max_length=12, choices=DeviationKind.choices)
    value = models.FloatField(null=True)
    band_low = models.FloatField(null=True)
    band_high = models.FloatField(null=True)
    action = models.TextField(blank=True)
    state = models.CharField(
        max_length=20, choices=DeviationState.choices, default=DeviationState.OPEN
    )
    note = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deviations",
        verbose_name=_("owner"),
    )
    # Distance outside the band in band widths (or in |limit| for a one-sided band): the size
    # of the miss the inbox sorts by.
    miss = models.FloatField(null=True)
    # When it last opened (created or reopened by data): the age the inbox sorts by.
    opened_at = models.DateTimeField(null=True)
    # None while its opening has not been notified yet (the outbox of the notifications).
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "indicator_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "period_start"], name="one_deviation_per_period"
            )
        ]
        indexes = [
            models.Index(
                fields=["notified_at"],
                condition=models.Q(notified_at__isnull=True),
                name="deviation_to_notify",
            )
        ]
        verbose_name = _("deviation")
        verbose_name_plural = _("deviations")

    def __str__(self) -> str:
        return f"{self.kind} {self.indicator_id} {self.period_start} ({self.state})"


class DeviationChange(models.Model):
    """One change of a deviation: who (None: the recompute), when, state, owner and note."""

    deviation = models.ForeignKey(Deviation, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    old_state = models.CharField(max_length=20, choices=DeviationState.choices, blank=True)
    new_state = models.CharField(max_length=20, choices=DeviationState.choices)
    old_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    new_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("deviation change")
        verbose_name_plural = _("deviation changes")

    def __str__(self) -> str:
        return f"{self.deviation_id}: {self.old_state} -> {self.new_state} at {self.at}"


class ValueComment(models.Model):
    """What someone said about one period value ("the web shop was down that week")."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="comments")
    period = models.CharField(max_length=10, choices=Period.choices)
    period_start = models.DateField(_("period"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["indicator", "period", "period_start"], name="comment_by_period")
        ]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.period_start}: {self.text[:40]}"


class NotificationKind(models.TextChoices):
    DEVIATION_OPENED = "deviation_opened", _("deviation opened")
    STALE = "stale", _("stale data")
    SOURCE_FAILED = "source_failed", _("data source failing")
    OTHER = "other", _("other")


class Notification(models.Model):
    """One message for one person, sent at once or in the daily digest (the outbox)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="notifications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    deviation = models.ForeignKey(
        Deviation, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="notification_unsent",
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.subject}"


class Webhook(models.Model):
    """An outbound webhook an admin configured: signed JSON POSTs of the metric pipe's events."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhooks"
    )
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    # HMAC-SHA256 key; kept in clear because signing needs it (the receiver holds the same).
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook, with its attempts."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50)
    payload = models.JSONField()
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event} -> {self.webhook_id} ({self.state})"
