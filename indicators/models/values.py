"""Numbers: measurements and their revisions, computed period values, and the dirty marks that
say which to recompute."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .indicators import Indicator, Period


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
