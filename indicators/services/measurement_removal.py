"""Remove measurements by their client keys: what a source withdrew (a survey answer cleared).

Like an ingest, a removal marks the days it touched dirty in its transaction and wakes the
recompute after commit, so the period values follow through the same path; a period left
without measurements loses its value.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organisation

from ..models import Indicator, Measurement
from . import dirty

KEYS_PER_QUERY = 900  # under SQLite's default parameter limit


def delete_measurements(*, organisation: Organisation, indicator: Indicator, keys) -> int:
    """Delete `indicator`'s measurements whose key is one of `keys`; the number deleted."""
    if indicator.organisation_id != organisation.pk:
        raise ValueError("the indicator belongs to another organisation")
    keys = sorted(set(keys))
    deleted = 0
    with transaction.atomic():
        for i in range(0, len(keys), KEYS_PER_QUERY):
            chunk = [f"k:{key}" for key in keys[i : i + KEYS_PER_QUERY]]
            rows = Measurement.objects.filter(indicator=indicator, natural_key__in=chunk)
            deleted += _delete(rows)
    return deleted


def delete_measurements_with_key_prefix(*, organisation: Organisation, prefix: str) -> int:
    """Delete the organisation's measurements, of any indicator, whose key starts with
    `prefix` (a source withdrawing everything it fed); the number deleted."""
    if not prefix:
        raise ValueError("an empty prefix would match every keyed measurement")
    rows = Measurement.objects.filter(
        indicator__organisation=organisation, natural_key__startswith=f"k:{prefix}"
    )
    with transaction.atomic():
        return _delete(rows)


def _delete(rows: QuerySet) -> int:
    days = set(rows.values_list("indicator_id", "local_date"))
    if not days:
        return 0
    _total, by_model = rows.delete()  # their revisions go with them
    dirty.mark_dirty(days, timezone.now())
    transaction.on_commit(dirty.enqueue_recompute)
    return by_model.get(Measurement._meta.label, 0)
