"""Indicators and their definitions: the choices, and the targets, bands and benchmarks in force
from a date."""

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
    # The team accountable for moving it (CPIs: the team that can influence it), for the
    # customer-centricity count per team.
    team = models.CharField(_("team"), max_length=100, blank=True)
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
