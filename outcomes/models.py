"""Initiatives and the results chain: activity -> output -> outcome -> impact.

A chain node sits on one level; `ChainLink` says that a node contributes to a node of a higher
level (skipping a level is allowed). Links only ever point upwards, so the chain has no cycles by
construction. The level rule spans two rows, so `services` checks it; the rules of one row are
constraints here.

A node's `status`, `score` and `status_source` are stored: `services.status` keeps them fresh
from the values-changed hooks and after every change of the chain, so no page recomputes them.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation
from indicators.compute.status import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK

from .compute import LEVEL_ORDER, LEVEL_RANK


class Level(models.TextChoices):
    # A context of their own: "impact" is also a measurement layer, translated in the plural.
    ACTIVITY = "activity", pgettext_lazy("chain level", "activity")
    OUTPUT = "output", pgettext_lazy("chain level", "output")
    OUTCOME = "outcome", pgettext_lazy("chain level", "outcome")
    IMPACT = "impact", pgettext_lazy("chain level", "impact")


# The order of the chain (`compute.LEVEL_RANK`, by level name): a link goes from a lower
# rank to a higher one.
assert tuple(Level.values) == LEVEL_ORDER
# Activities and outputs are an initiative's own work; outcomes and impacts may be shared.
LEVELS_OF_AN_INITIATIVE = (Level.ACTIVITY, Level.OUTPUT)


class InitiativeState(models.TextChoices):
    PLANNED = "planned", _("planned")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    STOPPED = "stopped", _("stopped")


class NodeStatus(models.TextChoices):
    ON_TRACK = ON_TRACK, _("on track")
    AT_RISK = AT_RISK, _("at risk")
    OFF_TRACK = OFF_TRACK, _("off track")
    NO_DATA = NO_DATA, _("no data")


class StatusSource(models.TextChoices):
    INDICATORS = "indicators", _("its own indicators")
    CONTRIBUTORS = "contributors", _("the nodes that contribute to it")
    NONE = "none", _("nothing: not measured and nothing contributes to it")


class Initiative(models.Model):
    """A piece of work the organisation runs to move outcomes: it owns activities and outputs.

    The objectives an initiative serves are linked from the scorecard's side (the app above),
    so adding them later migrates no data here; `registry.objectives_of` reads them back.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="initiatives"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=InitiativeState.choices, default=InitiativeState.PLANNED
    )
    budget = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(end__gte=F("start")),
                name="initiative_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                name="initiative_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(state__in=InitiativeState.values), name="initiative_state_known"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ChainNode(models.Model):
    """One box of the results chain, measured by any number of weighted indicators."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="chain_nodes"
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="nodes",
        verbose_name=_("initiative"),
    )
    indicators = models.ManyToManyField(
        "indicators.Indicator", through="NodeIndicator", related_name="+", blank=True
    )
    contributes_to = models.ManyToManyField(
        "self",
        through="ChainLink",
        through_fields=("source", "target"),
        symmetrical=False,
        related_name="contributors",
        blank=True,
        verbose_name=_("contributes to"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=NodeStatus.choices,
        default=NodeStatus.NO_DATA,
        editable=False,
    )
    score = models.FloatField(_("score"), null=True, blank=True, editable=False)
    status_source = models.CharField(
        max_length=12, choices=StatusSource.choices, default=StatusSource.NONE, editable=False
    )
    status_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("chain node")
        verbose_name_plural = _("chain nodes")
        indexes = [models.Index(fields=["organisation", "level"])]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=Level.values), name="chain_node_level"),
            models.CheckConstraint(
                condition=Q(level__in=[Level.OUTCOME, Level.IMPACT]) | Q(initiative__isnull=False),
                name="chain_node_work_has_initiative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.title}"

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self.level]


class NodeIndicator(models.Model):
    """An indicator that measures a node, with its weight in the node's status."""

    node = models.ForeignKey(ChainNode, on_delete=models.CASCADE, related_name="measures")
    indicator = models.ForeignKey(
        "indicators.Indicator", on_delete=models.CASCADE, related_name="+"
    )
    weight = models.FloatField(_("weight"), default=1.0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["node", "indicator"], name="node_indicator_once"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="node_indicator_weight"),
        ]

    def __str__(self) -> str:
        return f"{self.node_id} measured by {self.indicator_id} (weight {self.weight:g})"


class ChainLink(models.Model):
    """`source` contributes to `target`, a node of a higher level (a results-chain arrow).

    The arrow may cite the CPI -> KPI hypothesis that tests it; the chain colours it by the
    hypothesis's status (proven, refuted or only drawn)."""

    source = models.ForeignKey(ChainNode, on_delete=models.CASCADE, related_name="links_up")
    target = models.ForeignKey(ChainNode, on_delete=models.CASCADE, related_name="links_down")
    hypothesis = models.ForeignKey(
        "cpi.Hypothesis",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chain_links",
        verbose_name=_("hypothesis"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="chain_link_once"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="chain_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id}"
