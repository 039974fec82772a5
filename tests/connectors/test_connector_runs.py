"""The run service: the lease lock, one transaction per run, back-off, the failure streak and
the owner's one notification. Pullers are fakes (`puller_for` patched): these tests are about
the service, not about reading a source."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.services import create_user
from connectors.models import Feed, Run, RunStatus, RunTrigger
from connectors.services import PullFailed, SourceUnavailable, deliver, run_connector
from indicators.models import Measurement, Notification
from tests.factories import IndicatorFactory

DSN = "postgresql://reader:hunter2-secret@db.example:5432/crm"


@pytest.fixture(autouse=True)
def connector_routes(settings):
    settings.ROOT_URLCONF = "tests.connectors.connector_urls"


@pytest.fixture
def pullers(monkeypatch):
    """`pullers.use(fn)` makes fn the puller of every kind; `pullers.calls` counts its calls."""

    class Pullers:
        calls = 0

        def use(self, pull):
            def counted(connector, *, run, dry_run):
                self.calls += 1
                return pull(connector, run=run, dry_run=dry_run)

            monkeypatch.setattr("connectors.services.runs.puller_for", lambda kind: counted)

    return Pullers()


@pytest.fixture
def owner(organisation):
    return create_user(organisation=organisation, username="olga", role=Role.ADMIN)


@pytest.fixture
def sql(make_connector, owner):
    return make_connector("sql", code="crm", secrets={"dsn": DSN}, owner=owner)


def items(code="quotes", n=3):
    return [
        {"indicator": code, "observed_at": f"2025-01-{d:02d}", "value": d} for d in range(1, n + 1)
    ]


def delivers(n=3):
    def pull(connector, *, run, dry_run):
        deliver(connector, items(n=n), run=run, dry_run=dry_run)

    return pull


def fails(error):
    def pull(connector, *, run, dry_run):
        raise error

    return pull


def test_a_held_lease_logs_a_skipped_run_and_never_calls_the_puller(sql, pullers):
    pullers.use(delivers())
    sql.lease_until = timezone.now() + timedelta(minutes=5)
    sql.save()
    run = run_connector(sql, trigger=RunTrigger.SCHEDULE)
    assert pullers.calls == 0
    assert run.status == RunStatus.SKIPPED and "still going" in run.message
    assert Run.objects.get().status == RunStatus.SKIPPED
    sql.refresh_from_db()
    assert sql.lease_until > timezone.now()  # the other run's lease is left alone


def test_an_expired_lease_is_taken_over_and_released(sql, pullers):
    IndicatorFactory(organisation=sql.organisation, code="quotes")
    pullers.use(delivers())
    sql.lease_until = timezone.now() - timedelta(seconds=1)
    sql.save()
    run = run_connector(sql, trigger=RunTrigger.SCHEDULE)
    assert pullers.calls == 1
    assert (run.status, run.rows, run.created) == (RunStatus.SUCCEEDED, 3, 3)
    sql.refresh_from_db()
    assert sql.lease_until is None and sql.last_success_at == run.finished_at


def test_the_lease_is_held_while_the_puller_runs(sql, pullers):
    seen = {}

    def pull(connector, *, run, dry_run):
        connector.refresh_from_db(fields=["lease_until"])
        seen["lease"] = connector.lease_until

    pullers.use(pull)
    run_connector(sql, trigger=RunTrigger.MANUAL)
    assert seen["lease"] > timezone.now() + timedelta(minutes=59)  # CONNECTOR_LEASE_SECONDS


def test_a_run_that_fails_after_delivering_writes_nothing(sql, pullers):
    IndicatorFactory(organisation=sql.organisation, code="quotes")

    def pull(connector, *, run, dry_run):
        deliver(connector, items(n=3), run=run, dry_run=dry_run)
        deliver(connector, items(n=2), run=run, dry_run=dry_run, first_index=3)
        raise PullFailed(
            "column 'value' is not a number", [{"index": 7, "field": "value", "message": "bad"}]
        )

    pullers.use(pull)
    run = run_connector(sql, trigger=RunTrigger.MANUAL)
    assert Measurement.objects.count() == 0 and Feed.objects.count() == 0
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.message == "column 'value' is not a number"
    # It read five rows; it wrote none of them.
    assert (run.rows, run.created, run.updated, run.unchanged) == (5, 0, 0, 0)
    assert run.errors == [{"index": 7, "field": "value", "message": "bad"}] and run.error_count == 1


def test_a_dry_run_counts_what_it_would_write_and_writes_nothing(sql, pullers):
    IndicatorFactory(organisation=sql.organisation, code="quotes")
    pullers.use(delivers(4))
    run = run_connector(sql, trigger=RunTrigger.MANUAL, dry_run=True)
    assert (run.status, run.created) == (RunStatus.SUCCEEDED, 4)
    assert Measurement.objects.count() == 0 and Feed.objects.count() == 0
    sql.refresh_from_db()
    assert sql.last_success_at is None and sql.lease_until is None


def test_a_rerun_changes_nothing_and_the_feed_is_noted(sql, pullers):
    indicator = IndicatorFactory(organisation=sql.organisation, code="quotes")
    pullers.use(delivers(3))
    first = run_connector(sql, trigger=RunTrigger.MANUAL)
    second = run_connector(sql, trigger=RunTrigger.MANUAL)
    assert (first.created, first.unchanged) == (3, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert Measurement.objects.count() == 3
    assert Feed.objects.get(connector=sql).indicator == indicator


def test_secrets_in_a_failure_message_are_masked(sql, pullers, caplog):
    pullers.use(fails(SourceUnavailable(f"could not connect to {DSN}")))
    run = run_connector(sql, trigger=RunTrigger.SCHEDULE)
    assert "hunter2-secret" not in run.message and "••••" in run.message
    pullers.use(fails(RuntimeError(f"driver said {DSN}")))
    run = run_connector(sql, trigger=RunTrigger.SCHEDULE)
    assert run.message == "Unexpected error (RuntimeError)."
    assert "hunter2-secret" not in caplog.text and "RuntimeError" in caplog.text


def notifications(owner):
    return list(Notification.objects.filter(user=owner, kind="source_failed"))


def test_the_owner_is_told_once_on_the_third_failure_in_a_row_and_again_after_a_success(
    sql, pullers, owner
):
    IndicatorFactory(organisation=sql.organisation, code="quotes")
    pullers.use(fails(PullFailed("the query returns no column 'observed_at'")))
    run_connector(sql, trigger=RunTrigger.MANUAL, dry_run=True)  # dry runs count neither way
    run_connector(sql, trigger=RunTrigger.SCHEDULE)
    run_connector(sql, trigger=RunTrigger.SCHEDULE)
    assert notifications(owner) == [] and sql.failures_in_row == 2
    run_connector(sql, trigger=RunTrigger.SCHEDULE)
    told = notifications(owner)
    assert len(told) == 1 and sql.failures_in_row == 3
    assert told[0].subject == "Connector Crm failed 3 times in a row"
    assert "no column 'observed_at'" in told[0].body and told[0].url.endswith("/connectors/crm/")
    run_connector(sql, trigger=RunTrigger.SCHEDULE)
    assert len(notifications(owner)) == 1 and sql.failures_in_row == 4

    pullers.use(delivers())
    run_connector(sql, trigger=RunTrigger.SCHEDULE)
    sql.refresh_from_db()
    assert sql.failures_in_row == 0
    pullers.use(fails(PullFailed("again")))
    for _n in range(3):
        run_connector(sql, trigger=RunTrigger.SCHEDULE)
    assert len(notifications(owner)) == 2


def test_a_dry_runs_failures_tell_nobody(sql, pullers, owner):
    pullers.use(fails(PullFailed("bad mapping")))
    for _n in range(4):
        run_connector(sql, trigger=RunTrigger.MANUAL, dry_run=True)
    sql.refresh_from_db()
    assert notifications(owner) == [] and sql.failures_in_row == 0


def test_a_skipped_run_nothing_new_ends_the_streak(sql, pullers):
    pullers.use(fails(PullFailed("bad")))
    run_connector(sql, trigger=RunTrigger.SCHEDULE)

    def unchanged(connector, *, run, dry_run):
        run.status, run.message = RunStatus.SKIPPED, "The file has not changed."

    pullers.use(unchanged)
    run = run_connector(sql, trigger=RunTrigger.SCHEDULE)
    sql.refresh_from_db()
    assert run.status == RunStatus.SKIPPED and sql.failures_in_row == 0


@pytest.fixture
def with_worker(settings):
    """As with a worker (not in-process): failed attempts are retried."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CONNECTOR_RETRY_BASE_SECONDS = 60
    settings.CONNECTOR_MAX_ATTEMPTS = 4


def test_an_unreachable_source_is_retried_with_a_doubling_back_off_and_then_counts(
    sql, pullers, owner, with_worker
):
    pullers.use(fails(SourceUnavailable("connection refused")))
    delays = []
    for attempt in (1, 2, 3):
        before = timezone.now()
        run = run_connector(sql, trigger=RunTrigger.RETRY, attempt=attempt)
        assert run.status == RunStatus.FAILED
        delays.append((run.retry_at - before).total_seconds())
        assert sql.failures_in_row == 0  # an attempt with a retry ahead is not yet a failure
    assert [round(d) for d in delays] == [60, 120, 240]
    last = run_connector(sql, trigger=RunTrigger.RETRY, attempt=4)  # CONNECTOR_MAX_ATTEMPTS
    assert last.retry_at is None and sql.failures_in_row == 1


def test_a_refused_mapping_is_not_retried(sql, pullers, with_worker):
    pullers.use(fails(PullFailed("no column 'value'")))
    run = run_connector(sql, trigger=RunTrigger.SCHEDULE)
    assert run.retry_at is None and sql.failures_in_row == 1


def test_for_a_caller_that_cannot_retry_an_unreachable_source_counts_at_once(sql, pullers):
    pullers.use(fails(SourceUnavailable("connection refused")))
    run = run_connector(sql, trigger=RunTrigger.SCHEDULE, retry=False)
    sql.refresh_from_db()
    assert run.retry_at is None and sql.failures_in_row == 1


def test_a_failing_notification_does_not_keep_the_lease(sql, pullers, owner, monkeypatch):
    sql.failures_in_row = 2
    sql.save()

    def broken(*args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr("connectors.services.runs.notify", broken)
    pullers.use(fails(PullFailed("bad")))
    run_connector(sql, trigger=RunTrigger.SCHEDULE)
    sql.refresh_from_db()
    assert sql.lease_until is None and sql.failures_in_row == 3


def test_a_failure_counts_on_the_stored_streak_not_on_a_stale_copy(sql, pullers, owner):
    from connectors.models import Connector

    read_earlier = Connector.objects.get(pk=sql.pk)  # e.g. a page opened before two ticks
    pullers.use(fails(PullFailed("bad")))
    run_connector(sql, trigger=RunTrigger.SCHEDULE)
    run_connector(sql, trigger=RunTrigger.SCHEDULE)
    run_connector(read_earlier, trigger=RunTrigger.MANUAL)
    assert Connector.objects.get(pk=sql.pk).failures_in_row == 3
    assert len(notifications(owner)) == 1


def test_a_refusal_that_quotes_a_nul_is_stored_and_the_run_still_finishes(sql, pullers):
    """PostgreSQL keeps no NUL in text or jsonb; an error may quote the very value it refuses."""
    said = "value “a\x00b” is not a number \ud800"
    pullers.use(
        fails(PullFailed("1 refused: a\x00b", [{"index": 0, "field": "v", "message": said}]))
    )
    sql.notify_after = 1
    sql.save()
    run = run_connector(sql, trigger=RunTrigger.SCHEDULE)
    stored = Run.objects.get(pk=run.pk)
    assert stored.status == RunStatus.FAILED and stored.finished_at is not None
    assert stored.message == "1 refused: a\\u0000b"
    assert stored.errors[0]["message"] == "value “a\\u0000b” is not a number \\ud800"
    sql.refresh_from_db()
    assert sql.lease_until is None and sql.failures_in_row == 1
    assert Notification.objects.filter(user=sql.owner).count() == 1


def test_taking_over_a_lease_that_ran_out_closes_the_run_that_held_it(sql, pullers, settings):
    IndicatorFactory(organisation=sql.organisation, code="quotes")
    pullers.use(delivers())
    long_ago = timezone.now() - timedelta(seconds=settings.CONNECTOR_LEASE_SECONDS + 60)
    dead = Run.objects.create(connector=sql, trigger=RunTrigger.SCHEDULE, started_at=long_ago)
    sql.lease_until = long_ago + timedelta(seconds=settings.CONNECTOR_LEASE_SECONDS)
    sql.save()
    run = run_connector(sql, trigger=RunTrigger.SCHEDULE)
    assert run.status == RunStatus.SUCCEEDED
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED and "stopped before it finished" in dead.message


def test_a_run_that_outlived_its_lease_leaves_the_next_runs_lease_alone(sql, pullers):
    IndicatorFactory(organisation=sql.organisation, code="quotes")
    later = timezone.now() + timedelta(minutes=30)

    def overtaken(connector, *, run, dry_run):
        # Meanwhile the lease ran out and another run took it.
        type(connector).objects.filter(pk=connector.pk).update(lease_until=later)
        deliver(connector, items(), run=run, dry_run=dry_run)

    pullers.use(overtaken)
    run_connector(sql, trigger=RunTrigger.SCHEDULE)
    sql.refresh_from_db()
    assert sql.lease_until == later
