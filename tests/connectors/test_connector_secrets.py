"""Connector secrets: encrypted at rest, rotatable, masked wherever text leaves the server.

The last tests run failing SQL pulls whose DSN holds a password and look for that password in
everything the failure leaves behind: every log record (all loggers at DEBUG), what was written
to stderr, the Run's message and errors, and the connector's stored row.
"""

import logging
from urllib.parse import quote

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.db import connection

from connectors import secrets
from connectors.models import Connector, Run, RunStatus, RunTrigger
from connectors.pull import sql as sql_pull
from connectors.services.connectors import create_connector
from connectors.services.runs import run_connector
from tests.connectors import sql_source
from tests.factories import IndicatorFactory

source_database, source = sql_source.source_database, sql_source.source  # fixtures

PASSWORD = "S3kr@t-pw!x"
DSN = f"postgresql://reader:{quote(PASSWORD, safe='')}@db.example.com:5432/crm"
CONFIG = {
    "query": "SELECT code, day, amount FROM sales",
    "indicator": "",
    "columns": {"indicator": "code", "observed_at": "day", "value": "amount"},
}


@pytest.fixture
def keys(settings):
    """Two fresh Fernet keys; the cached MultiFernet is rebuilt whenever the keys change."""
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    def use(*chosen):
        settings.CONNECTOR_SECRET_KEYS = list(chosen)
        secrets._fernet.cache_clear()

    yield first, second, use
    secrets._fernet.cache_clear()


def test_secrets_round_trip_through_fernet(keys):
    first, _second, use = keys
    use(first)
    token = secrets.encrypt({"dsn": DSN, "empty": ""})
    assert PASSWORD not in token and "db.example.com" not in token
    assert Fernet(first.encode()).decrypt(token.encode())  # a plain Fernet token of the first key
    assert secrets.decrypt(token) == {"dsn": DSN}  # empty values are not stored
    assert secrets.encrypt({}) == "" and secrets.decrypt("") == {}


def test_after_rotation_the_old_key_still_decrypts_and_the_new_one_encrypts(keys):
    old, new, use = keys
    use(old)
    before = secrets.encrypt({"dsn": DSN})
    use(new, old)  # rotated: the new key first
    assert secrets.decrypt(before) == {"dsn": DSN}
    after = secrets.encrypt({"dsn": DSN})
    use(new)  # the old key removed: what it encrypted can no longer be read
    assert secrets.decrypt(after) == {"dsn": DSN}
    with pytest.raises(secrets.SecretsUnreadable):
        secrets.decrypt(before)


@pytest.mark.django_db
def test_the_database_never_holds_the_plaintext_dsn(organisation):
    connector, _token = create_connector(
        organisation=organisation,
        kind="sql",
        code="crm",
        name="CRM",
        config=CONFIG,
        secrets={"dsn": DSN},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM connectors_connector WHERE id = %s", [connector.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert connector.secrets in row  # the Fernet token is what is stored
    for text in (DSN, PASSWORD, quote(PASSWORD, safe=""), "reader:"):
        assert text not in row
    assert secrets.decrypt(Connector.objects.get().secrets) == {"dsn": DSN}


def test_mask_hides_a_dsns_password_plain_and_url_encoded():
    encoded = quote(PASSWORD, safe="")
    text = f"failed for {DSN}; password {PASSWORD}; in a URL {encoded}"
    masked = secrets.mask(text, {"dsn": DSN})
    assert PASSWORD not in masked and encoded not in masked
    assert masked == f"failed for {secrets.MASK}; password {secrets.MASK}; in a URL {secrets.MASK}"
    conninfo = f"host=db.example.com password='{PASSWORD}'"
    assert PASSWORD not in secrets.mask(f"bad: {PASSWORD}", {"dsn": conninfo})


def test_a_masked_value_shows_at_most_its_last_characters():
    assert secrets.masked("abcdef", keep=2) == secrets.MASK + "ef"
    assert secrets.masked("") == ""


# The failing runs. The test server trusts 127.0.0.1, so a DSN with a password still connects.
FAILURES = {
    "unreachable": ("port", "SELECT * FROM readings"),
    # PostgreSQL quotes the missing table's name, which is the password.
    "query error": ("", f'SELECT * FROM "{PASSWORD}"'),
    # The ingest quotes the unknown indicator code, which is the password.
    "refused item": (
        "",
        f"SELECT '{PASSWORD}' AS indicator, now() AS measured_at, 1 AS amount, 'k' AS ref",
    ),
    # A defect: the run service logs the exception's text.
    "unexpected": ("boom", "SELECT * FROM readings"),
}


@pytest.mark.postgres
@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failing_sql_pull_never_shows_the_dsns_password(
    failure, source, make_connector, organisation, caplog, capfd, monkeypatch
):
    IndicatorFactory(organisation=organisation, code="quote_time")
    how, query = FAILURES[failure]
    dsn = psycopg.conninfo.make_conninfo(source.dsn, password=PASSWORD)
    if how == "port":
        dsn = psycopg.conninfo.make_conninfo(dsn, port=1)
    if how == "boom":

        def boom(*args, **kwargs):
            raise RuntimeError(f"driver said: could not use {dsn} (password {PASSWORD})")

        monkeypatch.setattr(sql_pull, "deliver", boom)
    config = {
        "query": query,
        "columns": {"indicator": "indicator", "observed_at": "measured_at", "value": "amount"},
    }
    connector = make_connector("sql", secrets={"dsn": dsn}, config=config)
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)

    run_connector(connector, trigger=RunTrigger.MANUAL)

    run = Run.objects.get()
    assert run.status == RunStatus.FAILED
    assert run.message
    output = capfd.readouterr()
    left_behind = [
        caplog.text,
        *(record.getMessage() for record in caplog.records),
        output.out,
        output.err,
        run.message,
        str(run.errors),
        # Its settings hold the query, which these tests made quote the password on purpose.
        str({**Connector.objects.filter(pk=connector.pk).values().get(), "config": None}),
    ]
    for text in left_behind:
        assert PASSWORD not in text
        assert quote(PASSWORD, safe="") not in text
    if failure in ("query error", "refused item", "unexpected"):
        # The password was in what failed: it was there to mask, and it was masked.
        assert secrets.MASK in caplog.text + run.message + str(run.errors)
