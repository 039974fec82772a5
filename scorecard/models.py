"""Balanced scorecards: perspectives -> objectives -> measures, cause-effect links between
objectives, and the score history per period.

A scorecard has at most one perspective of each kind (financial, customer, internal process,
learning and growth); its preset names them (business, or the public sector's "Citizens" and
"Stewardship") unless a perspective carries a label of its own. Scores follow DESIGN section 5
and are stored per period (`Score`): `services.scores` keeps them fresh from the values-changed
hooks and after every change of the scorecard, so no page recomputes them.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation
from indicators.models import Period

from .compute.phrases import default_generic_phrases


class Scope(models.TextChoices):
    COMPANY = "company", _("company")
    UNIT = "unit", _("unit")
    TEAM = "team", _("team")


class Preset(models.TextChoices):
    BUSINESS = "business", _("business")
    PUBLIC = "public", _("public sector")


class PerspectiveKind(models.TextChoices):
    FINANCIAL = "financial", pgettext_lazy("perspective", "financial")
    CUSTOMER = "customer", pgettext_lazy("perspective", "customer")
    INTERNAL = "internal", pgettext_lazy("perspective", "internal process")
    LEARNING = "learning", pgettext_lazy("perspective", "learning and growth")


# The default label of each kind, by preset; a perspective's own `label` overrides it.
PRESET_LABELS = {
    Preset.BUSINESS: {
        PerspectiveKind.FINANCIAL: pgettext_lazy("perspective label", "Financial"),
        PerspectiveKind.CUSTOMER: pgettext_lazy("perspective label", "Customer"),
        PerspectiveKind.INTERNAL: pgettext_lazy("perspective label", "Internal process"),
        PerspectiveKind.LEARNING: pgettext_lazy("perspective label", "Learning and growth"),
    },
    Preset.PUBLIC: {
        PerspectiveKind.FINANCIAL: pgettext_lazy("perspective label", "Stewardship"),
        PerspectiveKind.CUSTOMER: pgettext_lazy("perspective label", "Citizens"),
        PerspectiveKind.INTERNAL: pgettext_lazy("perspective label", "Internal process"),
        PerspectiveKind.LEARNING: pgettext_lazy("perspective label", "Learning and growth"),
    },
}
# The order of the perspectives a preset creates, top row first.
PRESET_ORDER = {
    Preset.BUSINESS: ("financial", "customer", "internal", "learning"),
    Preset.PUBLIC: ("customer", "financial", "internal", "learning"),
}
DEFAULT_ON_TRACK_FROM = 0.9
DEFAULT_AT_RISK_FROM = 0.6
DEFAULT_MAX_MEASURES = 3


class Scorecard(models.Model):
    """One balanced scorecard of an organisation (company, unit or team), scored per `period`."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="scorecards"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.COMPANY)
    preset = models.CharField(
        _("preset"), max_length=8, choices=Preset.choices, default=Preset.BUSINESS
    )
    period = models.CharField(_("period"), max_length=10, choices=Period.choices, default="month")
    on_track_from = models.FloatField(_("on track from"), default=DEFAULT_ON_TRACK_FROM)
    at_risk_from = models.FloatField(_("at risk from"), default=DEFAULT_AT_RISK_FROM)
    max_measures_per_objective = models.PositiveSmallIntegerField(
        _("most measures per objective"), default=DEFAULT_MAX_MEASURES
    )
    # Phrases every organisation could write (en / sv / fi): an objective containing one is
    # flagged as generic.
    generic_phrases = models.JSONField(
        _("generic phrases"), default=default_generic_phrases, blank=True
    )
    scores_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.CheckConstraint(
                condition=Q(at_risk_from__gte=0)
                & Q(on_track_from__lte=1)
                & Q(at_risk_from__lte=F("on_track_from")),
                name="scorecard_thresholds_ordered",
            ),
            models.CheckConstraint(condition=Q(scope__in=Scope.values), name="scorecard_scope"),
            models.CheckConstraint(condition=Q(preset__in=Preset.values), name="scorecard_preset"),
        ]

    def __str__(self) -> str:
        return self.name


class Perspective(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="perspectives")
    kind = models.CharField(_("kind"), max_length=10, choices=PerspectiveKind.choices)
    # Blank: the preset's label of the kind, in the reader's language.
    label = models.CharField(_("label"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    weight = models.FloatField(_("weight"), default=1.0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("perspective")
        verbose_name_plural = _("perspectives")
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "kind"], name="perspective_kind_once"),
            models.CheckConstraint(
                condition=Q(kind__in=PerspectiveKind.values), name="perspective_kind_known"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="perspective_weight"),
        ]

    def __str__(self) -> str:
        return str(self.display_label)

    @property
    def display_label(self):
        """Its own label, else the preset's label of its kind (translated)."""
        if self.label:
            return self.label
        labels = PRESET_LABELS.get(self.scorecard.preset, PRESET_LABELS[Preset.BUSINESS])
        return labels.get(self.kind, self.kind)


class Objective(models.Model):
    """What the scorecard wants to achieve in one perspective; customer objectives say it in the
    customer's voice ("XYZ gives me a price while I am still on the page")."""

    perspective = models.ForeignKey(
        Perspective, on_delete=models.CASCADE, related_name="objectives"
    )
    title = models.CharField(_("title"), max_length=200)
    voice = models.TextField(_("in the customer's voice"), blank=True)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    weight = models.FloatField(_("weight"), default=1.0)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    initiatives = models.ManyToManyField(
        "outcomes.Initiative", related_name="+", blank=True, verbose_name=_("initiatives")
    )
    contributes_to = models.ManyToManyField(
        "self",
        through="ObjectiveLink",
        through_fields=("source", "target"),
        symmetrical=False,
        related_name="contributors",
        blank=True,
        verbose_name=_("contributes to"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="objective_weight"),
        ]

    def __str__(self) -> str:
        return self.title


class Measure(models.Model):
    """An indicator on a scorecard objective, with its weight in the objective's score."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="measures")
    indicator = models.ForeignKey(
        "indicators.Indicator",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("indicator"),
    )
    weight = models.FloatField(_("weight"), default=1.0)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        constraints = [
            models.UniqueConstraint(fields=["objective", "indicator"], name="measure_once"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="measure_weight"),
        ]

    def __str__(self) -> str:
        return f"{self.objective_id} measured by {self.indicator_id} (weight {self.weight:g})"


class ObjectiveLink(models.Model):
    """Cause and effect on the strategy map: reaching `source` helps reach `target`. Any
    direction is allowed except a cycle (`services` checks it: it spans rows)."""

    source = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="links_in")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="objective_link_once"),
            models.CheckConstraint(
                condition=~Q(source=F("target")), name="objective_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id}"


class Part(models.TextChoices):
    SCORECARD = "scorecard", _("scorecard")
    PERSPECTIVE = "perspective", _("perspective")
    OBJECTIVE = "objective", _("objective")
    MEASURE = "measure", _("measure")


class Score(models.Model):
    """The score 0..1 of one part of a scorecard in one period (only parts that have data)."""

    id = models.BigAutoField(primary_key=True)
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="scores")
    period_start = models.DateField()
    part = models.CharField(max_length=11, choices=Part.choices)
    part_id = models.BigIntegerField()
    score = models.FloatField()

    class Meta:
        ordering = ["period_start", "part", "part_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "period_start", "part", "part_id"], name="one_score"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard_id} {self.period_start} {self.part} {self.part_id} = {self.score}"
