"""Writes of experiments, and the planning helper (minimum detectable effect).

`data` holds only the fields being set: `hypothesis`, `name`, `indicator` (the measured effect),
`arm_dimension`, `control`, `treatment`, `start`, `end`, `expected_effect` ("" = derived),
`planned_n_per_arm`.

Refused with a ValidationError naming the field, nothing changed: a hypothesis or indicator of
another organisation, arms that are not members of the dimension (the indicator has no values
for `dimension:member`), control equal to treatment, end before start, a blank name.
"""

import statistics
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation
from core.instances import restored_on_failure
from indicators import selectors as indicator_selectors

from ..compute.experiments import (
    minimum_detectable_effect_mean,
    minimum_detectable_effect_share,
)
from ..models import Experiment, Hypothesis, Sign
from .evidence import recompute_evidence

FIELDS = (
    "hypothesis",
    "name",
    "indicator",
    "arm_dimension",
    "control",
    "treatment",
    "start",
    "end",
    "expected_effect",
    "planned_n_per_arm",
)
PLAN_WINDOW_DAYS = 90  # the spread for planning comes from the days before the start


def create_experiment(*, organisation: Organisation, data: dict, created_by=None) -> Experiment:
    experiment = Experiment(organisation=organisation, created_by=created_by)
    return _save(experiment, data)


def update_experiment(*, experiment: Experiment, data: dict) -> Experiment:
    return _save(experiment, data)


def delete_experiment(*, experiment: Experiment) -> None:
    """Delete it; its hypothesis's status is recomputed without it."""
    hypothesis = experiment.hypothesis
    with transaction.atomic():
        experiment.delete()
        recompute_evidence([hypothesis])


RELATED = ("hypothesis", "indicator")


def _save(experiment: Experiment, data: dict) -> Experiment:
    old_hypothesis_id = experiment.hypothesis_id if experiment.pk else None
    # Nothing half-written, not even on the caller's object.
    with restored_on_failure(experiment, FIELDS):
        errors = _assign(experiment, data)
        if experiment.indicator_id is None and experiment.hypothesis_id and "indicator" not in data:
            experiment.indicator = experiment.hypothesis.effect
        _check(experiment, errors)
        experiment.plan = plan_of(experiment)
        with transaction.atomic():
            experiment.save()
            recompute_evidence([_fresh_hypothesis(experiment)])
            if old_hypothesis_id not in (None, experiment.hypothesis_id):
                # Moved to another hypothesis: the one it left loses its evidence now.
                recompute_evidence([_fresh_hypothesis(experiment, old_hypothesis_id)])
    experiment.refresh_from_db()
    return experiment


def _fresh_hypothesis(experiment: Experiment, pk: int | None = None):
    return Hypothesis.objects.select_related("organisation", "cause").get(
        pk=pk or experiment.hypothesis_id
    )


def _assign(experiment: Experiment, data: dict) -> dict[str, list[str]]:
    """Set the fields in `data`; a related field given something else than its model, or a
    date field given something else than a date, is an error of that field, not a crash."""
    errors = {}
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in RELATED:
            model = Experiment._meta.get_field(name).related_model
            if not isinstance(value, model):
                errors[name] = [_("Choose one of this organisation.")]
                continue
        setattr(experiment, name, value)
    return errors


def _check(experiment: Experiment, errors: dict[str, list[str]]) -> None:
    organisation_id = experiment.organisation_id
    hypothesis = experiment.hypothesis if experiment.hypothesis_id else None
    if hypothesis is None or hypothesis.organisation_id != organisation_id:
        errors["hypothesis"] = [_("Choose a hypothesis of this organisation.")]
    indicator = experiment.indicator if experiment.indicator_id else None
    if indicator is None or indicator.organisation_id != organisation_id:
        errors["indicator"] = [_("Choose an indicator of this organisation.")]
    required = {
        "name": _("Give the experiment a name."),
        "arm_dimension": _("Name the segment dimension that holds the arms."),
        "control": _("Name the control arm (a member of the dimension)."),
        "treatment": _("Name the treatment arm (a member of the dimension)."),
    }
    for name, length in (
        ("name", 200),
        ("arm_dimension", 63),
        ("control", 100),
        ("treatment", 100),
    ):
        value = getattr(experiment, name)
        if not isinstance(value, str) or not value.strip():
            errors.setdefault(name, [required[name]])
        elif len(value) > length:
            errors.setdefault(name, [_("Keep it within %(max)d characters.") % {"max": length}])
    if experiment.expected_effect not in ("", *Sign.values):
        errors["expected_effect"] = [_("Choose positive, negative or leave it empty.")]
    for name in ("start", "end"):
        value = getattr(experiment, name)
        if not isinstance(value, date) or isinstance(value, datetime):
            errors[name] = [_("Give a date (YYYY-MM-DD).")]
    if "start" not in errors and "end" not in errors and experiment.end < experiment.start:
        errors["end"] = [_("The end is before the start.")]
    if experiment.control and experiment.control == experiment.treatment:
        errors.setdefault("treatment", [_("The treatment arm must differ from the control arm.")])
    n = experiment.planned_n_per_arm
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or not 2 <= n <= 10**9):
        errors["planned_n_per_arm"] = [_("The planned n per arm is a whole number of at least 2.")]
    if "indicator" not in errors and "arm_dimension" not in errors:
        _check_arms(experiment, indicator, errors)
    if errors:
        raise ValidationError(errors)


def _check_arms(experiment: Experiment, indicator, errors: dict) -> None:
    dimension = experiment.arm_dimension.strip()
    members = {
        segment.split(":", 1)[1]
        for segment in indicator_selectors.segments_of(indicator=indicator)
        if segment.split(":", 1)[0] == dimension
    }
    if not members:
        errors["arm_dimension"] = [
            _("%(code)s has no values segmented by “%(dimension)s”.")
            % {"code": indicator.code, "dimension": dimension}
        ]
        return
    for name in ("control", "treatment"):
        member = getattr(experiment, name)
        if name not in errors and member not in members:
            errors[name] = [
                _("“%(member)s” is not a member of %(dimension)s; its members are: %(members)s.")
                % {"member": member, "dimension": dimension, "members": ", ".join(sorted(members))}
            ]


def plan_of(experiment: Experiment) -> dict | None:
    """The minimum detectable effect at 80 % power for the planned n per arm, from the spread of
    the indicator's measurements in the PLAN_WINDOW_DAYS before the start (all segments)."""
    if not experiment.planned_n_per_arm:
        return None
    return minimum_detectable_effect(
        organisation=experiment.organisation,
        indicator=experiment.indicator,
        n_per_arm=experiment.planned_n_per_arm,
        before=experiment.start,
    )


def minimum_detectable_effect(*, organisation, indicator, n_per_arm: int, before: date) -> dict:
    """{n_per_arm, mde, basis, ...}: the smallest effect the experiment could detect; `mde` None
    (with `reason`) when the history has no spread to plan with."""
    start = before - timedelta(days=PLAN_WINDOW_DAYS)
    end = before - timedelta(days=1)
    history = indicator_selectors.measurement_history(
        organisation=organisation, code=indicator.code, start=start, end=end
    )
    plan = {
        "n_per_arm": n_per_arm,
        "power": 0.8,
        "alpha": 0.05,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "mde": None,
        "reason": None,
    }
    if indicator.aggregation == "ratio":
        numerator, denominator = history.numerator, history.denominator
        share = numerator / denominator if denominator > 0 else None
        mde = minimum_detectable_effect_share(n_per_arm=n_per_arm, share=share or 0.0)
        plan.update(basis="share", share=None if share is None else 100 * share, mde=mde)
    else:
        values = history.values
        sd = statistics.stdev(values) if len(values) >= 2 else None
        mde = minimum_detectable_effect_mean(n_per_arm=n_per_arm, sd=sd or 0.0)
        plan.update(basis="sd", sd=sd, mde=mde)
    if plan["mde"] is None:
        plan["reason"] = _("Not enough measurements in the 90 days before the start to plan with.")
    return plan
