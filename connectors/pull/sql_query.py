"""The settings of a SQL pull, checked when the connector is saved (and again before each run).

    errors = validate_config(config, secrets, target="measurements")  # {field: message}

The query must be exactly ONE read-only SELECT, read with sqlglot's PostgreSQL dialect: a plain
SELECT, a UNION / INTERSECT / EXCEPT of SELECTs, or WITH ... SELECT (comments and a trailing ";"
are no statement). Refused: several statements, anything else (INSERT, COPY, VALUES, EXPLAIN,
SET...), a data-modifying CTE (WITH x AS (DELETE ... RETURNING *) SELECT ...), SELECT ... INTO
(creates a table), FOR UPDATE / FOR SHARE (takes row locks), placeholders (nothing fills them) and
calls, anywhere and with any schema, of the DENIED_CALLS / DENIED_PREFIXES functions (they write,
change settings such as the statement timeout, control the server, or read files, other databases
or SQL given as text).

What this cannot see: the body of a function defined on the client's database. The run is a
read-only transaction, so PostgreSQL itself refuses a table write or nextval there, but not
everything a function may do (a superuser's pg_read_file, dblink to elsewhere). The DSN must
therefore name a read-only role on the client's side (LOGIN, SELECT on what the query reads,
never a superuser); the README shows one.

The DSN may not name a host of CONNECTOR_SQL_DENIED_HOSTS, nor the app's own database (host, port
and database compared with every PostgreSQL database of settings.DATABASES, every name of this
machine counting as one host): checked when saved and again when run, in case settings changed.

`clean_query` gives the query as it is wrapped for the watermark: trailing semicolons and
comments cut off after the last token, so `SELECT * FROM (<query>) AS source` stays valid.
"""

import ipaddress
import logging
import re

import sqlglot
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from ..models import Target

DEFAULT_TIMEOUT_SECONDS = 60
COLUMN_FIELDS = ("indicator", "key", "observed_at", "value", "numerator", "denominator", "comment")
WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter)
SET_OPERATIONS = (exp.Union, exp.Intersect, exp.Except)
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Functions a pulled query may not call, by lower-case name, whatever schema is written in front:
# they write (which the read-only run would refuse, but say so when saving), change the server or
# its sessions, or read beyond the tables the DSN's user may SELECT (files, other databases, SQL
# passed as text that this check never sees). current_setting (reads a setting) and pg_sleep
# (waits, and the statement timeout stops it) stay allowed. A client's own function can still do
# anything its owner lets it: the DSN's user must be a read-only role on the client's side.
SERVER_FILES = gettext_lazy("reads the server's files")
LARGE_OBJECTS = gettext_lazy("reads or writes large objects (and through them the server's files)")
OTHER_DATABASE = gettext_lazy("opens a connection to another database")
SETTING = gettext_lazy("changes a server setting (such as the run's statement timeout)")
SESSIONS = gettext_lazy("stops the server's sessions")
SERVER = gettext_lazy("controls the server (configuration, logs, WAL, replication, backups)")
ADVISORY = gettext_lazy("takes an advisory lock on the source")
XID = gettext_lazy("writes a transaction id on the source")
SEQUENCE = gettext_lazy("changes a sequence (the read-only run would refuse it anyway)")
SQL_TEXT = gettext_lazy("runs SQL of its own, given as text, that this check cannot read")
NOTIFY = gettext_lazy("sends a notification to the source's listeners")
DENIED_CALLS = {
    "pg_read_file": SERVER_FILES,
    "pg_read_binary_file": SERVER_FILES,
    "pg_stat_file": SERVER_FILES,
    "loread": LARGE_OBJECTS,
    "lowrite": LARGE_OBJECTS,
    "set_config": SETTING,
    "pg_terminate_backend": SESSIONS,
    "pg_cancel_backend": SESSIONS,
    "pg_reload_conf": SERVER,
    "pg_rotate_logfile": SERVER,
    "pg_promote": SERVER,
    "pg_switch_wal": SERVER,
    "pg_switch_xlog": SERVER,
    "pg_start_backup": SERVER,
    "pg_stop_backup": SERVER,
    "pg_log_backend_memory_contexts": SERVER,
    "txid_current": XID,
    "pg_current_xact_id": XID,
    "nextval": SEQUENCE,
    "setval": SEQUENCE,
    "pg_notify": NOTIFY,
}
DENIED_PREFIXES = (
    ("pg_ls_", SERVER_FILES),  # pg_ls_dir, pg_ls_logdir, pg_ls_waldir, pg_ls_tmpdir...
    ("pg_file_", SERVER_FILES),  # adminpack: pg_file_write, pg_file_unlink...
    ("lo_", LARGE_OBJECTS),  # lo_import, lo_export, lo_get, lo_put, lo_unlink...
    ("dblink", OTHER_DATABASE),  # dblink, dblink_exec, dblink_connect...
    ("pg_advisory_", ADVISORY),
    ("pg_try_advisory_", ADVISORY),
    ("pg_create_", SERVER),  # restore points, replication slots
    ("pg_drop_", SERVER),
    ("pg_copy_", SERVER),
    ("pg_replication_", SERVER),
    ("pg_logical_", SERVER),
    ("pg_backup_", SERVER),
    ("pg_wal_replay_", SERVER),
    ("pg_stat_reset", SERVER),
    ("query_to_", SQL_TEXT),  # query_to_xml, query_to_xml_and_xmlschema, query_to_xmlschema
    ("cursor_to_", SQL_TEXT),
    ("table_to_", SQL_TEXT),
    ("schema_to_", SQL_TEXT),
    ("database_to_", SQL_TEXT),
)

# sqlglot logs the statement it cannot read fully before falling back to a bare Command; we
# refuse those ourselves with a message, so its warning would only repeat the query in the log.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


def validate_config(config: dict, secrets: dict, *, target: str) -> dict[str, str]:
    """{field: message} of what is wrong with a SQL pull's settings; empty when fine."""
    errors: dict[str, str] = {}
    if target != Target.MEASUREMENTS:
        errors["target"] = _("A SQL pull delivers measurements: choose “measurements”.")
    problem = query_problem(config.get("query"))
    if problem:
        errors["query"] = problem
    problem = dsn_problem(secrets.get("dsn"))
    if problem:
        errors["dsn"] = problem
    _check_columns(config, errors)
    _check_segments(config.get("segments"), errors)
    watermark = config.get("watermark_column")
    if watermark not in (None, "") and not _is_name(watermark):
        errors["watermark_column"] = _(
            "Name the column whose highest value marks how far the last run read, or leave it "
            "empty to read every row each time."
        )
    problem = timeout_problem(config.get("timeout_seconds"))
    if problem:
        errors["timeout_seconds"] = problem
    if "query" not in errors:
        _check_named_columns(config, errors)
    return errors


def query_problem(query) -> str | None:
    """Why `query` is not exactly one read-only SELECT, or None."""
    if not isinstance(query, str) or not query.strip():
        return _("Write the SELECT whose rows become measurements.")
    try:
        statements = [
            statement
            for statement in sqlglot.parse(query, dialect="postgres")
            # A comment after the last ";" comes back as a Semicolon node: no statement.
            if statement is not None and not isinstance(statement, exp.Semicolon)
        ]
    except (ParseError, TokenError) as error:
        return _("The query cannot be read: %(reason)s. Check its syntax.") % {
            "reason": parse_complaint(error)
        }
    if not statements:
        return _("Write the SELECT whose rows become measurements.")
    if len(statements) > 1:
        return _(
            "Write one SELECT statement: the query holds %(count)s statements separated by “;”."
        ) % {"count": len(statements)}
    statement = statements[0]
    while isinstance(statement, exp.Subquery):
        statement = statement.this
    if not isinstance(statement, (exp.Select, *SET_OPERATIONS)):
        return _(
            "Only a SELECT can be pulled (a UNION of SELECTs and WITH ... SELECT too), "
            "not %(kind)s."
        ) % {"kind": _statement_kind(statement)}
    return _read_only_problem(statement)


def _read_only_problem(statement: exp.Expression) -> str | None:
    write = next(statement.find_all(*WRITES), None)
    if write is not None:
        return _(
            "The query contains %(kind)s (in a WITH clause or a subquery): a SQL pull only "
            "reads. Remove it."
        ) % {"kind": _statement_kind(write)}
    if next(statement.find_all(exp.Command), None) is not None:
        return _("Only a SELECT can be pulled; part of this query is not one.")
    if statement.find(exp.Into) is not None:
        return _("SELECT ... INTO creates a table: remove the INTO clause, a SQL pull only reads.")
    if statement.find(exp.Lock) is not None:
        return _("FOR UPDATE / FOR SHARE would lock the source's rows: remove the locking clause.")
    if statement.find(exp.Placeholder) is not None or statement.find(exp.Parameter) is not None:
        return _(
            "The query has a placeholder (%s, $1 or :name) that nothing fills: write the value "
            "into the query. The watermark is added by the connector itself."
        )
    return _denied_call_problem(statement)


def _denied_call_problem(statement: exp.Expression) -> str | None:
    """The first call of a DENIED_CALLS function, anywhere in the statement, named and why."""
    for call in statement.find_all(exp.Func):
        for name in _names_of(call):
            why = denied_call(name)
            if why is not None:
                return _(
                    "The query calls %(function)s(), which %(why)s: a SQL pull only reads the "
                    "source's tables. Remove the call."
                ) % {"function": name, "why": why}
    return None


def _names_of(call: exp.Func) -> set[str]:
    """The lower-case names a call may have been written with (a schema in front is dropped by
    the parser: pg_catalog.set_config is a Dot around set_config)."""
    if isinstance(call, exp.Anonymous):
        return {str(call.name).lower()} if call.name else set()
    return {name.lower() for name in type(call).sql_names()}


def denied_call(name: str):
    """Why a function of this (lower-case) name may not be called, or None."""
    if name in DENIED_CALLS:
        return DENIED_CALLS[name]
    return next((why for prefix, why in DENIED_PREFIXES if name.startswith(prefix)), None)


def _statement_kind(statement: exp.Expression) -> str:
    if isinstance(statement, exp.Command):
        return str(statement.this).upper()
    return statement.key.upper()


def parse_complaint(error: Exception) -> str:
    """sqlglot's complaint in one line, without its terminal colours or the query's text."""
    details = getattr(error, "errors", None) or []
    if details and details[0].get("description"):
        first = details[0]
        where = ""
        if first.get("line") is not None:
            where = " " + _("(line %(line)s, column %(col)s)") % {
                "line": first["line"],
                "col": first.get("col"),
            }
        return ANSI.sub("", str(first["description"])) + where
    return ANSI.sub("", str(error)).splitlines()[0] if str(error) else type(error).__name__


def clean_query(query: str) -> str:
    """The query without trailing semicolons and comments (cut after its last token)."""
    tokens = [
        token
        for token in sqlglot.tokenize(query, read="postgres")
        if token.token_type != TokenType.SEMICOLON
    ]
    return query[: tokens[-1].end + 1] if tokens else query


def dsn_problem(dsn) -> str | None:
    """Why `dsn` is not a PostgreSQL connection string, or None. Never quotes it."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    example = "postgresql://reader:password@db.example.com:5432/crm"
    if not isinstance(dsn, str) or not dsn.strip():
        return _("Give the DSN of the source database, e.g. %(example)s.") % {"example": example}
    text = dsn.strip()
    if "://" in text.split(" ")[0] and not text.startswith(("postgresql://", "postgres://")):
        return _(
            "The DSN must be a PostgreSQL URL (postgresql://...) or a connection string of "
            "key=value pairs, e.g. %(example)s."
        ) % {"example": example}
    try:
        parts = conninfo_to_dict(text)
    except (ProgrammingError, ValueError, TypeError):
        return _(
            "The DSN cannot be read: write it as %(example)s or as key=value pairs "
            "(host=... dbname=... user=... password=...)."
        ) % {"example": example}
    if not parts:
        return _("Give the DSN of the source database, e.g. %(example)s.") % {"example": example}
    return _reach_problem(parts)


LOCAL_HOST = "local"  # localhost, a loopback or unspecified address, a socket, no host at all
DEFAULT_PORT = "5432"


def _reach_problem(parts: dict) -> str | None:
    """Why a DSN (read by conninfo_to_dict) may not be reached: a host of
    CONNECTOR_SQL_DENIED_HOSTS, or the app's own database (it would read every organisation's
    data, or the server's files as a superuser). Compared as written: libpq's environment
    defaults (PGHOST, PGDATABASE...) and service files are not considered."""
    endpoints = _endpoints(parts)
    denied = {_host_key(host) for host in settings.CONNECTOR_SQL_DENIED_HOSTS if host.strip()}
    named = next((host for host, _port, key in endpoints if key in denied), None)
    if named is not None:
        return _(
            "The DSN names the host “%(host)s”, which SQL pulls may not reach on this server "
            "(CONNECTOR_SQL_DENIED_HOSTS). Give the address of the client's database."
        ) % {"host": named or "localhost"}
    reached = {(key, port) for _host, port, key in endpoints}
    database = parts.get("dbname") or parts.get("user") or ""  # libpq's default: the user's name
    for own in _own_databases():
        if database == own["dbname"] and reached & {(k, p) for _h, p, k in own["endpoints"]}:
            return _(
                "The DSN points at this application's own database: a SQL pull reads a "
                "client's database, never ours (it would read every organisation's data). "
                "Give the DSN of the source database."
            )
    return None


def _own_databases() -> list[dict]:
    """{"dbname", "endpoints"} of each PostgreSQL database in settings.DATABASES."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    found = []
    for db in settings.DATABASES.values():
        if "postgresql" not in db.get("ENGINE", ""):
            continue
        given = {"host": db.get("HOST"), "port": db.get("PORT"), "dbname": db.get("NAME")}
        parts = conninfo_to_dict(make_conninfo(**{k: str(v) for k, v in given.items() if v}))
        found.append({"dbname": parts.get("dbname") or "", "endpoints": _endpoints(parts)})
    return found


def _endpoints(parts: dict) -> list[tuple[str, str, str]]:
    """(host as written, port, normalised host) of every host and hostaddr of a conninfo:
    libpq tries each of a comma-separated list, one port serving them all; hostaddr, when
    given, is where it connects (the host then only names the server)."""
    hosts = (parts.get("host") or "").split(",")
    addresses = (parts.get("hostaddr") or "").split(",")
    ports = [port.strip() or DEFAULT_PORT for port in (parts.get("port") or "").split(",")]
    found = []
    for n in range(max(len(hosts), len(addresses))):
        port = ports[n] if n < len(ports) else ports[-1] if len(ports) == 1 else DEFAULT_PORT
        host = hosts[n].strip() if n < len(hosts) else ""
        address = addresses[n].strip() if n < len(addresses) else ""
        if address:
            found.append((address, port, _host_key(address)))
        if host or not address:
            found.append((host, port, _host_key(host)))
    return found


def _host_key(host: str) -> str:
    """A host compared: lower case, without a trailing dot; every name of this machine is one."""
    text = host.strip().strip("[]").rstrip(".").lower()
    if not text or text.startswith(("/", "@")) or text == "localhost":
        return LOCAL_HOST  # no host and a socket directory reach the local server
    if text.endswith(".localhost"):
        return LOCAL_HOST
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback or address.is_unspecified:
        return LOCAL_HOST
    return address.compressed


def timeout_problem(value) -> str | None:
    most = settings.CONNECTOR_STATEMENT_TIMEOUT_SECONDS
    if value in (None, ""):
        return None
    if type(value) is not int or not 1 <= value <= most:
        return _("The statement timeout must be a whole number of seconds from 1 to %(most)s.") % {
            "most": most
        }
    return None


def timeout_of(config: dict) -> int:
    value = config.get("timeout_seconds")
    if value in (None, ""):
        return min(DEFAULT_TIMEOUT_SECONDS, settings.CONNECTOR_STATEMENT_TIMEOUT_SECONDS)
    return value


def _is_name(value) -> bool:
    return isinstance(value, str) and bool(value.strip()) and "\x00" not in value


def _check_columns(config: dict, errors: dict) -> None:
    columns = config.get("columns")
    if not isinstance(columns, dict):
        errors["columns.observed_at"] = _(
            "Map the query's columns: at least “observed_at” (when it was measured) and "
            "“value” (or “numerator” and “denominator”)."
        )
        columns = {}
    for name, column in columns.items():
        if name not in COLUMN_FIELDS:
            errors[f"columns.{name}"] = _(
                "“%(name)s” is not a measurement field; map one of %(fields)s."
            ) % {"name": name, "fields": ", ".join(COLUMN_FIELDS)}
        elif column not in (None, "") and not _is_name(column):
            errors[f"columns.{name}"] = _("Name a column the query returns.")
    mapped = {name for name, column in columns.items() if _is_name(column)}
    if "observed_at" not in mapped:
        errors.setdefault(
            "columns.observed_at",
            _("Name the column that says when each value was measured (a timestamp or date)."),
        )
    fixed = config.get("indicator")
    if fixed not in (None, "") and not (isinstance(fixed, str) and fixed.strip()):
        errors["indicator"] = _("Give the code of the indicator every row delivers to.")
    elif fixed and "indicator" in mapped:
        errors["indicator"] = _(
            "Either deliver every row to one indicator (its code) or name the column holding "
            "the indicator's code, not both."
        )
    elif not fixed and "indicator" not in mapped:
        errors["indicator"] = _(
            "Give the code of the indicator the rows deliver to, or name the column that "
            "holds each row's indicator code."
        )
    ratio = {"numerator", "denominator"} & mapped
    if "value" in mapped and ratio:
        errors["columns.value"] = _(
            "Map either “value” or “numerator” and “denominator” (ratio indicators), not both."
        )
    elif "value" not in mapped and not ratio:
        errors.setdefault(
            "columns.value",
            _("Name the column holding the value (or “numerator” and “denominator”)."),
        )
    elif len(ratio) == 1:
        missing = ({"numerator", "denominator"} - ratio).pop()
        errors[f"columns.{missing}"] = _(
            "A ratio needs both “numerator” and “denominator”: name the column of the %(field)s."
        ) % {"field": missing}


def _check_segments(segments, errors: dict) -> None:
    if segments in (None, {}):
        return
    if not isinstance(segments, dict) or not all(
        isinstance(dim, str) and dim.strip() and ":" not in dim and _is_name(column)
        for dim, column in segments.items()
    ):
        errors["segments"] = _(
            "Segments map a dimension name (without “:”) to the column holding its member, "
            "e.g. {“channel”: “sales_channel”}."
        )


def mapped_columns(config: dict) -> dict[str, str]:
    """{field: column} of every column the mapping reads ("segments.<dim>", "watermark_column")."""
    found = {
        f"columns.{name}": column
        for name, column in (config.get("columns") or {}).items()
        if _is_name(column)
    }
    found |= {f"segments.{dim}": column for dim, column in (config.get("segments") or {}).items()}
    if _is_name(config.get("watermark_column")):
        found["watermark_column"] = config["watermark_column"]
    return found


def _check_named_columns(config: dict, errors: dict) -> None:
    """When the query names every column it returns (no *), each mapped column must be one."""
    returned = _returned_columns(config["query"])
    if returned is None:
        return
    folded = {name.lower() for name in returned}
    for field, column in mapped_columns(config).items():
        if not isinstance(column, str) or column in returned or column.lower() in folded:
            continue
        field = "segments" if field.startswith("segments.") else field
        errors.setdefault(
            field,
            _("The query returns no column “%(column)s”; it returns %(returned)s.")
            % {"column": column, "returned": ", ".join(returned)},
        )


def _returned_columns(query: str) -> list[str] | None:
    statement = sqlglot.parse_one(query, dialect="postgres")
    while isinstance(statement, (exp.Subquery, *SET_OPERATIONS)):
        statement = statement.this
    if not isinstance(statement, exp.Select):
        return None
    names = []
    for projection in statement.expressions:
        if isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            return None
        if not isinstance(projection, exp.Alias | exp.Column) or not projection.alias_or_name:
            return None  # PostgreSQL names an expression itself (?column?, count): the run checks
        names.append(projection.alias_or_name)
    return names
