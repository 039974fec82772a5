"""Indicators and their numbers.

Numbers are stored as double precision floats, deliberately: measurements come from sensors, surveys
and ratios, the statistics (scipy) work in floats, and JSON numbers are floats on the wire. Fifteen
significant digits is far beyond what any indicator here carries; decimals would cost speed on the
bulk path and conversions everywhere for no gain in meaning.
"""

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation

CODE_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9_]{0,62}$",
    _("Use lowercase letters, digits and underscores, starting with a letter (max 63)."),
)


class Kind(models.TextChoices):
    CPI = "cpi", _("CPI")
    KPI = "kpi", _("KPI")


class Direction(models.TextChoices):
    HIGHER = "higher_is_better", _("higher is better")
    LOWER = "lower_is_better", _("lower is better")
    IN_RANGE = "in_range", _("in range")


class Aggregation(models.TextChoices):
    SUM = "sum", _("sum")
    MEAN = "mean", _("mean")
    MEDIAN = "median", _("median")
    MIN = "min", _("minimum")
    MAX = "max", _("maximum")
    LAST = "last", _("last")
    COUNT = "count", _("count")
    RATIO = "ratio", _("ratio")


class Period(models.TextChoices):
    DAY = "day", _("day")
    WEEK = "week", _("week")
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")
    YEAR = "year", _("year")


class Evidence(models.TextChoices):
    SAY = "say", _("what customers say")
    DO = "do", _("what customers do")


class Layer(models.TextChoices):
    IMPACT = "impact", _("impact")
    EXECUTION = "execution", _("execution")
    PREREQUISITE = "prerequisite", _("prerequisite")
    CHOICE = "choice", _("choice")


class Indicator(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField(_("code"), max_length=63, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("definition"), blank=True)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    aggregation = models.CharField(
        _("aggregation"), max_length=10, choices=Aggregation.choices, blank=True
    )
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    evidence = models.CharField(_("evidence"), max_length=3, choices=Evidence.choices, blank=True)
    layer = models.CharField(_("layer"), max_length=12, choices=Layer.choices, blank=True)
    leading = models.BooleanField(_("leading"), default=False)
    formula = models.TextField(_("formula"), blank=True)
    # The person the metric pipe tells (deviations, stale data); `owner` above is the role, shown.
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner (person)"),
    )
    # The baseline is one per indicator, kept on the row so a period value needs no join.
    baseline_value = models.FloatField(_("baseline"), null=True, blank=True)
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    # Natural process limits: from `spc_baseline_points` values starting at `spc_baseline_from`
    # (None: the first values); "recalculate from here" moves the start.
    spc_baseline_from = models.DateField(_("limits from"), null=True, blank=True)
    spc_baseline_points = models.PositiveSmallIntegerField(
        _("points in the baseline"),
        default=20,
        validators=[MinValueValidator(2), MaxValueValidator(1000)],
    )
    spc_two_of_three = models.BooleanField(_("2 of 3 beyond 2 sigma"), default=False)
    # Stale data: days after the end of the period following the latest value (None: by period).
    stale_grace_days = models.PositiveSmallIntegerField(
        _("grace days before stale"), null=True, blank=True, validators=[MaxValueValidator(366)]
    )
    # The latest period start the owner was reminded about, so a stale indicator reminds once.
    stale_reminded_for = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="indicator_code_per_org"),
        ]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_formula(self) -> bool:
        return bool(self.formula)


class Target(models.Model):
    """A target value in force from `valid_from` until the next one."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    valid_from = models.DateField(_("from"))
    value = models.FloatField(_("target"))

    class Meta:
        ordering = ["valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "valid_from"], name="one_target_per_date")
        ]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return f"{self.value} from {self.valid_from}"


# A band version from this date is in force from the indicator's first period.
FROM_THE_START = date(1, 1, 1)


class Band(models.Model):
    """A tolerance band (the metric pipe) in force from `valid_from` until the next version.

    A version with neither limit ends the band from its date. Each bounded side has its action
    agreed in advance: corrective where values are worse, learning where they are better.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="bands")
    valid_from = models.DateField(_("from"), default=FROM_THE_START)
    low = models.FloatField(_("band low"), null=True, blank=True)
    high = models.FloatField(_("band high"), null=True, blank=True)
    action_below = models.TextField(_("action below the band"), blank=True)
    action_above = models.TextField(_("action above the band"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "valid_from"], name="one_band_per_date"),
            models.CheckConstraint(
                condition=models.Q(low__isnull=True)
                | models.Q(high__isnull=True)
                | models.Q(low__lte=models.F("high")),
                name="band_low_not_above_high",
            ),
        ]
        verbose_name = _("band")
        verbose_name_plural = _("bands")

    def __str__(self) -> str:
        return f"{self.low} .. {self.high} from {self.valid_from}"

    @property
    def is_band(self) -> bool:
        return self.low is not None or self.high is not None

    @property
    def from_the_start(self) -> bool:
        return self.valid_from == FROM_THE_START


class Benchmark(models.Model):
    """A comparison value (competitor, industry, best practice) in force from `valid_from`."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="benchmarks")
    valid_from = models.DateField(_("from"))
    value = models.FloatField(_("benchmark"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "valid_from"], name="one_benchmark_per_date"
            )
        ]
        verbose_name = _("benchmark")
        verbose_name_plural = _("benchmarks")

    def __str__(self) -> str:
        return f"{self.value} from {self.valid_from} ({self.source})"


class Measurement(models.Model):
    """One observed value. `natural_key` is `k:<key>` or `t:<segment>@<observed_at UTC>`."""

    id = models.BigAutoField(primary_key=True)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    natural_key = models.CharField(max_length=400)
    key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 (None = no key)
    segment = models.JSONField(default=dict, blank=True)
    observed_at = models.DateTimeField(_("observed at"))
    local_date = models.DateField()
    value = models.FloatField(_("value"), null=True, blank=True)
    numerator = models.FloatField(_("numerator"), null=True, blank=True)
    denominator = models.FloatField(_("denominator"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "natural_key"], name="measurement_natural_key"
            )
        ]
        indexes = [models.Index(fields=["indicator", "local_date"], name="measurement_by_day")]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.observed_at:%Y-%m-%d %H:%M} = {self.value}"


class MeasurementRevision(models.Model):
    """The values a measurement had before a push replaced them."""

    id = models.BigAutoField(primary_key=True)
    measurement = models.ForeignKey(Measurement, on_delete=models.CASCADE, related_name="revisions")
    observed_at = models.DateTimeField()
    value = models.FloatField(null=True)
    numerator = models.FloatField(null=True)
    denominator = models.FloatField(null=True)
    comment = models.TextField(blank=True)
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["replaced_at", "id"]

    def __str__(self) -> str:
        return f"revision of {self.measurement_id} at {self.replaced_at}"


class PeriodValue(models.Model):
    """The computed value of one indicator, period and segment (`""` is the total)."""

    # Fields derived from the value, the indicator's definition and the previous period.
    DERIVED_FIELDS = (
        "target",
        "progress",
        "band_low",
        "band_high",
        "position",
        "assessment",
        "previous",
        "change",
        "benchmark",
    )

    id = models.BigAutoField(primary_key=True)
    # Derived rows, rewritten by the tens of thousands in a rebuild: no database foreign key,
    # whose per-row check at commit cost as much as the rebuild's aggregation (0.5 s for 65k
    # rows), and no index of its own, since the unique constraint starts with the indicator.
    # Deleting an indicator still deletes its values (Django's cascade); the recompute holds
    # its organisation's indicators FOR KEY SHARE while it writes.
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        related_name="period_values",
        db_constraint=False,
        db_index=False,
    )
    period = models.CharField(max_length=10, choices=Period.choices)
    segment = models.CharField(max_length=200, blank=True, default="")
    period_start = models.DateField()
    value = models.FloatField(null=True)
    count = models.IntegerField(default=0)
    numerator = models.FloatField(null=True)
    denominator = models.FloatField(null=True)
    target = models.FloatField(null=True)
    progress = models.FloatField(null=True)
    band_low = models.FloatField(null=True)
    band_high = models.FloatField(null=True)
    position = models.CharField(max_length=6, blank=True)
    assessment = models.CharField(max_length=8, blank=True)
    previous = models.FloatField(null=True)
    change = models.FloatField(null=True)
    benchmark = models.FloatField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["period_start"]
        # One index serves the uniqueness, the recompute's reads of every segment over a date
        # range, and the values API's reads of one series (the other segments of the same
        # dates are skipped inside the index). Each index more slows every write: a rebuild
        # writes tens of thousands of rows.
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "period_start", "segment"],
                name="one_period_value",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.indicator_id} {self.period} {self.period_start} {self.segment} = {self.value}"
        )


class DirtyMark(models.Model):
    """(indicator, local day) whose period values must be recomputed.

    Written in the same transaction as the measurements, so the Celery message is only a wake-up.
    `marked_at` is the version: a recompute removes a mark only if nobody marked it again meanwhile.
    """

    id = models.BigAutoField(primary_key=True)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="dirty_marks")
    day = models.DateField()
    marked_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "day"], name="one_dirty_mark_per_day")
        ]

    def __str__(self) -> str:
        return f"dirty {self.indicator_id} {self.day}"


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
