"""CPI profiles with their customer evidence, CPI -> KPI hypotheses, and experiments.

A hypothesis's evidence (lagged correlation on levels and on first differences, Granger, the
forecast and its backtest) and its status are stored: `services.evidence` recomputes them when
either series changes (the values-changed hooks), when the hypothesis or one of its experiments
is saved, and hourly (an experiment finishes with the calendar alone). Pages never compute them.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from indicators.compute.periods import PERIODS

MAX_LAG = 24
INDICATOR = "indicators.Indicator"  # by name: other apps' models are not part of their surface
PERIOD_CHOICES = [(p, p) for p in PERIODS]


class ValueUnit(models.TextChoices):
    TIME = "time", _("time")
    CONVENIENCE = "convenience", _("convenience")
    OPTIONS = "options", _("number of options")
    MONEY_SAVED = "money_saved", _("money saved")
    RECOGNITION = "recognition", _("recognition")
    OTHER = "other", _("other")


class CustomerSegment(models.TextChoices):
    CONSUMERS = "consumers", _("consumers")
    BUSINESS_BUYERS = "business_buyers", _("business buyers")


class NoteKind(models.TextChoices):
    INTERVIEW = "interview", _("interview")
    CONTEXTUAL_INQUIRY = "contextual_inquiry", _("contextual inquiry")
    SURVEY = "survey", _("survey")
    OTHER = "other", _("other")


class Sign(models.TextChoices):
    POSITIVE = "positive", _("positive")
    NEGATIVE = "negative", _("negative")


class HypothesisStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    SUPPORTED = "supported", _("supported")
    REFUTED = "refuted", _("refuted")
    INCONCLUSIVE = "inconclusive", _("inconclusive")


class StatusSource(models.TextChoices):
    EXPERIMENT = "experiment", _("an experiment")
    CORRELATION = "correlation", _("the lagged correlation")
    NONE = "none", _("no evidence yet")


class CpiProfile(models.Model):
    """What a CPI means to the customer: the outcome they want, in their words."""

    indicator = models.OneToOneField(
        INDICATOR, on_delete=models.CASCADE, related_name="cpi_profile"
    )
    desired_outcome = models.TextField(_("desired outcome, in the customer's words"), blank=True)
    expectation = models.CharField(_("expectation"), max_length=200, blank=True)
    value_unit = models.CharField(
        _("unit customers value"), max_length=12, choices=ValueUnit.choices, blank=True
    )
    customer_segment = models.CharField(
        _("customer segment"), max_length=16, choices=CustomerSegment.choices, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("CPI profile")
        verbose_name_plural = _("CPI profiles")

    def __str__(self) -> str:
        return f"CPI profile of {self.indicator.code}"


class EvidenceNote(models.Model):
    """Customer evidence that a CPI matters: an interview, a contextual inquiry, a survey."""

    indicator = models.ForeignKey(
        INDICATOR, on_delete=models.CASCADE, related_name="evidence_notes"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoteKind.choices)
    noted_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=200)
    text = models.TextField(_("note"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-noted_on", "-pk"]
        verbose_name = _("customer evidence note")
        verbose_name_plural = _("customer evidence notes")

    def __str__(self) -> str:
        return f"{self.kind} {self.noted_on}: {self.source}"


class Hypothesis(models.Model):
    """The claim "`cause` drives `effect`", tested on the two period series and by experiments."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="hypotheses"
    )
    cause = models.ForeignKey(INDICATOR, on_delete=models.CASCADE, related_name="hypotheses_caused")
    effect = models.ForeignKey(
        INDICATOR, on_delete=models.CASCADE, related_name="hypotheses_affected"
    )
    expected_sign = models.CharField(_("expected sign"), max_length=8, choices=Sign.choices)
    max_lag = models.PositiveSmallIntegerField(_("maximum lag (periods)"), default=3)
    period = models.CharField(_("period"), max_length=10, choices=PERIOD_CHOICES, default="month")
    statement = models.TextField(_("statement"), blank=True)
    status = models.CharField(
        max_length=12, choices=HypothesisStatus.choices, default=HypothesisStatus.PROPOSED
    )
    status_source = models.CharField(
        max_length=12, choices=StatusSource.choices, default=StatusSource.NONE
    )
    # Computed blocks (services.evidence): see compute/correlation.py and compute/forecast.py.
    evidence = models.JSONField(null=True, blank=True)
    evidence_differenced = models.JSONField(null=True, blank=True)
    granger = models.JSONField(null=True, blank=True)
    forecast = models.JSONField(null=True, blank=True)
    backtest = models.JSONField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    # Set when either series changed; the evidence task recomputes and clears it.
    wanted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = _("hypotheses")
        constraints = [
            models.CheckConstraint(condition=~Q(cause=F("effect")), name="hypothesis_not_self"),
            models.CheckConstraint(
                condition=Q(max_lag__lte=MAX_LAG), name="hypothesis_max_lag_at_most_24"
            ),
            models.UniqueConstraint(
                fields=["cause", "effect", "period"], name="one_hypothesis_per_arrow"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cause.code} -> {self.effect.code} ({self.status})"


class Experiment(models.Model):
    """Two members of one segment dimension of `indicator` compared over [start, end]."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="experiments"
    )
    hypothesis = models.ForeignKey(Hypothesis, on_delete=models.CASCADE, related_name="experiments")
    name = models.CharField(_("name"), max_length=200)
    indicator = models.ForeignKey(INDICATOR, on_delete=models.CASCADE, related_name="experiments")
    arm_dimension = models.CharField(_("arm dimension"), max_length=63)
    control = models.CharField(_("control arm"), max_length=100)
    treatment = models.CharField(_("treatment arm"), max_length=100)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    # Blank: derived from the hypothesis's sign and the cause's direction (compute/status.py).
    expected_effect = models.CharField(
        _("expected effect"), max_length=8, choices=Sign.choices, blank=True
    )
    planned_n_per_arm = models.PositiveIntegerField(_("planned n per arm"), null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    plan = models.JSONField(null=True, blank=True)  # the minimum detectable effect, before start
    computed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-end", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="experiment_end_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(control=F("treatment")), name="experiment_two_arms"
            ),
        ]

    def __str__(self) -> str:
        return self.name
