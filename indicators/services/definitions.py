"""Create and change indicators with their targets, baseline, band versions and benchmarks.

Error messages are in the active language (the request's), like Django's own.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organisation
from accounts.selectors import non_members

from ..compute.formula import FormulaError, find_cycle, formula_inputs
from ..hooks import indicators_changed
from ..models import Aggregation, Benchmark, Indicator, Target
from . import dirty
from .bands import check_bands, replace_bands
from .recompute import mark_indicator_dirty

PLAIN_FIELDS = [
    "code",
    "name",
    "description",
    "owner",
    "unit",
    "kind",
    "direction",
    "aggregation",
    "period",
    "evidence",
    "layer",
    "leading",
    "formula",
    "owner_user",
    "spc_baseline_from",
    "spc_baseline_points",
    "spc_two_of_three",
    "stale_grace_days",
    "team",  # the cpi app's customer-centricity per team
]
# Blank, never None, when cleared.
TEXT_FIELDS = {
    "description",
    "owner",
    "unit",
    "aggregation",
    "evidence",
    "layer",
    "formula",
    "team",
}
# Changing any of these changes computed values, so the indicator is recomputed.
VALUE_FIELDS = {
    "aggregation",
    "formula",
    "direction",
    "period",
    "baseline",
    "band",
    "targets",
    "benchmarks",
    "bands",
}


# Fields whose None means their default.
DEFAULTS = {"spc_baseline_points": 20, "spc_two_of_three": False}
SPC_POINTS = (2, 1000)


def _apply_plain(indicator: Indicator, data: dict) -> None:
    for name in PLAIN_FIELDS:
        if name in data:
            value = data[name]
            if value is None:
                value = "" if name in TEXT_FIELDS else DEFAULTS.get(name)
            setattr(indicator, name, value)
    if "baseline" in data:
        baseline = data["baseline"] or {}
        indicator.baseline_value = baseline.get("value")
        indicator.baseline_date = baseline.get("date")


def _check_formula(indicator: Indicator, errors: dict) -> None:
    try:
        inputs = formula_inputs(indicator.formula)
    except FormulaError as error:
        errors.setdefault("formula", []).append(str(error))
        return
    others = Indicator.objects.filter(organisation=indicator.organisation).exclude(pk=indicator.pk)
    known = {i.code: i for i in others}
    missing = sorted(inputs - known.keys() - {indicator.code})
    if missing:
        message = _("Unknown indicator(s): %(codes)s.") % {"codes": ", ".join(missing)}
        errors.setdefault("formula", []).append(message)
        return
    graph = {code: _inputs_of(i) for code, i in known.items()}
    graph[indicator.code] = inputs
    cycle = find_cycle(graph)
    if cycle:
        message = _("Formulas would refer to each other in a cycle: %(cycle)s.")
        errors.setdefault("formula", []).append(message % {"cycle": " -> ".join(cycle)})


def _inputs_of(indicator: Indicator) -> set[str]:
    return formula_inputs(indicator.formula) if indicator.formula else set()


def _check_rules(indicator: Indicator, before: Indicator | None, data: dict) -> None:
    errors: dict[str, list[str]] = {}
    if indicator.formula:
        indicator.aggregation = ""
        _check_formula(indicator, errors)
    elif not indicator.aggregation:
        errors["aggregation"] = [_("An indicator without a formula needs an aggregation.")]
    if before is not None:
        _check_change(indicator, before, errors)
    _check_code_is_free(indicator, errors)
    _check_series(data, errors)
    _check_pipe(indicator, errors)
    own = set(errors)  # fields checked above with a clearer message than the model's
    try:
        indicator.full_clean()
    except ValidationError as error:
        for name, messages in error.error_dict.items():
            for message in messages:
                # The code's uniqueness is reported on `code` above, not as a form-wide error.
                if message.code != "unique_together" and name not in own & PIPE_FIELDS:
                    errors.setdefault(name, []).extend(message.messages)
    for name, problems in check_bands(indicator=indicator, data=data).items():
        errors.setdefault(name, []).extend(problems)
    if errors:
        raise ValidationError(errors)


PIPE_FIELDS = {"owner_user", "spc_baseline_points"}


def _check_pipe(indicator: Indicator, errors: dict) -> None:
    """The metric pipe's own fields: a person who belongs to the organisation, a baseline window
    of 2..1000 points."""
    points = indicator.spc_baseline_points
    low, high = SPC_POINTS
    if isinstance(points, int) and not isinstance(points, bool) and not low <= points <= high:
        message = _(
            "A baseline window needs at least %(low)s and at most %(high)s points (not %(n)s)."
        )
        errors["spc_baseline_points"] = [message % {"low": low, "high": high, "n": points}]
    person = indicator.owner_user
    if person is not None and non_members(organisation=indicator.organisation, users=[person]):
        message = _("%(user)s is not a member of the organisation.")
        errors["owner_user"] = [message % {"user": person.get_username()}]


def _check_code_is_free(indicator: Indicator, errors: dict) -> None:
    taken = Indicator.objects.filter(organisation=indicator.organisation, code=indicator.code)
    if taken.exclude(pk=indicator.pk).exists():
        message = _("The organisation already has an indicator '%(code)s'.")
        errors.setdefault("code", []).append(message % {"code": indicator.code})


# One whole sentence per series, so that a translation need not inflect a pasted-in word.
SAME_DAY_MESSAGES = {
    "targets": gettext_lazy("Two targets from the same day: %(days)s."),
    "benchmarks": gettext_lazy("Two benchmarks from the same day: %(days)s."),
}


def _check_series(data: dict, errors: dict) -> None:
    """Targets and benchmarks: at most one per `from` date (one value in force per day)."""
    for name in ("targets", "benchmarks"):
        days = [item["from"] for item in data.get(name) or []]
        repeated = sorted({day for day in days if days.count(day) > 1})
        if repeated:
            days = ", ".join(str(day) for day in repeated)
            errors.setdefault(name, []).append(SAME_DAY_MESSAGES[name] % {"days": days})


def _check_change(indicator: Indicator, before: Indicator, errors: dict) -> None:
    if indicator.code != before.code:
        errors["code"] = [_("The code of an indicator cannot be changed.")]
    if not before.measurements.exists():
        return
    if indicator.formula:
        errors["formula"] = [_("This indicator has measurements and cannot become a formula.")]
    elif (indicator.aggregation == Aggregation.RATIO) != (before.aggregation == Aggregation.RATIO):
        errors["aggregation"] = [
            _("Measurements exist: the aggregation cannot switch between ratio and the others.")
        ]


def _replace_series(indicator: Indicator, data: dict) -> None:
    if "targets" in data:
        indicator.targets.all().delete()
        Target.objects.bulk_create(
            [
                Target(indicator=indicator, valid_from=t["from"], value=t["value"])
                for t in data["targets"] or []
            ]
        )
    if "benchmarks" in data:
        indicator.benchmarks.all().delete()
        Benchmark.objects.bulk_create(
            [
                Benchmark(
                    indicator=indicator,
                    valid_from=b["from"],
                    value=b["value"],
                    source=b.get("source") or "",
                )
                for b in data["benchmarks"] or []
            ]
        )


def create_indicator(*, organisation: Organisation, data: dict) -> Indicator:
    """Create an indicator from validated API/form data (targets, band... included)."""
    indicator = Indicator(organisation=organisation)
    _apply_plain(indicator, data)
    _check_rules(indicator, None, data)
    with transaction.atomic():
        indicator.save()
        _replace_series(indicator, data)
        replace_bands(indicator=indicator, data=data, creating=True)
        if indicator.formula:
            _recompute_later(indicator)
    return indicator


def update_indicator(*, indicator: Indicator, data: dict) -> Indicator:
    """Change the given fields; recompute the indicator when a field behind its values changed."""
    before = Indicator.objects.get(pk=indicator.pk)
    _apply_plain(indicator, data)
    _check_rules(indicator, before, data)
    with transaction.atomic():
        indicator.save()
        _replace_series(indicator, data)
        bands_changed = replace_bands(indicator=indicator, data=data, creating=False)
        # Resending the band in force changes nothing, so it recomputes nothing either.
        changed = set(data) if bands_changed else set(data) - {"band", "bands"}
        if VALUE_FIELDS & changed:
            _recompute_later(indicator)
        if indicator.stale_grace_days != before.stale_grace_days:
            # Stale is not a stored value: no recompute would tell the apps that follow it.
            indicators_changed(
                organisation_id=indicator.organisation_id,
                indicator_ids=[indicator.pk],
                deleting=False,
            )
    return indicator


def delete_indicator(*, indicator: Indicator) -> None:
    """Delete `indicator` in one transaction, with everything that hangs on it: its
    measurements, period values, targets, bands and deviations, and in the apps above what
    measures it (chain nodes' and scorecard measures' rows, hypotheses with it as cause or
    effect, experiments on it), all by cascade. The indicators-changed hooks are called first,
    while those rows are still there, so that each app refreshes what it stores (a node's
    status, a scorecard's scores, a hypothesis's evidence) after the commit."""
    with transaction.atomic():
        indicators_changed(
            organisation_id=indicator.organisation_id, indicator_ids=[indicator.pk], deleting=True
        )
        indicator.delete()


def _recompute_later(indicator: Indicator) -> None:
    if mark_indicator_dirty(indicator=indicator):
        transaction.on_commit(dirty.enqueue_recompute)
