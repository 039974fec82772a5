"""Reads of the CPI evidence shared by pages, the API and the apps above, scoped to one
organisation. A missing object, or one of another organisation, raises `core.errors.NotFound`."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Prefetch, QuerySet

from accounts.models import Organisation
from core.errors import NotFound
from indicators import selectors as indicator_selectors

from .compute.profiles import profile_warnings
from .compute.status import STATUSES, differenced_disagrees
from .models import CpiProfile, EvidenceNote, Experiment, Hypothesis


def hypotheses_of(*, organisation: Organisation) -> QuerySet[Hypothesis]:
    """Hypotheses with their cause, effect and experiments (three queries when listed)."""
    return (
        Hypothesis.objects.filter(organisation=organisation)
        .select_related("organisation", "cause", "effect")
        .prefetch_related(
            Prefetch("experiments", queryset=Experiment.objects.select_related("indicator"))
        )
    )


def hypothesis_by_id(*, organisation: Organisation, hypothesis_id: int) -> Hypothesis:
    hypothesis = hypotheses_of(organisation=organisation).filter(pk=hypothesis_id).first()
    if hypothesis is None:
        raise NotFound(f"No hypothesis {hypothesis_id}.")
    return hypothesis


def experiments_of(*, organisation: Organisation) -> QuerySet[Experiment]:
    return Experiment.objects.filter(organisation=organisation).select_related(
        "organisation", "indicator", "hypothesis__cause", "hypothesis__effect"
    )


def experiment_by_id(*, organisation: Organisation, experiment_id: int) -> Experiment:
    experiment = experiments_of(organisation=organisation).filter(pk=experiment_id).first()
    if experiment is None:
        raise NotFound(f"No experiment {experiment_id}.")
    return experiment


def status_counts(*, organisation: Organisation) -> dict[str, int]:
    """How many hypotheses have each status, every status present (0 when none)."""
    counts = Counter(
        Hypothesis.objects.filter(organisation=organisation).values_list("status", flat=True)
    )
    return {name: counts.get(name, 0) for name in STATUSES}


def evidence_warnings(hypothesis: Hypothesis) -> list[dict]:
    """Plain-word warnings about the evidence: levels and differences disagree, too few pairs."""
    from django.utils.translation import gettext as _

    found = []
    if differenced_disagrees(hypothesis.evidence, hypothesis.evidence_differenced):
        found.append(
            {
                "code": "differences_disagree",
                "message": _(
                    "The series and their period-to-period changes tell different stories: "
                    "a shared trend may explain the correlation."
                ),
            }
        )
    evidence = hypothesis.evidence or {}
    if evidence.get("r") is None:
        found.append(
            {
                "code": "not_enough_data",
                "message": _(
                    "Not enough data: the two series need at least 3 periods in common, "
                    "and neither may be constant."
                ),
            }
        )
    elif evidence.get("n", 0) < 12:
        found.append(
            {
                "code": "few_periods",
                "message": _("Only %(n)d periods in common: the correlation needs 12 to decide.")
                % {"n": evidence["n"]},
            }
        )
    return found


# --- CPIs and customer-centricity -------------------------------------------------------------


def cpis_of(*, organisation: Organisation, today: date | None = None) -> list:
    """The CPIs with latest values, `profile` (or None), `notes` (count) and `warnings`."""
    rows = (
        indicator_selectors.indicators_with_latest(organisation=organisation, today=today)
        .filter(kind="cpi")
        .annotate(note_count=Count("evidence_notes"))
        .order_by("name")
    )
    cpis = list(rows)
    profiles = {
        p.indicator_id: p for p in CpiProfile.objects.filter(indicator__in=[i.pk for i in cpis])
    }
    for indicator in cpis:
        indicator.profile = profiles.get(indicator.pk)
        indicator.warnings = cpi_warnings(indicator, indicator.profile, indicator.note_count)
    return cpis


def cpi_warnings(indicator, profile: CpiProfile | None, notes: int) -> list[dict]:
    return profile_warnings(
        code=indicator.code,
        name=indicator.name,
        unit=indicator.unit,
        evidence=indicator.evidence,
        notes=notes,
        value_unit=profile.value_unit if profile else None,
    )


def cpi_by_code(*, organisation: Organisation, code: str):
    """One CPI with `profile`, `notes` (the notes, newest first) and `warnings`."""
    indicator = indicator_selectors.indicator_by_code(organisation=organisation, code=code)
    if indicator.kind != "cpi":
        raise NotFound(f"No CPI '{code}'.")
    indicator.profile = CpiProfile.objects.filter(indicator=indicator).first()
    indicator.notes = list(EvidenceNote.objects.filter(indicator=indicator))
    indicator.warnings = cpi_warnings(indicator, indicator.profile, len(indicator.notes))
    return indicator


def evidence_note_by_id(*, organisation: Organisation, note_id: int) -> EvidenceNote:
    note = (
        EvidenceNote.objects.filter(indicator__organisation=organisation, pk=note_id)
        .select_related("indicator")
        .first()
    )
    if note is None:
        raise NotFound(f"No evidence note {note_id}.")
    return note


@dataclass
class Tally:
    """Tracked CPIs and KPIs of an organisation or a team; `share` = CPIs / all tracked."""

    team: str = ""
    cpi: int = 0
    kpi: int = 0
    cpi_total: int = 0
    kpi_total: int = 0
    indicators: list = field(default_factory=list)

    @property
    def tracked(self) -> int:
        return self.cpi + self.kpi

    @property
    def share(self) -> float | None:
        """The share of CPIs among the tracked indicators, 0..1; None when nothing is tracked."""
        return self.cpi / self.tracked if self.tracked else None

    def add(self, indicator) -> None:
        tracked = indicator.latest_start is not None and not indicator.stale
        indicator.tracked = tracked
        setattr(self, f"{indicator.kind}_total", getattr(self, f"{indicator.kind}_total") + 1)
        if tracked:
            setattr(self, indicator.kind, getattr(self, indicator.kind) + 1)
        self.indicators.append(indicator)

    def as_dict(self) -> dict:
        return {
            "cpi": self.cpi,
            "kpi": self.kpi,
            "cpi_total": self.cpi_total,
            "kpi_total": self.kpi_total,
            "share": self.share,
        }


def customer_centricity(*, organisation: Organisation, today: date | None = None) -> dict:
    """{"organisation": Tally, "teams": [Tally by team name, "" last]}: how many CPIs and KPIs
    are tracked (a value of their latest period that is not stale), one query."""
    whole, teams = Tally(), {}
    rows = indicator_selectors.indicators_with_latest(organisation=organisation, today=today)
    for indicator in rows.order_by("kind", "name"):
        whole.add(indicator)
        teams.setdefault(indicator.team, Tally(team=indicator.team)).add(indicator)
    ordered = sorted(teams.values(), key=lambda t: (t.team == "", t.team.lower()))
    return {"organisation": whole, "teams": ordered}


def series_of(hypothesis: Hypothesis) -> dict:
    """{"cause": {start: value}, "effect": {start: value}} of its period (one query)."""
    found = indicator_selectors.total_series(
        indicator_ids=[hypothesis.cause_id, hypothesis.effect_id], period=hypothesis.period
    )
    return {"cause": found[hypothesis.cause_id], "effect": found[hypothesis.effect_id]}
