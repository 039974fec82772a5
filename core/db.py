"""Database mechanics shared by every bulk path: binary cursors, SQLite's parameter limit, and
text made storable."""

import sqlite3
from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def sqlite_parameter_limit():
    """Let bulk writes bind as many parameters as this SQLite allows, not Django 5.2's fixed 999.

    With 999, a bulk insert of 12 columns is cut into 83-row statements, so the number of queries
    would grow with the batch. SQLite >= 3.32 allows at least 32,766 (Django 6 reads the limit
    from the connection the same way). Scoped to this block: a CASE-based bulk_update elsewhere
    grows quadratically with its batch and keeps its small batches.
    """
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    features = connection.features
    before = features.max_query_params
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    features.max_query_params = max(limit, before)
    try:
        yield
    finally:
        features.max_query_params = before


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def binary_cursor():
    """A server-side-binding cursor: `%b` parameters and results travel in binary.

    Wrapped like every Django cursor, so its queries (COPY included) are logged and counted.
    """
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    raw.format = psycopg.pq.Format.BINARY  # results in binary too: no text parsing per value
    return connection._prepare_cursor(raw)


def columns(objects: list, *names: str) -> list[list]:
    """One list per attribute name: the arrays an `unnest` statement takes."""
    return [[getattr(o, name) for o in objects] for name in names]


def storable(value):
    """`value` with the text no database keeps written out, in its strings, keys and nested
    lists and dicts: a NUL as the text \\u0000 (PostgreSQL refuses it in text and jsonb) and a
    lone surrogate as its escape (it is not UTF-8). An error message or a remembered answer may
    quote the very value it refuses."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "\\u0000")
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value
