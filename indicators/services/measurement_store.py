"""Set-based reads and writes of measurements for the ingest path.

On PostgreSQL each step is one statement over arrays (`unnest`), so a batch of 10,000 items costs
the same five statements as a batch of ten, and no Python object per row is built by the ORM. Other
databases (the embedded SQLite) use the ORM's bulk operations.
"""

from dataclasses import dataclass
from datetime import date, datetime

import msgspec
from django.db import connection

from core.db import binary_cursor, columns, is_postgres

from ..models import DirtyMark, Measurement, MeasurementRevision

STORED_COLUMNS = (
    "id",
    "indicator_id",
    "natural_key",
    "segment",
    "observed_at",
    "local_date",
    "value",
    "numerator",
    "denominator",
    "comment",
)
EXISTING_SQL = f"""
SELECT {", ".join("segment::text" if c == "segment" else c for c in STORED_COLUMNS)}
FROM indicators_measurement
WHERE indicator_id = ANY(%b) AND natural_key = ANY(%b)
"""
COPY_SQL = (
    "COPY indicators_measurement (indicator_id, natural_key, key, segment, observed_at,"
    " local_date, value, numerator, denominator, comment, created_at, updated_at) FROM STDIN"
)
REVISIONS_SQL = """
INSERT INTO indicators_measurementrevision
    (measurement_id, observed_at, value, numerator, denominator, comment, replaced_at)
SELECT t.id, t.observed_at, t.value, t.numerator, t.denominator, t.comment, %b
FROM unnest(%b::bigint[], %b::timestamptz[], %b::float8[], %b::float8[], %b::float8[], %b::text[])
     AS t(id, observed_at, value, numerator, denominator, comment)
"""
UPDATE_SQL = """
UPDATE indicators_measurement AS m
SET segment = t.segment::jsonb, observed_at = t.observed_at, local_date = t.local_date,
    value = t.value, numerator = t.numerator, denominator = t.denominator, comment = t.comment,
    updated_at = %b
FROM unnest(%b::bigint[], %b::text[], %b::timestamptz[], %b::date[], %b::float8[], %b::float8[],
            %b::float8[], %b::text[])
     AS t(id, segment, observed_at, local_date, value, numerator, denominator, comment)
WHERE m.id = t.id
"""
DIRTY_SQL = """
INSERT INTO indicators_dirtymark (indicator_id, day, marked_at)
SELECT t.indicator_id, t.day, %b FROM unnest(%b::bigint[], %b::date[]) AS t(indicator_id, day)
ON CONFLICT (indicator_id, day) DO UPDATE SET marked_at = EXCLUDED.marked_at
"""


UPDATED_FIELDS = [
    "segment",
    "observed_at",
    "local_date",
    "value",
    "numerator",
    "denominator",
    "comment",
    "updated_at",
]


@dataclass
class StoredRow:
    id: int
    indicator_id: int
    natural_key: str
    segment: dict
    observed_at: datetime
    local_date: date
    value: float | None
    numerator: float | None
    denominator: float | None
    comment: str


def existing_rows(keys: list[tuple[int, str]]) -> dict[tuple[int, str], StoredRow]:
    """The stored rows with these (indicator id, natural key) pairs."""
    if not keys:
        return {}
    indicator_ids = sorted({indicator_id for indicator_id, _ in keys})
    natural_keys = sorted({natural_key for _, natural_key in keys})
    if is_postgres():
        with binary_cursor() as cursor:
            cursor.execute(EXISTING_SQL, [indicator_ids, natural_keys])
            rows = [StoredRow(*row) for row in cursor.fetchall()]
        # Segments repeat (a few channels): parse each distinct text once.
        segments: dict[str, dict] = {}
        for row in rows:
            if row.segment not in segments:
                segments[row.segment] = msgspec.json.decode(row.segment)
            row.segment = segments[row.segment]
    else:
        rows = [
            StoredRow(*row)
            for row in Measurement.objects.filter(
                indicator_id__in=indicator_ids, natural_key__in=natural_keys
            ).values_list(*STORED_COLUMNS)
        ]
    return {(row.indicator_id, row.natural_key): row for row in rows}


def _measurement_of(item, now: datetime) -> Measurement:
    return Measurement(
        indicator_id=item.indicator.pk,
        natural_key=item.natural_key,
        key=item.key,
        segment=item.segment,
        observed_at=item.observed_at,
        local_date=item.local_date,
        value=item.value,
        numerator=item.numerator,
        denominator=item.denominator,
        comment=item.comment,
        created_at=now,
        updated_at=now,
    )


def insert_rows(items: list, now: datetime) -> None:
    """Insert new measurements; `items` carry indicator, natural_key, key, segment, ... fields."""
    if not items:
        return
    if not is_postgres():
        Measurement.objects.bulk_create(
            [_measurement_of(i, now) for i in items],
            batch_size=2000,
        )
        return
    # COPY straight into the table, in natural-key order so concurrent pushes lock alike.
    rows = sorted(items, key=lambda i: (i.indicator.pk, i.natural_key))
    with (
        connection.wrap_database_errors,
        binary_cursor() as cursor,
        cursor.copy(COPY_SQL) as copy,
    ):
        for i in rows:
            copy.write_row(
                (
                    i.indicator.pk,
                    i.natural_key,
                    i.key,
                    i.segment_text,
                    i.observed_at,
                    i.local_date,
                    i.value,
                    i.numerator,
                    i.denominator,
                    i.comment,
                    now,
                    now,
                )
            )


def update_rows(changes: list[tuple[StoredRow, object]], now: datetime) -> None:
    """Keep each old row as a revision, then give it the new item's values."""
    if not changes:
        return
    if not is_postgres():
        _update_rows_orm(changes, now)
        return
    changes = sorted(changes, key=lambda change: change[0].id)  # lock rows in one order
    olds = [old for old, _ in changes]
    news = [new for _, new in changes]
    with binary_cursor() as cursor:
        cursor.execute(
            REVISIONS_SQL,
            [
                now,
                *columns(olds, "id", "observed_at", "value", "numerator", "denominator", "comment"),
            ],
        )
        cursor.execute(
            UPDATE_SQL,
            [
                now,
                [o.id for o in olds],
                *columns(
                    news,
                    "segment_text",
                    "observed_at",
                    "local_date",
                    "value",
                    "numerator",
                    "denominator",
                    "comment",
                ),
            ],
        )


def _update_rows_orm(changes: list[tuple[StoredRow, object]], now: datetime) -> None:
    MeasurementRevision.objects.bulk_create(
        [
            MeasurementRevision(
                measurement_id=old.id,
                observed_at=old.observed_at,
                value=old.value,
                numerator=old.numerator,
                denominator=old.denominator,
                comment=old.comment,
                replaced_at=now,
            )
            for old, _ in changes
        ],
        batch_size=2000,
    )
    # One upsert on the natural key: linear in the batch, unlike bulk_update's CASE WHEN.
    Measurement.objects.bulk_create(
        [_measurement_of(new, now) for _old, new in changes],
        update_conflicts=True,
        unique_fields=["indicator", "natural_key"],
        update_fields=UPDATED_FIELDS,
        batch_size=2000,
    )


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
