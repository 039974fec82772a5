"""Raw measurements of one segment member: values and ratio parts for an experiment's tests."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact

from accounts.models import Organisation

from ..models import Measurement
from .indicators import indicator_by_code


def _member_measurements(
    *, organisation: Organisation, code: str, dimension: str, member: str, start: date, end: date
) -> QuerySet[Measurement]:
    """Measurements of `code` whose segment has `dimension` = `member` exactly, observed on a
    local day (the organisation's time zone) in [start, end], both inclusive."""
    indicator = indicator_by_code(organisation=organisation, code=code)
    # One key, not a lookup path ("a__b" is a key); a plain text comparison of its member.
    return Measurement.objects.filter(
        Exact(KeyTextTransform(dimension, "segment"), member),
        indicator=indicator,
        local_date__gte=start,
        local_date__lte=end,
    )


def measurement_values(
    *, organisation: Organisation, code: str, dimension: str, member: str, start: date, end: date
) -> list[float]:
    """The raw values of one segment member over [start, end] (local days, inclusive), in time
    order, for tests on means (an experiment's Welch test). Measurements without a value (a
    ratio indicator's) are left out; raises NotFound for an indicator not in `organisation`."""
    rows = _member_measurements(
        organisation=organisation,
        code=code,
        dimension=dimension,
        member=member,
        start=start,
        end=end,
    )
    return list(
        rows.filter(value__isnull=False)
        .order_by("observed_at", "id")
        .values_list("value", flat=True)
    )


@dataclass(frozen=True)
class RatioParts:
    """Summed numerators and denominators of the measurements that have both, and how many."""

    numerator: float
    denominator: float
    n: int


def measurement_ratio_parts(
    *, organisation: Organisation, code: str, dimension: str, member: str, start: date, end: date
) -> RatioParts:
    """sum(numerator), sum(denominator) and n over the measurements of one segment member in
    [start, end] (local days, inclusive) that carry both, as a ratio aggregates them: for
    tests on proportions (an experiment's two-proportion z-test). Raises NotFound for an
    indicator not in `organisation`."""
    rows = _member_measurements(
        organisation=organisation,
        code=code,
        dimension=dimension,
        member=member,
        start=start,
        end=end,
    )
    sums = rows.filter(numerator__isnull=False, denominator__isnull=False).aggregate(
        numerator=Sum("numerator"), denominator=Sum("denominator"), n=Count("id")
    )
    return RatioParts(
        numerator=sums["numerator"] or 0.0, denominator=sums["denominator"] or 0.0, n=sums["n"]
    )


@dataclass(frozen=True)
class History:
    """The raw values, and the summed ratio parts, of an indicator's measurements in a window."""

    values: list[float]
    numerator: float
    denominator: float


def measurement_history(
    *, organisation: Organisation, code: str, start: date, end: date
) -> History:
    """Every measurement of `code` on a local day in [start, end], all segments: the spread an
    experiment is planned with. Raises NotFound for an indicator not in `organisation`."""
    indicator = indicator_by_code(organisation=organisation, code=code)
    rows = Measurement.objects.filter(
        indicator=indicator, local_date__gte=start, local_date__lte=end
    )
    values = list(rows.filter(value__isnull=False).values_list("value", flat=True))
    sums = rows.filter(numerator__isnull=False, denominator__isnull=False).aggregate(
        numerator=Sum("numerator"), denominator=Sum("denominator")
    )
    return History(values, sums["numerator"] or 0.0, sums["denominator"] or 0.0)
