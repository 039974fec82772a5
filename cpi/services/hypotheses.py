"""Writes of hypotheses: create, change, delete. Each saves, then recomputes the evidence.

`data` holds only the fields being set (a PATCH sends some of them): `cause` and `effect`
(Indicators), `expected_sign`, `max_lag`, `period`, `statement`.

Refused with a ValidationError naming the field, nothing changed: cause equal to effect, an
indicator of another organisation, a max lag below 0 or above 24, an unknown sign or period,
the same cause, effect and period as another hypothesis.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation
from core.instances import restored_on_failure
from indicators.compute.periods import PERIODS

from ..models import MAX_LAG, Hypothesis, Sign
from .evidence import recompute_evidence

FIELDS = ("cause", "effect", "expected_sign", "max_lag", "period", "statement")


def create_hypothesis(*, organisation: Organisation, data: dict, created_by=None) -> Hypothesis:
    """A new hypothesis of `organisation`, with its evidence computed at once."""
    hypothesis = Hypothesis(organisation=organisation, created_by=created_by)
    return _save(hypothesis, data)


def update_hypothesis(*, hypothesis: Hypothesis, data: dict) -> Hypothesis:
    """Change the fields in `data`; the evidence is recomputed on the new definition."""
    return _save(hypothesis, data)


def delete_hypothesis(*, hypothesis: Hypothesis) -> None:
    """Delete the hypothesis and its experiments; chain arrows citing it cite nothing."""
    hypothesis.delete()


def _save(hypothesis: Hypothesis, data: dict) -> Hypothesis:
    # Nothing half-written, not even on the caller's object.
    with restored_on_failure(hypothesis, FIELDS):
        errors = _assign(hypothesis, data)
        _check(hypothesis, errors)
        try:
            with transaction.atomic():
                hypothesis.save()
                recompute_evidence([_fresh(hypothesis)])
        except IntegrityError:  # a concurrent save of the same arrow won the race
            raise ValidationError({"effect": [_duplicate(hypothesis)]}) from None
    hypothesis.refresh_from_db()
    return hypothesis


def _assign(hypothesis: Hypothesis, data: dict) -> dict[str, list[str]]:
    """Set the fields in `data`; an indicator field given something else than an Indicator is
    an error of that field, not a crash."""
    errors = {}
    indicator_model = Hypothesis._meta.get_field("cause").related_model
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in ("cause", "effect") and not isinstance(value, indicator_model):
            errors[name] = [_("Choose an indicator.")]
            continue
        setattr(hypothesis, name, value)
    return errors


def _fresh(hypothesis: Hypothesis) -> Hypothesis:
    return Hypothesis.objects.select_related("organisation", "cause").get(pk=hypothesis.pk)


def _check(hypothesis: Hypothesis, errors: dict[str, list[str]]) -> None:
    organisation_id = hypothesis.organisation_id
    for name in ("cause", "effect"):
        if name in errors:
            continue
        indicator = getattr(hypothesis, name, None) if getattr(hypothesis, f"{name}_id") else None
        if indicator is None:
            errors[name] = [_("Choose an indicator.")]
        elif indicator.organisation_id != organisation_id:
            errors[name] = [_("No indicator '%(code)s'.") % {"code": indicator.code}]
    if not errors and hypothesis.cause_id == hypothesis.effect_id:
        errors["effect"] = [_("The effect must be another indicator than the cause.")]
    if not isinstance(hypothesis.expected_sign, str) or hypothesis.expected_sign not in Sign.values:
        errors["expected_sign"] = [_("Choose positive or negative.")]
    lag = hypothesis.max_lag
    if not isinstance(lag, int) or isinstance(lag, bool) or not 0 <= lag <= MAX_LAG:
        errors["max_lag"] = [
            _("The maximum lag is a whole number of periods from 0 to %(max)d.") % {"max": MAX_LAG}
        ]
    if not isinstance(hypothesis.statement, str):
        errors["statement"] = [_("The statement is text.")]
    if not isinstance(hypothesis.period, str) or hypothesis.period not in PERIODS:
        errors["period"] = [_("Choose one of: %(periods)s.") % {"periods": ", ".join(PERIODS)}]
    if not errors:
        _check_unique(hypothesis, errors)
    if errors:
        raise ValidationError(errors)


def _check_unique(hypothesis: Hypothesis, errors: dict) -> None:
    others = Hypothesis.objects.filter(
        cause_id=hypothesis.cause_id, effect_id=hypothesis.effect_id, period=hypothesis.period
    ).exclude(pk=hypothesis.pk)
    if others.exists():
        errors["effect"] = [_duplicate(hypothesis)]


def _duplicate(hypothesis: Hypothesis) -> str:
    return _("A hypothesis from %(cause)s to %(effect)s by %(period)s exists already.") % {
        "cause": hypothesis.cause.code,
        "effect": hypothesis.effect.code,
        "period": hypothesis.period,
    }
