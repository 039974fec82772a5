"""What the scorecard's serializers and views share: ids, the `period` and `end` dates of a
query, statuses, and the answer's small parts (a measure's indicator, a score's status)."""

from datetime import date

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.dates import iso_date

# The ids and dates of every app's API live in indicators.api.fields; re-exported here
# for this app's serializers and views.
from indicators.api.fields import (  # noqa: F401
    CODE_PATTERN,
    ID_PARAMETER_SCHEMA,
    ID_PATTERN,
    MAX_ID,
    CodeField,
    IdField,
    IdFilter,
    JsonIntegerField,
    JsonNumberField,
    JsonStringField,
    MemberField,
    ScopedByIdViewSet,
)
from indicators.models import Evidence, Kind, Layer
from outcomes import selectors as outcome_selectors
from outcomes.models import NodeStatus

# The dates a query may ask for: a period start and the ones around it stay representable.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
# A query date as the schema states it: YYYY-MM-DD with a year from EARLIEST's to LATEST's, so a
# client (or schemathesis) reads the range the API refuses outside of.
QUERY_DATE_SCHEMA = {"type": "string", "format": "date", "pattern": r"^(19|2\d)\d\d-\d\d-\d\d$"}

ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The object's id.")
)
DETAIL_SCHEMA = {
    name: extend_schema(parameters=[ID_PARAMETER])
    for name in ("retrieve", "partial_update", "destroy")
}

# A score's status by its scorecard's thresholds: the chain nodes' set (one enum in the schema).
SCORE_STATUSES = NodeStatus.choices


def status_field(**kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=SCORE_STATUSES,
        read_only=True,
        help_text=_("By the scorecard's thresholds; no_data without a score."),
        **kwargs,
    )


def score_field(**kwargs) -> serializers.FloatField:
    return serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text=kwargs.pop("help_text", _("0..1; null when nothing under it has data.")),
        **kwargs,
    )


def nullable_choice(choices, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=choices, allow_null=True, read_only=True, **kwargs)


class MeasureAnswerSerializer(serializers.Serializer):
    """A measure as every scorecard answer gives it."""

    id = serializers.IntegerField(read_only=True)
    indicator = serializers.CharField(read_only=True, help_text=_("The indicator's code."))
    weight = serializers.FloatField(read_only=True)
    evidence = nullable_choice(
        Evidence.choices, help_text=_("What customers say or do; null: neither.")
    )
    layer = nullable_choice(Layer.choices)
    kind = serializers.ChoiceField(choices=Kind.choices, read_only=True)


def measure_facts(measure) -> dict:
    """A measure (with its indicator selected) as the answers give it, without a score."""
    indicator = measure.indicator
    return {
        "id": measure.pk,
        "indicator": indicator.code,
        "weight": measure.weight,
        "evidence": indicator.evidence or None,
        "layer": indicator.layer or None,
        "kind": indicator.kind,
    }


def query_date(query, name: str) -> date | None:
    """The date query parameter `name` (absent: None); not YYYY-MM-DD or out of range: a 400."""
    text = query.get(name)
    if text is None:
        return None
    try:
        day = iso_date(text)
    except ValueError:
        raise ValidationError({name: [gettext("Use a date, YYYY-MM-DD.")]}) from None
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(
            {
                name: [
                    gettext("Use a date from %(first)s to %(last)s.")
                    % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()}
                ]
            }
        )
    return day


def period_schema(description) -> OpenApiParameter:
    return OpenApiParameter("period", QUERY_DATE_SCHEMA, description=description)


def initiatives_by_id(organisation, ids) -> dict:
    """The organisation's initiatives among `ids`, by id (one query); others are left out."""
    if not ids:
        return {}
    rows = outcome_selectors.initiatives_of(organisation=organisation).filter(pk__in=set(ids))
    return {initiative.pk: initiative for initiative in rows}
