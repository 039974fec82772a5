"""The measurement table as the bulk path sees it, and the dirty marks an ingest leaves.

`MEASUREMENTS` tells `core.bulk` how to upsert measurements: the natural key (indicator, natural
key), the value columns written and compared, and the revision table that keeps replaced values.
On PostgreSQL each step is one statement over arrays (`unnest`), so a batch of 10,000 items costs
the same statements as a batch of ten.
"""

from datetime import date, datetime

from core.bulk import BulkTable, Column, Revision
from core.db import binary_cursor, is_postgres

from ..models import DirtyMark, Measurement, MeasurementRevision

MEASUREMENTS = BulkTable(
    model=Measurement,
    key=(Column("indicator_id", "bigint"), Column("natural_key", "text")),
    values=(
        Column("segment", "jsonb", text_attr="segment_text"),
        Column("observed_at", "timestamptz"),
        Column("local_date", "date"),
        Column("value", "float8"),
        Column("numerator", "float8"),
        Column("denominator", "float8"),
        Column("comment", "text"),
    ),
    # local_date follows from observed_at: a new zone alone does not make a measurement changed.
    compared=("value", "numerator", "denominator", "comment", "observed_at", "segment"),
    insert_only=(Column("key", "text"),),
    created_at="created_at",
    updated_at="updated_at",
    revision=Revision(
        model=MeasurementRevision,
        row="measurement_id",
        columns=("observed_at", "value", "numerator", "denominator", "comment"),
        at="replaced_at",
    ),
)
DIRTY_SQL = """
INSERT INTO indicators_dirtymark (indicator_id, day, marked_at)
SELECT t.indicator_id, t.day, %b FROM unnest(%b::bigint[], %b::date[]) AS t(indicator_id, day)
ON CONFLICT (indicator_id, day) DO UPDATE SET marked_at = EXCLUDED.marked_at
"""


def upsert_dirty_marks(pairs: set[tuple[int, date]], now: datetime) -> None:
    """Mark (indicator, day) pairs dirty; a newer mark replaces an older one's version."""
    if not pairs:
        return
    ordered = sorted(pairs)  # a fixed order avoids deadlocks between concurrent pushes
    if is_postgres():
        with binary_cursor() as cursor:
            cursor.execute(DIRTY_SQL, [now, [i for i, _ in ordered], [d for _, d in ordered]])
        return
    DirtyMark.objects.bulk_create(
        [DirtyMark(indicator_id=i, day=d, marked_at=now) for i, d in ordered],
        update_conflicts=True,
        unique_fields=["indicator", "day"],
        update_fields=["marked_at"],
        batch_size=2000,
    )
