"""The bulk-upsert path: validate a whole batch, then upsert it on a natural key in one transaction.

A `BulkTable` describes a table: its natural key, the value columns written and those compared,
and the revision table that keeps the old values of an updated row. `bulk_upsert` then gives every
table the same semantics:

- the caller's validator sees the whole batch first; a refused batch writes nothing;
- in ONE transaction each item is created (its key is new), updated (a compared column differs; the
  old values go to the revision table) or left unchanged (the row is not touched at all);
- the counts are per item;
- a concurrent insert of the same key, or a deadlock with an overlapping batch, rolls the
  transaction back and the batch is read and written again, a few times with a growing pause;
  when every attempt collided, `WriteConflict` says so (the API answers 503 with Retry-After);
- `on_write` runs inside the transaction with what was created and updated, `after_commit` after it;
- the number of statements does not grow with the batch. On PostgreSQL: one SELECT of the stored
  rows, one COPY of the new rows, one INSERT ... SELECT FROM unnest of the revisions and one
  UPDATE ... FROM unnest, in id order. Other databases (the embedded SQLite) use the ORM's bulk
  operations under SQLite's own parameter limit.

Items are any objects with one attribute per described column (a dataclass with slots is fastest).
The validator must refuse two items with the same natural key: it knows which field to blame.
"""

import random
import time
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from operator import attrgetter

import msgspec
import psycopg
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from .db import binary_cursor, columns, is_postgres, sqlite_parameter_limit

UPSERT_ATTEMPTS = 5
CONFLICT_PAUSE_SECONDS = 0.02  # times the attempt, jittered: the other push commits meanwhile
ORM_BATCH = 2000


class WriteConflict(Exception):
    """Concurrent pushes of the same keys kept colliding; nothing written, the client retries."""


class BatchRefused(Exception):
    """The batch was refused; `errors` lists `{index, field, message}` per problem. Nothing written."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = errors


class ItemErrors:
    """What a validator found wrong, item by item."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, index: int, field_name: str, message: str) -> None:
        self.items.append({"index": index, "field": field_name, "message": message})

    def raise_if_any(self, refused: type[BatchRefused] = BatchRefused) -> None:
        """Raise `refused` with every error, in item order, if there is any."""
        if self.items:
            raise refused(sorted(self.items, key=lambda error: error["index"]))


@dataclass(frozen=True)
class Column:
    """A column of the table, filled from the attribute `attr` of an item (default: `name`).

    `type` is the PostgreSQL type of the column's `unnest` array. A `jsonb` column is compared as
    the item's decoded value (`attr`) and written from its canonical JSON text (`text_attr`).
    `name` is the model field's attname (`owner_id` for a foreign key).
    """

    name: str
    type: str
    attr: str = ""
    text_attr: str = ""

    @property
    def source(self) -> str:
        return self.attr or self.name

    @property
    def text_source(self) -> str:
        """The attribute written on PostgreSQL: JSON text for jsonb, the value otherwise."""
        return self.text_attr if self.type == "jsonb" else self.source


@dataclass(frozen=True)
class Revision:
    """Where an updated row's old values go: `row` names the row, `at` the time it was replaced.

    `columns` are copied from the old row and carry the same names in both tables.
    """

    model: type[Model]
    row: str
    columns: tuple[str, ...]
    at: str


@dataclass(frozen=True)
class BulkTable:
    """A table that `bulk_upsert` writes.

    `key` is unique together (a unique constraint); `values` are written on insert and on update;
    `compared` (names among `values`) decide "unchanged"; `insert_only` are written when the row is
    created; `created_at` / `updated_at` name timestamp columns set to the time of the write;
    `pk` is the bigint primary key that revisions name and updates join on.
    """

    model: type[Model]
    key: tuple[Column, ...]
    values: tuple[Column, ...]
    compared: tuple[str, ...]
    insert_only: tuple[Column, ...] = ()
    created_at: str = ""
    updated_at: str = ""
    revision: Revision | None = None
    pk: str = "id"

    def __post_init__(self) -> None:
        names = {column.name for column in self.values}
        if not set(self.compared) <= names:
            raise ValueError(f"compared columns {self.compared} must be among the values")
        if self.revision and not set(self.revision.columns) <= names:
            raise ValueError(f"revision columns {self.revision.columns} must be among the values")
        for column in (*self.key, *self.insert_only, *self.values):
            if column.type == "jsonb" and (column in self.key or not column.text_attr):
                raise ValueError(f"jsonb column {column.name} needs a text_attr, outside the key")

    # -- what the statements and comparisons need, built once per table ----------------------

    @cached_property
    def by_name(self) -> dict[str, Column]:
        return {column.name: column for column in (*self.key, *self.values)}

    @cached_property
    def stored_names(self) -> tuple[str, ...]:
        return (self.pk, *(c.name for c in self.key), *(c.name for c in self.values))

    @cached_property
    def stored_row(self) -> type:
        """Stored rows read for the comparison: pk, key and value columns by name."""
        return namedtuple("StoredRow", self.stored_names)

    @cached_property
    def json_positions(self) -> tuple[int, ...]:
        return tuple(
            n for n, name in enumerate(self.stored_names) if self._type_of(name) == "jsonb"
        )

    @cached_property
    def item_key(self) -> Callable:
        return _tuple_getter([c.source for c in self.key])

    @cached_property
    def row_key(self) -> Callable:
        return _tuple_getter([c.name for c in self.key])

    @cached_property
    def item_compared(self) -> Callable:
        return _tuple_getter([self.by_name[name].source for name in self.compared])

    @cached_property
    def row_compared(self) -> Callable:
        return _tuple_getter(list(self.compared))

    @cached_property
    def inserted(self) -> tuple[Column, ...]:
        return (*self.key, *self.insert_only, *self.values)

    @cached_property
    def stamps(self) -> tuple[str, ...]:
        return tuple(name for name in (self.created_at, self.updated_at) if name)

    def _type_of(self, name: str) -> str:
        return self.by_name[name].type if name in self.by_name else "bigint"

    @cached_property
    def select_sql(self) -> str:
        table = self.model._meta.db_table
        selected = ", ".join(
            f"{_q(name)}::text" if self._type_of(name) == "jsonb" else _q(name)
            for name in self.stored_names
        )
        where = " AND ".join(f"{_q(c.name)} = ANY(%b::{c.type}[])" for c in self.key)
        return f"SELECT {selected} FROM {_q(table)} WHERE {where}"

    @cached_property
    def copy_sql(self) -> str:
        names = ", ".join(_q(name) for name in (*(c.name for c in self.inserted), *self.stamps))
        return f"COPY {_q(self.model._meta.db_table)} ({names}) FROM STDIN"

    @cached_property
    def update_sql(self) -> str:
        table = self.model._meta.db_table
        sets = [f"{_q(c.name)} = t.{_q(c.name)}{_cast(c.type)}" for c in self.values]
        if self.updated_at:
            sets.append(f"{_q(self.updated_at)} = %b")
        arrays, names = _unnest(self.pk, self.values)
        return (
            f"UPDATE {_q(table)} AS m SET {', '.join(sets)} FROM unnest({arrays}) AS t({names})"
            f" WHERE m.{_q(self.pk)} = t.{_q(self.pk)}"
        )

    @cached_property
    def revision_sql(self) -> str:
        revision = self.revision
        copied = [self.by_name[name] for name in revision.columns]
        arrays, names = _unnest(self.pk, copied)
        targets = ", ".join(_q(name) for name in (revision.row, *revision.columns, revision.at))
        selected = ", ".join(
            [f"t.{_q(self.pk)}", *(f"t.{_q(c.name)}{_cast(c.type)}" for c in copied), "%b"]
        )
        return (
            f"INSERT INTO {_q(revision.model._meta.db_table)} ({targets})"
            f" SELECT {selected} FROM unnest({arrays}) AS t({names})"
        )


@dataclass
class BulkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class Plan:
    """What a batch does to the table: new items, (stored row, item) changes, unchanged count."""

    created: list
    updated: list[tuple]
    unchanged: int

    def result(self) -> BulkResult:
        return BulkResult(len(self.created), len(self.updated), self.unchanged)


def _q(name: str) -> str:
    return f'"{name}"'


def _cast(sql_type: str) -> str:
    # jsonb travels as text in the arrays (canonical JSON from the item) and is cast back here.
    return "::jsonb" if sql_type == "jsonb" else ""


def _array_type(sql_type: str) -> str:
    return "text" if sql_type == "jsonb" else sql_type


def _unnest(pk: str, cols) -> tuple[str, str]:
    """`%b::type[]` placeholders and `t(...)` names for the pk followed by `cols`."""
    arrays = ", ".join(["%b::bigint[]", *(f"%b::{_array_type(c.type)}[]" for c in cols)])
    names = ", ".join([_q(pk), *(_q(c.name) for c in cols)])
    return arrays, names


def _tuple_getter(names: list[str]) -> Callable:
    """A getter answering a tuple even for one name (attrgetter answers the bare value then)."""
    if len(names) == 1:
        single = attrgetter(names[0])
        return lambda obj: (single(obj),)
    return attrgetter(*names)


# -- reading ---------------------------------------------------------------------------------


def stored_rows(table: BulkTable, items: list) -> dict[tuple, tuple]:
    """The stored rows whose natural keys the items carry, by key tuple."""
    if not items:
        return {}
    keys = {table.item_key(item) for item in items}
    # Each key column's distinct values: a superset of the pairs, cut down by the dict lookup.
    wanted = [sorted({key[n] for key in keys}) for n in range(len(table.key))]
    make = table.stored_row._make
    if is_postgres():
        with binary_cursor() as cursor:
            cursor.execute(table.select_sql, wanted)
            fetched = cursor.fetchall()
        rows = [make(row) for row in _decode_json(fetched, table.json_positions)]
    else:
        lookup = {f"{c.name}__in": values for c, values in zip(table.key, wanted, strict=True)}
        query = table.model.objects.filter(**lookup).values_list(*table.stored_names)
        rows = [make(row) for row in query]
    return {table.row_key(row): row for row in rows}


def _decode_json(rows: list[tuple], positions: tuple[int, ...]) -> list:
    if not positions:
        return rows
    decoded: dict[
        str, object
    ] = {}  # JSON values repeat (a few distinct ones): parse each text once
    out = []
    for row in rows:
        row = list(row)
        for n in positions:
            text = row[n]
            if text not in decoded:
                decoded[text] = msgspec.json.decode(text) if text is not None else None
            row[n] = decoded[text]
        out.append(row)
    return out


def plan(table: BulkTable, items: list, stored: dict[tuple, tuple]) -> Plan:
    """Sort each item into created, updated (with its stored row) or unchanged."""
    created, updated, unchanged = [], [], 0
    item_key, item_compared, row_compared = table.item_key, table.item_compared, table.row_compared
    for item in items:
        row = stored.get(item_key(item))
        if row is None:
            created.append(item)
        elif item_compared(item) == row_compared(row):
            unchanged += 1
        else:
            updated.append((row, item))
    return Plan(created, updated, unchanged)


# -- writing ---------------------------------------------------------------------------------


def _insert(table: BulkTable, items: list, now: datetime) -> None:
    if not items:
        return
    if not is_postgres():
        table.model.objects.bulk_create(
            [_instance(table, i, now) for i in items], batch_size=ORM_BATCH
        )
        return
    values = _tuple_getter([c.text_source for c in table.inserted])
    stamps = (now,) * len(table.stamps)
    # A plain COPY: a concurrent insert of the same key raises and the batch is retried. In key
    # order, so that concurrent pushes lock alike.
    with (
        connection.wrap_database_errors,
        binary_cursor() as cursor,
        cursor.copy(table.copy_sql) as copy,
    ):
        for item in sorted(items, key=table.item_key):
            copy.write_row((*values(item), *stamps))


def _instance(table: BulkTable, item, now: datetime) -> Model:
    fields = {c.name: getattr(item, c.source) for c in table.inserted}
    return table.model(**fields, **dict.fromkeys(table.stamps, now))


def _update(table: BulkTable, changes: list[tuple], now: datetime) -> None:
    """Keep each old row as a revision, then give it the new item's values."""
    if not changes:
        return
    if not is_postgres():
        _update_orm(table, changes, now)
        return
    changes = sorted(changes, key=lambda change: getattr(change[0], table.pk))  # one lock order
    olds = [old for old, _new in changes]
    ids = [getattr(old, table.pk) for old in olds]
    with binary_cursor() as cursor:
        if table.revision:
            # The replaced-at parameter in the SELECT list comes before FROM unnest(...).
            cursor.execute(table.revision_sql, [now, ids, *_revision_arrays(table, olds)])
        news = [new for _old, new in changes]
        stamp = [now] if table.updated_at else []
        values = columns(news, *(c.text_source for c in table.values))
        # The SET list (and its updated_at parameter) comes before FROM unnest(...).
        cursor.execute(table.update_sql, [*stamp, ids, *values])


def _revision_arrays(table: BulkTable, olds: list) -> list[list]:
    arrays = columns(olds, *table.revision.columns)
    for n, name in enumerate(table.revision.columns):
        if table.by_name[name].type == "jsonb":
            arrays[n] = [_json_text(value) for value in arrays[n]]
    return arrays


def _json_text(value) -> str | None:
    return None if value is None else msgspec.json.encode(value, order="sorted").decode()


def _update_orm(table: BulkTable, changes: list[tuple], now: datetime) -> None:
    revision = table.revision
    if revision:
        revision.model.objects.bulk_create(
            [
                revision.model(
                    **{revision.row: getattr(old, table.pk), revision.at: now},
                    **{name: getattr(old, name) for name in revision.columns},
                )
                for old, _new in changes
            ],
            batch_size=ORM_BATCH,
        )
    updated = [c.name for c in table.values]
    if table.updated_at:
        updated.append(table.updated_at)
    # One upsert on the natural key: linear in the batch, unlike bulk_update's CASE WHEN.
    table.model.objects.bulk_create(
        [_instance(table, new, now) for _old, new in changes],
        batch_size=ORM_BATCH,
        update_conflicts=True,
        unique_fields=[c.name for c in table.key],
        update_fields=updated,
    )


def _write(table: BulkTable, items: list, now: datetime, on_write: Callable | None) -> BulkResult:
    batch = plan(table, items, stored_rows(table, items))
    with sqlite_parameter_limit():
        _insert(table, batch.created, now)
        _update(table, batch.updated, now)
        if on_write and (batch.created or batch.updated):
            on_write(created=batch.created, updated=batch.updated, now=now)
    return batch.result()


def bulk_upsert(
    *,
    table: BulkTable,
    items: list,
    validate: Callable[[list], list] | None = None,
    dry_run: bool = False,
    on_write: Callable | None = None,
    after_commit: Callable[[], None] | None = None,
) -> BulkResult:
    """Validate all `items`, then create, update or leave each one in `table`; all or nothing.

    `validate(items)` answers the clean items or raises (BatchRefused) before anything is read or
    written. `on_write(created=[items], updated=[(stored row, item)], now=...)` runs inside the
    transaction when something was written; `after_commit()` runs once it is committed. A dry run
    answers the same counts and writes nothing.
    """
    clean = validate(items) if validate else items
    if dry_run:
        return plan(table, clean, stored_rows(table, clean)).result()
    for attempt in range(UPSERT_ATTEMPTS):
        try:
            with transaction.atomic():
                result = _write(table, clean, timezone.now(), on_write)
                if after_commit and (result.created or result.updated):
                    transaction.on_commit(after_commit)
            return result
        except (IntegrityError, OperationalError) as error:
            # A concurrent push created one of our natural keys first, or two pushes of
            # overlapping batches deadlocked: nothing was written, so read again and retry.
            if not _is_write_conflict(error):
                raise
            last_conflict = error
            time.sleep(random.uniform(0.5, 1.5) * CONFLICT_PAUSE_SECONDS * (attempt + 1))  # noqa: S311
    raise WriteConflict(f"{UPSERT_ATTEMPTS} attempts collided with concurrent writes") from (
        last_conflict
    )


def _is_write_conflict(error: Exception) -> bool:
    if isinstance(error, IntegrityError):
        return True
    return isinstance(error.__cause__, psycopg.errors.DeadlockDetected)
