"""Connectors: automatic measurement from systems that cannot push to us themselves.

A connector belongs to one organisation and is one of three kinds:

- **sql**: a single SELECT run on a client's PostgreSQL in a read-only transaction with a statement
  timeout, its columns mapped to measurement fields; incremental by a watermark column.
- **file**: a CSV or XLSX file fetched from an http(s) URL and read with the upload's parsers;
  an unchanged file (ETag, Last-Modified, content hash) is skipped.
- **webhook**: a secret URL that accepts JSON, checks an HMAC signature when configured and maps
  the payload with JMESPath expressions to measurements or survey responses.

Settings that are not secret live in `config` (JSON, its shape per kind in `connectors.config`);
secrets (the DSN, request headers, the signing secret) live in `secrets`, a Fernet token of a
JSON object (`connectors.secrets`), and never leave the server. The webhook URL's token is stored
as its SHA-256 only, with its last characters as a hint.

Every run writes the same ingest services as a push (idempotent by key, so a rerun changes
nothing) and is logged as a Run. `lease_until` is the lock that keeps two scheduler ticks from
running one connector at once; `failures_in_row` counts failed runs since the last success, and
the owner is told when it reaches `notify_after`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation

SURVEY = "surveys.Survey"  # by name: other apps' models are not part of their surface
INDICATOR = "indicators.Indicator"
DEFAULT_NOTIFY_AFTER = 3


class ConnectorKind(models.TextChoices):
    SQL = "sql", _("SQL pull")
    FILE = "file", _("file pull")
    WEBHOOK = "webhook", _("inbound webhook")


class Target(models.TextChoices):
    MEASUREMENTS = "measurements", _("measurements")
    RESPONSES = "responses", _("survey responses")


class Connector(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="connectors"
    )
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=ConnectorKind.choices)
    target = models.CharField(
        _("delivers"), max_length=20, choices=Target.choices, default=Target.MEASUREMENTS
    )
    survey = models.ForeignKey(
        SURVEY,
        verbose_name=_("survey"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="connectors",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="connectors",
    )
    # A five-field cron expression in the organisation's time zone; blank: only run by hand
    # (webhooks are never scheduled).
    schedule = models.CharField(_("schedule"), max_length=100, blank=True)
    paused = models.BooleanField(_("paused"), default=False)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    secrets = models.TextField(blank=True, editable=False)  # Fernet token; see connectors.secrets
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    token_hint = models.CharField(max_length=8, blank=True, editable=False)
    # sql: the highest watermark delivered so far, {"type": int|float|decimal|datetime|date|text,
    # "value": text}; file: {"etag", "last_modified", "sha256"} of the last file read.
    watermark = models.JSONField(null=True, blank=True, editable=False)
    file_state = models.JSONField(default=dict, blank=True, editable=False)
    notify_after = models.PositiveSmallIntegerField(
        _("tell the owner after this many failed runs in a row"), default=DEFAULT_NOTIFY_AFTER
    )
    failures_in_row = models.PositiveIntegerField(default=0, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "code"]
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="connector_code_unique_per_organisation"
            ),
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~Q(token_hash=""),
                name="connector_token_hash_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.code

    @property
    def failing(self) -> bool:
        return self.failures_in_row > 0


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    # Nothing to do: the file had not changed, or another run of the connector was still going.
    SKIPPED = "skipped", _("skipped")


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("schedule")
    MANUAL = "manual", _("run now")
    RETRY = "retry", _("retry")
    WEBHOOK = "webhook", _("webhook call")


MAX_RUN_ERRORS = 100  # a run keeps this many item errors; `error_count` counts them all


class Run(models.Model):
    """One attempt of a connector: what it read, what it wrote, what went wrong (masked)."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    dry_run = models.BooleanField(default=False)
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)  # rows, file lines or payload items read
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    # [{index, field, message}], `index` counted over the whole run (row / file line / item).
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)  # what happened, in words; secrets masked
    retry_at = models.DateTimeField(null=True, blank=True)  # a failed attempt that will be retried
    watermark_from = models.CharField(max_length=100, blank=True)
    watermark_to = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["connector", "-started_at"], name="run_connector_started")]

    def __str__(self) -> str:
        return f"{self.connector} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Feed(models.Model):
    """An indicator a connector has delivered to: the indicator page lists its connectors."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="feeds")
    indicator = models.ForeignKey(INDICATOR, on_delete=models.CASCADE, related_name="+")
    last_delivered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connector", "indicator"], name="feed_unique")
        ]

    def __str__(self) -> str:
        return f"{self.connector} -> {self.indicator_id}"
