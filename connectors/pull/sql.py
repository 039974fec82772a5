"""SQL pull: one SELECT on a client's PostgreSQL, its rows delivered as measurements.

    pull(connector, run=run, dry_run=False)   # called by connectors.services.runs

0. The settings are checked again with `validate_config` (the query, and the DSN against the app's
   own database and CONNECTOR_SQL_DENIED_HOSTS): a connector saved before a check existed, or
   before the settings changed, fails without connecting.
1. The DSN is decrypted and a connection opened (`connect_timeout` 10 s); a source that cannot
   be reached raises SourceUnavailable (retried with back-off), its message masked.
2. The query runs in a READ ONLY transaction with `statement_timeout` = the connector's
   `timeout_seconds` (for each statement: the cursor's DECLARE and every FETCH). With a
   watermark column and a stored watermark it is wrapped:
   `SELECT * FROM (<query>) AS source WHERE source.<column> > %s`.
3. A server-side cursor streams the rows in batches of BATCH_ROWS (= INGEST_MAX_ITEMS); each batch
   becomes API measurement items and goes through `sink.deliver`, so the worker holds one batch
   at a time whatever the number of rows. The highest watermark is tracked in Python (no ORDER
   BY on the source). Every batch is written inside the run's one transaction: a refused row in
   the last batch writes nothing, and the stored watermark stays where it was.
4. After the last batch the new watermark, `{"type", "value", "column"}`, is stored on the
   connector (not on a dry run); a watermark of another column than the configured one is
   ignored (the next run reads everything). Text watermarks are compared in Python by code point, PostgreSQL compares
   them by collation: a row may then be read again, which the ingest counts as unchanged.

Conversions: timestamps and dates become ISO text (a `timestamp without time zone` is read in the
organisation's time zone), numeric becomes float, key / comment / segment members become text.
"""

import logging
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import psycopg
from django.conf import settings
from django.utils.translation import gettext as _
from psycopg import errors as pg_errors
from psycopg import sql

from .. import secrets as connector_secrets
from ..models import Connector, Run, RunStatus
from ..services.errors import PullFailed, SourceUnavailable
from ..services.sink import deliver
from .sql_query import clean_query, mapped_columns, timeout_of, validate_config

__all__ = ["pull", "validate_config"]

logger = logging.getLogger(__name__)

BATCH_ROWS = settings.INGEST_MAX_ITEMS
CONNECT_TIMEOUT_SECONDS = 10
CURSOR_NAME = "outcome_chain_pull"
WATERMARK_TEXT_MAX = 100  # Run.watermark_from / watermark_to
VALUE_FIELDS = ("value", "numerator", "denominator")


def pull(connector: Connector, *, run: Run, dry_run: bool) -> None:
    """Read the connector's query and deliver its rows (see the module doc)."""
    config = connector.config or {}
    values = _secrets_of(connector)
    problems = validate_config(config, values, target=connector.target)
    if problems:
        raise PullFailed(
            _("The connector's settings are not valid: %(problems)s")
            % {"problems": "; ".join(f"{field}: {text}" for field, text in problems.items())}
        )
    dsn = values["dsn"]
    watermark_column = config.get("watermark_column") or ""
    stored = connector.watermark if watermark_column else None
    if stored and stored.get("column", watermark_column) != watermark_column:
        stored = None  # the watermark column was changed: its old value means nothing now
    if stored:
        run.watermark_from = _watermark_text(stored["value"])
    timeout = timeout_of(config)
    with _connect(dsn, values) as conn:
        conn.read_only = True
        _begin(conn, timeout, values)
        top = _stream(
            connector,
            conn,
            config,
            stored,
            run=run,
            dry_run=dry_run,
            timeout=timeout,
            values=values,
        )
    if top is not None:
        new = {"type": top[0], "value": top[1], "column": watermark_column}
        run.watermark_to = _watermark_text(top[1])
        if not dry_run:
            Connector.objects.filter(pk=connector.pk).update(watermark=new)
            connector.watermark = new
    elif stored:
        run.watermark_to = run.watermark_from
    if run.rows == 0:
        run.status = RunStatus.SKIPPED
        run.message = (
            _("No new rows: none with %(column)s above %(watermark)s, the last run's highest.")
            % {"column": config.get("watermark_column"), "watermark": run.watermark_from}
            if stored
            else _("The query returned no rows.")
        )


def _begin(conn, timeout: int, values: dict) -> None:
    """Start the read-only transaction with the statement timeout (SET LOCAL: this one only)."""
    with _source_errors(timeout, values):
        conn.execute("SELECT set_config('statement_timeout', %s, true)", [f"{timeout * 1000}ms"])


def _secrets_of(connector: Connector) -> dict:
    try:
        return connector_secrets.decrypt(connector.secrets)
    except connector_secrets.SecretsUnreadable:
        raise PullFailed(
            _(
                "The connector's DSN cannot be decrypted with the server's keys "
                "(CONNECTOR_SECRET_KEYS changed): enter the DSN again."
            )
        ) from None


def _connect(dsn: str, values: dict) -> psycopg.Connection:
    try:
        return psycopg.connect(
            dsn,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="outcome-chain connector",
        )
    except psycopg.ProgrammingError:
        # Its message quotes the DSN: say what is wrong in our own words.
        raise PullFailed(
            _("The DSN cannot be read; enter it again as postgresql://user:password@host/db.")
        ) from None
    except psycopg.Error as error:
        reason = connector_secrets.mask(_first_line(str(error)), values)
        raise SourceUnavailable(
            _("Could not connect to the source database: %(reason)s") % {"reason": reason}
        ) from None


def _stream(
    connector, conn, config: dict, stored, *, run: Run, dry_run: bool, timeout: int, values: dict
):
    """Deliver every row batch by batch; returns (type, text) of the highest watermark or None.

    Only the source's calls are in `_source_errors`: an error of our own database inside
    `deliver` is not the source's fault."""
    query = clean_query(config["query"])
    column = config.get("watermark_column") or ""
    params = None
    if stored:
        statement = sql.SQL("SELECT * FROM (\n{}\n) AS source WHERE source.{} > %s").format(
            sql.SQL(query.replace("%", "%%")), sql.Identifier(column)
        )
        params = [_typed(stored)]
    else:
        statement = sql.SQL(query)
    with conn.cursor(name=CURSOR_NAME) as cursor:
        try:
            with _source_errors(timeout, values, missing_column=column if stored else None):
                cursor.execute(statement, params)
        except _MissingWatermark:
            conn.rollback()
            _begin(conn, timeout, values)
            with _source_errors(timeout, values):
                returned = _columns(conn, query)
            raise PullFailed(_missing_message("watermark_column", column, returned)) from None
        returned = [d.name for d in cursor.description or []]
        positions = _positions(config, returned)
        convert = _converter(connector, config, positions)
        mark = positions.get("watermark_column")
        top = None
        first_index = 0
        while True:
            with _source_errors(timeout, values):
                rows = cursor.fetchmany(BATCH_ROWS)
            if not rows:
                break
            if mark is not None:
                top = _highest(top, rows, mark)
            items = [convert(row) for row in rows]
            count = len(rows)
            del rows  # hold one batch at a time: the rows go before the next fetch
            deliver(connector, items, run=run, dry_run=dry_run, first_index=first_index)
            del items
            first_index += count
    return _watermark_of(top) if top is not None else None


def _columns(conn, query: str) -> list[str]:
    """The columns the query returns (LIMIT 0: planned, not run)."""
    with conn.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT * FROM (\n{}\n) AS source LIMIT 0").format(sql.SQL(query)))
        return [d.name for d in cursor.description or []]


def _positions(config: dict, returned: list[str]) -> dict[str, int]:
    """{field: index in the row} of every mapped column; PullFailed naming a missing one."""
    exact = {name: n for n, name in enumerate(returned)}
    folded: dict[str, int | None] = {}
    for n, name in enumerate(returned):
        folded[name.lower()] = None if name.lower() in folded else n  # None: ambiguous
    positions = {}
    for field, column in mapped_columns(config).items():
        found = exact.get(column, folded.get(column.lower()))
        if found is None:
            raise PullFailed(_missing_message(field, column, returned))
        positions[field] = found
    return positions


def _missing_message(field: str, column: str, returned: list[str]) -> str:
    return _(
        "The mapping of “%(field)s” names the column “%(column)s”, which the query does not "
        "return. It returns: %(returned)s. Change the mapping or the query."
    ) % {"field": field, "column": column, "returned": ", ".join(returned) or _("no columns")}


def _converter(connector: Connector, config: dict, positions: dict[str, int]):
    """A function from a source row (tuple) to an API measurement item."""
    tz = connector.organisation.tz
    fixed = config.get("indicator") or None
    indicator_at = positions.get("columns.indicator")
    observed_at = positions["columns.observed_at"]
    numbers = [
        (name, positions[f"columns.{name}"])
        for name in VALUE_FIELDS
        if f"columns.{name}" in positions
    ]
    texts = [
        (name, positions[f"columns.{name}"])
        for name in ("key", "comment")
        if f"columns.{name}" in positions
    ]
    segments = [
        (field.removeprefix("segments."), n)
        for field, n in positions.items()
        if field.startswith("segments.")
    ]

    def convert(row: tuple) -> dict:
        item = {
            "indicator": fixed if indicator_at is None else _text(row[indicator_at]),
            "observed_at": _stamp(row[observed_at], tz),
        }
        for name, n in numbers:
            item[name] = _number(row[n])
        for name, n in texts:
            item[name] = _text(row[n])
        if segments:
            item["segment"] = {dim: _text(row[n]) for dim, n in segments}
        return item

    return convert


def _stamp(value, tz):
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value  # text or NULL: the ingest reads or refuses it, naming the row


def _number(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _text(value):
    return value if value is None or isinstance(value, str) else str(value)


def _usable(value) -> bool:
    if value is None:
        return False
    if isinstance(value, Decimal):
        return not value.is_nan()
    return value == value  # NaN floats never compare


def _highest(top, rows: list, n: int):
    found = max((row[n] for row in rows if _usable(row[n])), default=None)
    if found is None:
        return top
    return found if top is None or found > top else top


WATERMARK_TYPES = (
    # bool before int (it is one); datetime before date (it is one)
    (bool, "text"),
    (int, "int"),
    (float, "float"),
    (Decimal, "decimal"),
    (datetime, "datetime"),
    (date, "date"),
)


def _watermark_of(value) -> tuple[str, str]:
    for kind, name in WATERMARK_TYPES:
        if isinstance(value, kind):
            text = value.isoformat() if isinstance(value, date) else str(value)
            return (name, text) if name != "float" else (name, repr(value))
    return "text", str(value)


def _typed(watermark: dict):
    """The stored watermark as the Python value psycopg binds with the column's type."""
    kind, text = watermark.get("type"), watermark.get("value")
    return {
        "int": int,
        "float": float,
        "decimal": Decimal,
        "datetime": datetime.fromisoformat,
        "date": date.fromisoformat,
    }.get(kind, str)(text)


def _watermark_text(value) -> str:
    return str(value)[:WATERMARK_TEXT_MAX]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


class _MissingWatermark(Exception):
    """The wrapped query's WHERE names a watermark column the query does not return."""


@contextmanager
def _source_errors(timeout: int, values: dict, *, missing_column: str | None = None):
    """Turn the source's driver errors into PullFailed / SourceUnavailable (masked)."""
    try:
        yield
    except pg_errors.UndefinedColumn as error:
        if missing_column is not None and missing_column in str(error):
            raise _MissingWatermark from None
        raise _query_failure(error, timeout, values) from None
    except (pg_errors.UndefinedFunction, pg_errors.InvalidTextRepresentation) as error:
        if missing_column is None:
            raise _query_failure(error, timeout, values) from None
        raise PullFailed(
            _(
                "The stored watermark does not compare with the column “%(column)s” "
                "(%(reason)s): did the column's type change? Run the connector without a "
                "watermark column once, then set it again."
            )
            % {"column": missing_column, "reason": _reason(error, values)}
        ) from None
    except psycopg.Error as error:
        raise _query_failure(error, timeout, values) from None


def _reason(error: psycopg.Error, values: dict) -> str:
    primary = getattr(error.diag, "message_primary", None) or _first_line(str(error))
    return connector_secrets.mask(primary, values)


def _query_failure(error: psycopg.Error, timeout: int, values: dict) -> Exception:
    """The PullFailed (or SourceUnavailable) a driver error of the query becomes, masked."""
    reason = _reason(error, values)
    if isinstance(error, pg_errors.QueryCanceled):
        return PullFailed(
            _(
                "The query timed out after %(seconds)s s (the statement timeout). Make it faster "
                "(an index on the watermark column, fewer rows) or raise “timeout_seconds” "
                "(at most %(most)s)."
            )
            % {"seconds": timeout, "most": settings.CONNECTOR_STATEMENT_TIMEOUT_SECONDS}
        )
    if isinstance(error, pg_errors.ReadOnlySqlTransaction):
        return PullFailed(
            _(
                "The query tried to write to the source (%(reason)s); a SQL pull runs in a "
                "read-only transaction. Remove what writes (nextval, a function that "
                "changes data)."
            )
            % {"reason": reason}
        )
    if isinstance(error, pg_errors.InsufficientPrivilege):
        return PullFailed(
            _(
                "The source refused the query: %(reason)s. Grant the DSN's user SELECT on "
                "what the query reads."
            )
            % {"reason": reason}
        )
    if error.sqlstate is None or isinstance(
        error, pg_errors.AdminShutdown | pg_errors.CannotConnectNow
    ):
        # The connection broke mid-query: transient, like an unreachable source.
        return SourceUnavailable(
            _("The source database went away during the query: %(reason)s") % {"reason": reason}
        )
    logger.info("sql pull query failed: %s %s", error.sqlstate, reason)
    return PullFailed(
        _("The query failed on the source database: %(reason)s. Fix the query and run it again.")
        % {"reason": reason}
    )
