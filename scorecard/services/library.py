"""Add a measure of the indicator library to the organisation, optionally onto an objective."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation
from indicators.models import Indicator
from indicators.services import create_indicator

from ..library import LibraryEntry
from ..models import Objective
from . import checks
from .structure import add_measure


def add_from_library(
    *,
    organisation: Organisation,
    entry: LibraryEntry,
    code: str | None = None,
    objective: Objective | None = None,
    weight: float = 1.0,
    language: str | None = None,
) -> Indicator:
    """Create the indicator of `entry` (its code, or `code`), named and defined in `language`
    (default: the active one), through `create_indicator`; with `objective`, also add it there
    as a measure of `weight`. All or nothing: a refusal (a taken code -> `code`, an objective
    of another organisation -> `objective`, a bad weight -> `weight`) creates nothing.
    """
    errors = {}
    if objective is not None:
        if objective.perspective.scorecard.organisation_id != organisation.pk:
            errors["objective"] = [_("Choose an objective of your own organisation.")]
        found = checks.weight_errors(weight)
        if found:
            errors["weight"] = found
    if errors:
        raise ValidationError(errors)
    data = entry.indicator_data(language=language, code=code)
    with transaction.atomic():
        indicator = create_indicator(organisation=organisation, data=data)
        if objective is not None:
            try:
                add_measure(objective=objective, indicator=indicator, weight=weight)
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    raise
                # The measures' rules (weights all zero) are about the weight given here.
                renamed = {
                    "weight" if name == "measures" else name: messages
                    for name, messages in error.message_dict.items()
                }
                raise ValidationError(renamed) from None
    return indicator
