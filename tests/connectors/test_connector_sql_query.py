"""What a SQL pull accepts when it is saved: one read-only SELECT, a PostgreSQL DSN, a mapping.

No database: `validate_config` reads the query with sqlglot and the DSN with psycopg's conninfo
parser, so these run on both lanes.
"""

import pytest

from connectors.pull.sql import validate_config
from connectors.pull.sql_query import clean_query

DSN = "postgresql://reader:Pa55-word@db.example.com:5432/crm"
GOOD = {
    "query": "SELECT code, day, amount, updated_at FROM sales",
    "indicator": "",
    "columns": {"indicator": "code", "observed_at": "day", "value": "amount"},
    "segments": {},
    "watermark_column": "updated_at",
    "timeout_seconds": 60,
}


def problems(target="measurements", dsn=DSN, **changes):
    return validate_config(GOOD | changes, {"dsn": dsn} if dsn is not None else {}, target=target)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT code, day, amount, updated_at FROM sales",
        "select code, day, amount, updated_at from sales;",
        "SELECT * FROM sales WHERE amount > 0 -- only sales\n",
        "SELECT code, day, amount, updated_at FROM a UNION ALL SELECT code, day, amount, u FROM b",
        "WITH recent AS (SELECT * FROM sales WHERE day > now() - interval '30 days')"
        " SELECT * FROM recent",
        "(SELECT * FROM sales)",
        "SELECT s.* FROM sales s JOIN shops USING (shop_id) WHERE name LIKE 'North%'",
        "SELECT code, day::date AS day, sum(amount) AS amount, max(updated_at) AS updated_at"
        " FROM sales GROUP BY 1, 2",
        # A trailing comment (after or before the ";") is no second statement.
        "SELECT code, day, amount, updated_at FROM sales; -- note",
        "SELECT code, day, amount, updated_at FROM sales; /* note */",
        "SELECT code, day, amount, updated_at FROM sales -- note\n;",
        "SELECT code, day, amount, updated_at FROM sales;\n-- one\n-- two\n",
        # Harmless functions stay allowed: current_setting reads, pg_sleep only waits.
        "SELECT code, day, amount, updated_at, current_setting('TimeZone') AS tz FROM sales",
        "SELECT code, day, amount, updated_at FROM sales, pg_sleep(0)",
    ],
)
def test_one_read_only_select_is_accepted(query):
    assert problems(query=query) == {}


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("SELECT * FROM sales; SELECT * FROM other", "holds 2 statements"),
        ("SELECT * FROM sales; DROP TABLE sales", "holds 2 statements"),
        ("SELECT * FROM sales; -- note\nDROP TABLE sales", "holds 2 statements"),
        ("SELECT * FROM sales; /* note */ SELECT 2;", "holds 2 statements"),
        ("DELETE FROM sales", "not DELETE"),
        ("INSERT INTO sales VALUES (1)", "not INSERT"),
        ("UPDATE sales SET amount = 0", "not UPDATE"),
        ("VALUES (1, 2)", "not VALUES"),
        ("WITH gone AS (DELETE FROM sales RETURNING *) SELECT * FROM gone", "contains DELETE"),
        (
            "WITH moved AS (UPDATE sales SET amount = 0 RETURNING *) SELECT * FROM moved",
            "contains UPDATE",
        ),
        ("WITH a AS (SELECT 1) INSERT INTO sales SELECT * FROM a", "not INSERT"),
        ("SELECT * INTO copy_of_sales FROM sales", "SELECT ... INTO"),
        ("SELECT * FROM sales FOR UPDATE", "FOR UPDATE / FOR SHARE"),
        ("SELECT * FROM sales FOR SHARE", "FOR UPDATE / FOR SHARE"),
        ("SELECT * FROM sales FOR NO KEY UPDATE SKIP LOCKED", "FOR UPDATE / FOR SHARE"),
        ("SELECT * FROM sales WHERE updated_at > %s", "placeholder"),
        ("SELECT * FROM sales WHERE updated_at > $1", "placeholder"),
        ("EXPLAIN SELECT * FROM sales", "not EXPLAIN"),
        ("SELEC * FROM sales", "The query cannot be read: "),
        ("SELECT * FROM (SELECT 1", "The query cannot be read: "),
        ("SELECT 'unterminated FROM sales", "The query cannot be read: "),
        ("", "Write the SELECT"),
        ("   ;  ", "Write the SELECT"),
    ],
)
def test_anything_but_one_read_only_select_is_refused(query, words):
    found = problems(query=query)
    assert list(found) == ["query"], found
    assert words in found["query"]


@pytest.mark.parametrize(
    ("call", "why"),
    [
        # It switched the run's statement timeout off.
        ("set_config('statement_timeout', '0', true)", "changes a server setting"),
        ("pg_catalog.SET_CONFIG('statement_timeout', '0', false)", "changes a server setting"),
        ("pg_read_file('/etc/passwd')", "reads the server's files"),
        ("PG_CATALOG.pg_read_binary_file('/etc/passwd')", "reads the server's files"),
        ("\"pg_read_file\"('/etc/passwd')", "reads the server's files"),
        ("pg_ls_dir('.')", "reads the server's files"),
        ("pg_stat_file('postgresql.conf')", "reads the server's files"),
        ("lo_import('/etc/passwd')", "large objects"),
        ("lo_export(1, '/tmp/x')", "large objects"),
        ("lo_get(1)", "large objects"),
        ("lo_put(1, 0, 'x')", "large objects"),
        ("dblink('dbname=other', 'SELECT 1')", "another database"),
        ("dblink_exec('dbname=other', 'DROP TABLE t')", "another database"),
        ("pg_terminate_backend(42)", "the server's sessions"),
        ("pg_cancel_backend(42)", "the server's sessions"),
        ("pg_reload_conf()", "controls the server"),
        ("pg_rotate_logfile()", "controls the server"),
        ("pg_promote()", "controls the server"),
        ("pg_switch_wal()", "controls the server"),
        ("pg_create_restore_point('x')", "controls the server"),
        ("pg_advisory_lock(1)", "advisory lock"),
        ("pg_advisory_xact_lock(1)", "advisory lock"),
        ("pg_try_advisory_lock(1)", "advisory lock"),
        ("txid_current()", "transaction id"),
        ("pg_current_xact_id()", "transaction id"),
        ("nextval('seq')", "sequence"),
        ("setval('seq', 1)", "sequence"),
        ("query_to_xml('DELETE FROM sales', true, true, '')", "SQL of its own"),
        ("query_to_xml_and_xmlschema('SELECT 1', true, true, '')", "SQL of its own"),
        ("cursor_to_xml('c', 1, true, true, '')", "SQL of its own"),
        ("table_to_xml('pg_authid', true, true, '')", "SQL of its own"),
    ],
)
def test_a_call_that_writes_or_reads_the_server_is_refused_naming_it(call, why):
    for query in (
        f"SELECT code, day, amount, updated_at, {call} AS x FROM sales",
        f"SELECT code, day, amount, updated_at FROM sales WHERE amount > 0 AND {call} IS NULL",
        f"WITH t AS (SELECT {call} AS x) SELECT code, day, amount, updated_at FROM sales, t",
    ):
        found = problems(query=query)
        assert list(found) == ["query"], (query, found)
        name = call.split("(")[0].split(".")[-1].strip('"()').lower()
        assert found["query"].startswith(f"The query calls {name}(), which "), found["query"]
        assert why in found["query"]


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("dblink('dbname=other', 'SELECT * FROM sales') AS t (code text, day date)", "dblink"),
        ("pg_catalog.pg_ls_dir('.') AS d", "pg_ls_dir"),
        ("ROWS FROM (pg_read_file('/etc/passwd')) AS r", "pg_read_file"),
        ("sales WHERE amount > (SELECT count(*) FROM pg_ls_dir('.'))", "pg_ls_dir"),
    ],
)
def test_a_denied_function_read_as_a_table_is_refused_too(source, name):
    found = problems(query=f"SELECT code, day, amount, updated_at FROM {source}")
    assert list(found) == ["query"], found
    assert found["query"].startswith(f"The query calls {name}(), which ")


def test_a_parse_error_names_sqlglots_complaint_and_where():
    message = problems(query="SELECT amount FROM sales WHERE")["query"]
    assert message.startswith("The query cannot be read: ")
    assert "(line 1, column" in message
    assert "\x1b[" not in message  # no terminal colours


@pytest.mark.parametrize(
    "dsn",
    [
        DSN,
        "postgres://db.example.com/crm",
        "host=db.example.com dbname=crm user=reader password=Pa55-word",
        "postgresql:///crm?host=/var/run/postgresql",
    ],
)
def test_a_postgresql_url_or_conninfo_is_accepted(dsn):
    assert problems(dsn=dsn) == {}


@pytest.mark.parametrize(
    "dsn",
    [
        "mysql://reader:Pa55-word@db.example.com/crm",
        "https://reader:Pa55-word@db.example.com/crm",
        "reader Pa55-word db.example.com",
        "postgresql://reader:Pa55-word@db.example.com/crm?no_such_option=Pa55-word",
        "",
        None,
    ],
)
def test_anything_else_is_refused_without_quoting_the_dsn(dsn):
    found = problems(dsn=dsn)
    assert list(found) == ["dsn"]
    assert "Pa55-word" not in found["dsn"]
    assert "db.example.com/crm" not in found["dsn"]


APP_DATABASE = {
    "ENGINE": "django.db.backends.postgresql",
    "HOST": "127.0.0.1",
    "PORT": "",
    "NAME": "outcome",
    "USER": "outcome",
    "PASSWORD": "app-secret",
}


@pytest.fixture
def app_database(monkeypatch):
    """The app's own database as settings name it (not through the `settings` fixture: that
    would tell Django the connections changed)."""
    from django.conf import settings as django_settings

    monkeypatch.setattr(django_settings, "DATABASES", {"default": dict(APP_DATABASE)})
    return django_settings.DATABASES["default"]


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://reader:pw@127.0.0.1:5432/outcome",
        "postgresql://reader:pw@localhost/outcome",
        "postgresql://reader:pw@LOCALHOST.:5432/outcome",
        "postgresql://reader:pw@[::1]/outcome",
        "postgresql://reader:pw@127.0.0.2/outcome",  # all of 127/8 is this machine
        "postgresql://reader:pw@0.0.0.0/outcome",  # connects to this machine too
        "postgresql:///outcome",  # no host: the local socket
        "postgresql:///outcome?host=/var/run/postgresql",
        "host=db.example.com hostaddr=127.0.0.1 dbname=outcome user=reader",
        "host=db.example.com,localhost port=5432 dbname=outcome user=reader",
        "postgresql://outcome:pw@localhost/",  # no database: libpq takes the user's name
    ],
)
def test_a_dsn_of_the_apps_own_database_is_refused(app_database, dsn):
    found = problems(dsn=dsn)
    assert list(found) == ["dsn"], found
    assert found["dsn"].startswith("The DSN points at this application's own database")
    assert "pw" not in found["dsn"] and "app-secret" not in found["dsn"]


@pytest.mark.parametrize(
    ("host", "port", "dsn"),
    [
        ("", "", "postgresql://reader:pw@127.0.0.1/outcome"),  # '' is the local socket
        ("localhost", "5433", "postgresql://reader:pw@127.0.0.1:5433/outcome"),
        ("db.internal", "", "postgresql://reader:pw@DB.internal:5432/outcome"),
    ],
)
def test_the_apps_host_and_port_are_normalised_as_well(app_database, host, port, dsn):
    app_database.update(HOST=host, PORT=port)
    assert list(problems(dsn=dsn)) == ["dsn"]


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://reader:pw@127.0.0.1:5432/crm",  # the same server, another database
        "postgresql://reader:pw@localhost:5433/outcome",  # another server on this machine
        "postgresql://reader:pw@db.example.com/outcome",  # a client's database of that name
        "postgresql://reader:pw@localhost/Outcome",  # database names are case-sensitive
    ],
)
def test_another_database_stays_allowed(app_database, dsn):
    assert problems(dsn=dsn) == {}


def test_on_sqlite_no_dsn_is_the_apps_own(monkeypatch):
    from django.conf import settings as django_settings

    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/outcome/db.sqlite3"}
    monkeypatch.setattr(django_settings, "DATABASES", {"default": sqlite})
    assert problems(dsn="postgresql://reader:pw@localhost/db.sqlite3") == {}


@pytest.mark.parametrize(
    ("denied", "dsn", "refused"),
    [
        (["db.internal"], "postgresql://reader:pw@DB.Internal:6432/crm", True),
        (["db.internal"], "host=crm.example.com,db.internal dbname=crm", True),
        (["10.0.0.5"], "host=crm.example.com hostaddr=10.0.0.5 dbname=crm", True),
        (["localhost"], "postgresql://reader:pw@127.0.0.1/crm", True),  # every local alias
        (["localhost"], "postgresql:///crm?host=/var/run/postgresql", True),
        (["db.internal", ""], "postgresql://reader:pw@db.example.com/crm", False),
        ([], "postgresql://reader:pw@localhost/crm", False),
    ],
)
def test_denied_hosts_may_not_be_named(app_database, settings, denied, dsn, refused):
    settings.CONNECTOR_SQL_DENIED_HOSTS = denied
    found = problems(dsn=dsn)
    assert (list(found) == ["dsn"]) is refused, found
    if refused:
        assert "CONNECTOR_SQL_DENIED_HOSTS" in found["dsn"]
        assert "pw" not in found["dsn"]


def test_the_dsn_is_required():
    assert list(problems(dsn=None)) == ["dsn"]


def test_observed_at_is_required():
    found = problems(columns={"indicator": "code", "value": "amount"})
    assert list(found) == ["columns.observed_at"]


def test_an_indicator_code_or_an_indicator_column_is_required_but_not_both():
    assert list(problems(columns={"observed_at": "day", "value": "amount"})) == ["indicator"]
    both = problems(indicator="sales_total")
    assert list(both) == ["indicator"]
    assert "not both" in both["indicator"]
    fixed = problems(indicator="sales_total", columns={"observed_at": "day", "value": "amount"})
    assert fixed == {}


def test_value_or_numerator_and_denominator_is_required():
    base = {"indicator": "code", "observed_at": "day"}
    assert list(problems(columns=base)) == ["columns.value"]
    ratio = base | {"numerator": "won", "denominator": "sent"}
    assert problems(query="SELECT * FROM sales", columns=ratio) == {}
    assert list(problems(query="SELECT * FROM sales", columns=base | {"numerator": "won"})) == [
        "columns.denominator"
    ]
    both = problems(query="SELECT * FROM sales", columns=ratio | {"value": "amount"})
    assert list(both) == ["columns.value"]


def test_an_unknown_field_in_the_mapping_is_refused():
    found = problems(columns=GOOD["columns"] | {"amount": "amount"})
    assert list(found) == ["columns.amount"]


def test_segments_map_dimension_names_to_columns():
    query = "SELECT * FROM sales"
    assert problems(query=query, segments={"channel": "sales_channel"}) == {}
    for bad in ({"channel:x": "c"}, {"": "c"}, {"channel": ""}, ["channel"], {"channel": 3}):
        assert list(problems(query=query, segments=bad)) == ["segments"], bad


@pytest.mark.parametrize(
    ("value", "ok"), [(None, True), (1, True), (300, True), (0, False), (301, False), ("60", False)]
)
def test_the_timeout_is_1_to_the_servers_limit(value, ok, settings):
    settings.CONNECTOR_STATEMENT_TIMEOUT_SECONDS = 300
    found = problems(timeout_seconds=value)
    assert (found == {}) is ok
    if not ok:
        assert list(found) == ["timeout_seconds"]
        assert "1 to 300" in found["timeout_seconds"]


def test_the_watermark_column_is_optional():
    assert problems(watermark_column="") == {}
    assert list(problems(watermark_column=["updated_at"])) == ["watermark_column"]


def test_mapped_columns_the_query_does_not_name_are_refused_when_saved():
    found = problems(
        query="SELECT code, day, amount AS eur FROM sales",
        segments={"channel": "channel"},
    )
    assert set(found) == {"columns.value", "segments", "watermark_column"}
    assert found["columns.value"] == (
        "The query returns no column “amount”; it returns code, day, eur."
    )
    # Unquoted names are folded to lower case by PostgreSQL, as here.
    assert problems(query="SELECT Code, DAY, Amount, Updated_At FROM sales") == {}


def test_a_sql_pull_delivers_measurements_only():
    assert list(problems(target="responses")) == ["target"]


@pytest.mark.parametrize(
    ("query", "cleaned"),
    [
        ("SELECT 1", "SELECT 1"),
        ("SELECT 1;", "SELECT 1"),
        ("SELECT 1 ; -- the end\n", "SELECT 1"),
        ("SELECT ';' AS x -- note", "SELECT ';' AS x"),
        ("SELECT 1 /* block */", "SELECT 1"),
    ],
)
def test_the_query_is_cut_after_its_last_token_for_wrapping(query, cleaned):
    assert clean_query(query) == cleaned
