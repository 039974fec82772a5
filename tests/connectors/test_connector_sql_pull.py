"""SQL pull against a real second PostgreSQL database that the tests create and drop.

The source database `oc_source_<random>` lives on the server of DATABASE_URL for this module; each
test starts with a fresh `readings` table (six rows in two indicators and two months) and a
sequence. Runs go through the run service's `run_connector` (lock, run row, one transaction,
finish) as a scheduled or manual run does.
"""

from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest

from connectors.models import Connector, Feed, RunStatus, RunTrigger
from connectors.pull import sql as sql_pull
from connectors.services.runs import run_connector
from indicators.models import Measurement, PeriodValue
from tests.connectors import sql_source
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.postgres
source_database, source = sql_source.source_database, sql_source.source  # fixtures

COLUMNS = {"indicator": "indicator", "key": "ref", "observed_at": "measured_at", "value": "amount"}


@pytest.fixture
def indicators(organisation):
    return {
        "quote_time": IndicatorFactory(organisation=organisation, code="quote_time"),
        "claims": IndicatorFactory(organisation=organisation, code="claims", aggregation="sum"),
    }


@pytest.fixture
def connector(make_connector, source, indicators):
    def make(query="SELECT * FROM readings", *, dsn=None, **config):
        config = {"query": query, "columns": dict(COLUMNS), "watermark_column": ""} | config
        return make_connector("sql", secrets={"dsn": dsn or source.dsn}, config=config)

    return make


@pytest.fixture
def pull(django_capture_on_commit_callbacks):
    """One run of the connector; the recompute it enqueues runs after commit."""

    def run(connector, *, dry_run=False):
        connector.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            run = run_connector(connector, trigger=RunTrigger.MANUAL, dry_run=dry_run)
        run.refresh_from_db()
        return run

    return run


def counts(run) -> tuple:
    return run.status, run.rows, run.created, run.updated, run.unchanged


def month_values(indicator, segment="") -> dict:
    return dict(
        PeriodValue.objects.filter(indicator=indicator, period="month", segment=segment)
        .order_by("period_start")
        .values_list("period_start__month", "value")
    )


def test_first_run_delivers_every_row_and_the_values_are_computed(connector, pull, indicators):
    run = pull(connector(watermark_column="updated_at"))
    assert counts(run) == (RunStatus.SUCCEEDED, 6, 6, 0, 0), run.message
    assert Measurement.objects.count() == 6
    # quote_time (mean): January (10.5 + 20.5) / 2, February 30; claims (sum): 1 + 2, 3.
    assert month_values(indicators["quote_time"]) == {1: 15.5, 2: 30.0}
    assert month_values(indicators["claims"]) == {1: 3.0, 2: 3.0}
    stored = Measurement.objects.get(key="r1")
    assert stored.observed_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert run.watermark_from == ""
    assert run.watermark_to == "2026-03-01T08:05:00+00:00"
    assert sorted(Feed.objects.values_list("indicator__code", flat=True)) == [
        "claims",
        "quote_time",
    ]


def test_a_second_run_without_new_rows_reads_nothing(connector, pull):
    made = connector(watermark_column="updated_at")
    pull(made)
    made.refresh_from_db()
    assert made.watermark == {
        "type": "datetime",
        "value": "2026-03-01T08:05:00+00:00",
        "column": "updated_at",
    }
    run = pull(made)
    assert counts(run) == (RunStatus.SKIPPED, 0, 0, 0, 0)
    assert "No new rows: none with updated_at above 2026-03-01T08:05:00+00:00" in run.message
    assert run.watermark_from == run.watermark_to == "2026-03-01T08:05:00+00:00"
    assert Measurement.objects.count() == 6


def test_the_next_run_picks_up_only_rows_newer_than_the_watermark(
    connector, pull, indicators, source
):
    made = connector(watermark_column="updated_at")
    pull(made)
    # One new row and one corrected row (same key r1, a later updated_at).
    source.execute(
        "INSERT INTO readings VALUES"
        " (7, 'quote_time', 'r7', '2026-02-10 10:00+02', 40, 'web', '2026-03-02 09:00+00');"
        "UPDATE readings SET amount = 12.5, updated_at = '2026-03-02 09:00+00' WHERE id = 1"
    )
    run = pull(made)
    assert counts(run) == (RunStatus.SUCCEEDED, 2, 1, 1, 0)
    assert Measurement.objects.count() == 7
    assert Measurement.objects.get(key="r1").value == 12.5
    # January (12.5 + 20.5) / 2 = 16.5; February (30 + 40) / 2 = 35.
    assert month_values(indicators["quote_time"]) == {1: 16.5, 2: 35.0}
    feeds = dict(Feed.objects.values_list("indicator__code", "last_delivered_at"))
    assert len(feeds) == 2 and feeds["quote_time"] > feeds["claims"]  # only it was delivered
    assert run.watermark_from == "2026-03-01T08:05:00+00:00"
    assert run.watermark_to == "2026-03-02T09:00:00+00:00"


def test_without_a_watermark_a_rerun_reads_everything_and_changes_nothing(connector, pull):
    made = connector()
    assert counts(pull(made)) == (RunStatus.SUCCEEDED, 6, 6, 0, 0)
    assert counts(pull(made)) == (RunStatus.SUCCEEDED, 6, 0, 0, 6)
    made.refresh_from_db()
    assert made.watermark is None
    assert Measurement.objects.count() == 6


@pytest.mark.parametrize(
    ("column", "kind", "value"),
    [
        ("id", "int", "6"),
        ("amount", "decimal", "30"),
        ("day", "date", "2026-02-11"),
        ("ref", "text", "r6"),
        ("score", "float", "3.25"),
        ("stamp", "datetime", "2026-02-11T12:00:00"),
    ],
)
def test_each_watermark_type_is_stored_and_bound_back(connector, pull, column, kind, value):
    made = connector(
        "SELECT *, measured_at::date AS day, (id * 0.5 + 0.25)::float8 AS score,"
        " (measured_at AT TIME ZONE 'UTC')::timestamp + interval '2 hours' AS stamp"
        " FROM readings",
        watermark_column=column,
        columns=COLUMNS | {"value": "id"},
    )
    assert pull(made).rows == 6
    made.refresh_from_db()
    assert made.watermark == {"type": kind, "value": value, "column": column}
    assert pull(made).rows == 0


def test_a_ratio_maps_numerator_and_denominator(connector, pull, organisation):
    share = IndicatorFactory(organisation=organisation, code="won_share", aggregation="ratio")
    made = connector(
        "SELECT * FROM (VALUES"
        " ('2026-01-05 10:00'::timestamp, 3, 10),"
        " ('2026-01-06 10:00'::timestamp, 1, 10),"
        " ('2026-02-01 10:00'::timestamp, 2, 5)) AS t (day, won, sent)",
        indicator="won_share",
        columns={"observed_at": "day", "numerator": "won", "denominator": "sent"},
    )
    run = pull(made)
    assert counts(run) == (RunStatus.SUCCEEDED, 3, 3, 0, 0), run.message
    # Ratio = 100 * sum(won) / sum(sent): January 100 * 4 / 20 = 20, February 100 * 2 / 5 = 40.
    assert month_values(share) == {1: 20.0, 2: 40.0}
    # A timestamp without time zone is read in the organisation's zone (Helsinki, UTC+2).
    first = Measurement.objects.order_by("observed_at").first()
    assert first.observed_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert (first.numerator, first.denominator) == (3.0, 10.0)


def test_segment_columns_become_segments(connector, pull, indicators):
    made = connector(segments={"channel": "channel"})
    run = pull(made)
    assert counts(run) == (RunStatus.SUCCEEDED, 6, 6, 0, 0), run.message
    assert Measurement.objects.get(key="r2").segment == {"channel": "shop"}
    assert month_values(indicators["quote_time"], "channel:web") == {1: 10.5, 2: 30.0}
    assert month_values(indicators["quote_time"], "channel:shop") == {1: 20.5}
    assert month_values(indicators["quote_time"]) == {1: 15.5, 2: 30.0}


def test_a_fixed_indicator_takes_every_row(connector, pull, indicators):
    columns = {"key": "ref", "observed_at": "measured_at", "value": "amount"}
    run = pull(connector(indicator="claims", columns=columns))
    assert counts(run) == (RunStatus.SUCCEEDED, 6, 6, 0, 0), run.message
    assert Measurement.objects.filter(indicator=indicators["claims"]).count() == 6
    # claims sums: January 10.5 + 20.5 + 1 + 2 = 34, February 30 + 3 = 33.
    assert month_values(indicators["claims"]) == {1: 34.0, 2: 33.0}


MANY = (
    "SELECT 'claims' AS indicator, 'k' || g AS ref,"
    " timestamptz '2026-01-01 00:00+00' + g * interval '1 minute' AS measured_at,"
    " CASE WHEN g = %s THEN NULL ELSE g END AS amount"
    " FROM generate_series(1, 25000) AS g"
)


@pytest.fixture
def batches(monkeypatch):
    """Record every batch the pull delivers: (size, first_index, savepoint of the run)."""
    from django.db import connection

    seen = []
    deliver = sql_pull.deliver

    def recording(connector, items, **kwargs):
        seen.append((len(items), kwargs["first_index"], connection.savepoint_ids[:1]))
        return deliver(connector, items, **kwargs)

    monkeypatch.setattr(sql_pull, "deliver", recording)
    return seen


def test_25000_rows_arrive_in_three_batches_in_one_transaction(connector, pull, batches):
    run = pull(connector(MANY % 0))
    assert counts(run) == (RunStatus.SUCCEEDED, 25000, 25000, 0, 0), run.message
    assert [(size, first) for size, first, _ in batches] == [
        (10000, 0),
        (10000, 10000),
        (5000, 20000),
    ]
    assert len({tuple(savepoint) for _, _, savepoint in batches}) == 1
    assert Measurement.objects.count() == 25000


def test_a_bad_value_in_the_last_batch_writes_nothing(connector, pull, batches):
    run = pull(connector(MANY % 24001))  # row 24,001 has no value: index 24,000
    assert run.status == RunStatus.FAILED
    assert len(batches) == 3
    assert run.error_count == 1
    assert run.errors[0]["index"] == 24000
    assert run.errors[0]["field"] == "value"
    assert (run.created, run.updated, run.unchanged) == (0, 0, 0)
    assert Measurement.objects.count() == 0
    assert PeriodValue.objects.count() == 0


def test_an_unreachable_source_fails_and_is_retried_with_nothing_written(connector, pull, source):
    dsn = psycopg.conninfo.make_conninfo(source.dsn, port=1)
    run = pull(connector(dsn=dsn, watermark_column="updated_at"))
    assert run.status == RunStatus.FAILED
    assert run.message.startswith("Could not connect to the source database")
    assert run.retry_at is not None
    assert Measurement.objects.count() == 0
    assert Connector.objects.get().watermark is None


def test_the_apps_own_database_is_refused_when_run(connector, pull, source, settings):
    # Stored before the check (or the settings changed since): the run refuses it before it
    # connects. The source database on the same server (every other test) stays allowed.
    own = psycopg.conninfo.make_conninfo(
        source.dsn, host="localhost", dbname=settings.DATABASES["default"]["NAME"]
    )
    made = connector(
        "SELECT 'claims' AS indicator, code AS ref, created_at AS measured_at, 1 AS amount"
        " FROM connectors_connector",
        dsn=own,
        columns=COLUMNS,
    )
    run = pull(made)
    assert run.status == RunStatus.FAILED
    assert run.message.startswith(
        "The connector's settings are not valid: dsn: The DSN points at this application's own "
        "database"
    ), run.message
    assert run.retry_at is None
    assert Measurement.objects.count() == 0


def test_a_denied_host_is_refused_when_run(connector, pull, settings):
    settings.CONNECTOR_SQL_DENIED_HOSTS = ["127.0.0.1"]
    run = pull(connector())
    assert run.status == RunStatus.FAILED
    assert "CONNECTOR_SQL_DENIED_HOSTS" in run.message
    assert Measurement.objects.count() == 0


def test_a_statement_timeout_fails_the_run_saying_so(connector, pull, settings):
    made = connector(
        "SELECT now() AS measured_at, 1 AS amount, 'claims' AS indicator, 'x' AS ref"
        " FROM pg_sleep(3)",
        timeout_seconds=1,
    )
    run = pull(made)
    assert run.status == RunStatus.FAILED
    assert "timed out after 1 s" in run.message
    assert "timeout_seconds" in run.message
    assert run.retry_at is None


def test_a_write_is_refused_by_the_read_only_transaction(connector, pull, source):
    # nextval itself is refused when saved; hidden in a function of the source it reaches the
    # run, whose read-only transaction refuses it.
    source.execute(
        "CREATE FUNCTION bump() RETURNS bigint LANGUAGE sql AS $$SELECT nextval('seq')$$"
    )
    run = pull(
        connector(
            "SELECT bump() AS amount, now() AS measured_at, 'claims' AS indicator, 'x' AS ref"
        )
    )
    assert run.status == RunStatus.FAILED
    assert "read-only transaction" in run.message
    assert "nextval" in run.message
    with psycopg.connect(source.dsn) as conn:
        assert conn.execute("SELECT is_called FROM seq").fetchone() == (False,)


def test_a_denied_call_stored_before_the_check_is_refused_when_run(connector, pull):
    # It would switch the run's statement timeout off; the run checks the query again.
    made = connector(
        "SELECT *, set_config('statement_timeout', '0', true) AS timeout FROM readings"
    )
    run = pull(made)
    assert run.status == RunStatus.FAILED
    assert run.message.startswith(
        "The connector's settings are not valid: query: The query calls set_config(), which "
        "changes a server setting"
    ), run.message
    assert Measurement.objects.count() == 0


def test_a_mapping_naming_a_missing_column_fails_listing_the_columns(connector, pull):
    run = pull(connector(columns=COLUMNS | {"value": "amount_eur"}))
    assert run.status == RunStatus.FAILED
    assert "“amount_eur”" in run.message
    assert "id, indicator, ref, measured_at, amount, channel, updated_at" in run.message
    assert Measurement.objects.count() == 0


def test_a_watermark_column_the_query_lost_fails_listing_the_columns(connector, pull):
    made = connector(
        # A * hides the columns from the check on saving; the run finds the watermark missing.
        "SELECT * FROM (SELECT indicator, ref, measured_at, amount FROM readings) AS r",
        watermark_column="updated_at",
    )
    Connector.objects.filter(pk=made.pk).update(
        watermark={"type": "datetime", "value": "2026-03-01T08:00:00+00:00"}
    )
    run = pull(made)
    assert run.status == RunStatus.FAILED
    assert "“updated_at”" in run.message
    assert "It returns: indicator, ref, measured_at, amount." in run.message


def test_a_watermark_of_another_column_is_ignored(connector, pull):
    made = connector(watermark_column="id")
    Connector.objects.filter(pk=made.pk).update(
        watermark={"type": "text", "value": "zzz", "column": "ref"}
    )
    run = pull(made)
    assert counts(run) == (RunStatus.SUCCEEDED, 6, 6, 0, 0)
    assert run.watermark_from == ""
    made.refresh_from_db()
    assert made.watermark == {"type": "int", "value": "6", "column": "id"}


def test_a_stored_watermark_that_no_longer_compares_fails_saying_why(connector, pull):
    made = connector(watermark_column="id")
    Connector.objects.filter(pk=made.pk).update(
        watermark={"type": "datetime", "value": "2026-03-01T08:00:00+00:00"}
    )
    run = pull(made)
    assert run.status == RunStatus.FAILED
    assert "The stored watermark does not compare with the column “id”" in run.message


def test_a_query_error_fails_with_the_sources_words(connector, pull):
    run = pull(connector("SELECT * FROM no_such_table"))
    assert run.status == RunStatus.FAILED
    assert 'relation "no_such_table" does not exist' in run.message
    assert run.retry_at is None


def test_a_dry_run_reads_and_checks_but_writes_nothing(connector, pull):
    made = connector(watermark_column="updated_at")
    run = pull(made, dry_run=True)
    assert counts(run) == (RunStatus.SUCCEEDED, 6, 6, 0, 0)
    assert run.watermark_to == "2026-03-01T08:05:00+00:00"
    assert Measurement.objects.count() == 0
    made.refresh_from_db()
    assert made.watermark is None
    assert made.feeds.count() == 0


def test_numbers_and_texts_are_converted_for_the_ingest(connector, organisation):
    made = connector(segments={"channel": "channel"})
    convert = sql_pull._converter(
        made,
        made.config,
        {
            "columns.indicator": 0,
            "columns.key": 1,
            "columns.observed_at": 2,
            "columns.value": 3,
            "segments.channel": 4,
        },
    )
    row = ("claims", 17, datetime(2026, 1, 5, 10, 0), Decimal("2.50"), 3)
    assert convert(row) == {
        "indicator": "claims",
        "observed_at": "2026-01-05T10:00:00+02:00",
        "key": "17",
        "value": 2.5,
        "segment": {"channel": "3"},
    }
