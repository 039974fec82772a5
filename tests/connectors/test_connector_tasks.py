"""The run task (beat's tick, retries), "run now" (start_run) and `manage.py run_connector`."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from connectors import tasks
from connectors.models import Run, RunStatus
from connectors.services import PullFailed, SourceUnavailable, deliver, start_run
from indicators.models import Measurement
from tests.factories import IndicatorFactory


@pytest.fixture(autouse=True)
def connector_routes(settings):
    settings.ROOT_URLCONF = "tests.connectors.connector_urls"


@pytest.fixture
def pulled(monkeypatch):
    """Every kind's puller is `pulled.pull` (default: delivers two measurements of `quotes`);
    `pulled.calls` lists the (trigger, attempt, dry_run) of each call."""

    class Pulled:
        calls: list = []

        def pull(self, connector, *, run, dry_run):
            items = [
                {"indicator": "quotes", "observed_at": "2025-03-01", "value": 4},
                {"indicator": "quotes", "observed_at": "2025-03-02", "value": 6},
            ]
            deliver(connector, items, run=run, dry_run=dry_run)

    state = Pulled()
    state.calls = []

    def puller(connector, *, run, dry_run):
        state.calls.append((run.trigger, run.attempt, dry_run))
        return state.pull(connector, run=run, dry_run=dry_run)

    monkeypatch.setattr("connectors.services.runs.puller_for", lambda kind: puller)
    return state


@pytest.fixture
def sql(make_connector):
    return make_connector("sql", code="crm")


@pytest.fixture
def quotes(organisation):
    return IndicatorFactory(organisation=organisation, code="quotes")


@pytest.fixture
def with_worker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CONNECTOR_RETRY_BASE_SECONDS = 60
    settings.CONNECTOR_MAX_ATTEMPTS = 3


def test_the_task_runs_the_connector(sql, quotes, pulled):
    run_id = tasks.run_connector(sql.pk)
    run = Run.objects.get(pk=run_id)
    assert (run.trigger, run.status, run.created) == ("schedule", RunStatus.SUCCEEDED, 2)
    assert Measurement.objects.count() == 2


def test_a_failed_attempt_schedules_the_next_at_retry_at(sql, pulled, with_worker):
    def unreachable(connector, *, run, dry_run):
        raise SourceUnavailable("timed out")

    pulled.pull = unreachable
    with mock.patch.object(tasks.run_connector, "apply_async") as later:
        run_id = tasks.run_connector(sql.pk, trigger="schedule")
    run = Run.objects.get(pk=run_id)
    later.assert_called_once_with(
        kwargs={"connector_id": sql.pk, "trigger": "retry", "dry_run": False, "attempt": 2},
        eta=run.retry_at,
    )
    assert timedelta(seconds=59) < run.retry_at - run.started_at < timedelta(seconds=61)

    with mock.patch.object(tasks.run_connector, "apply_async") as later:
        tasks.run_connector(sql.pk, trigger="retry", attempt=3)  # the last (CONNECTOR_MAX_ATTEMPTS)
    later.assert_not_called()
    assert pulled.calls == [("schedule", 1, False), ("retry", 3, False)]


def test_a_permanent_failure_is_not_retried(sql, pulled, with_worker):
    def refused(connector, *, run, dry_run):
        raise PullFailed("no column 'value'")

    pulled.pull = refused
    with mock.patch.object(tasks.run_connector, "apply_async") as later:
        tasks.run_connector(sql.pk)
    later.assert_not_called()


def test_in_process_a_failed_attempt_is_not_retried(sql, pulled):
    def unreachable(connector, *, run, dry_run):
        raise SourceUnavailable("timed out")

    pulled.pull = unreachable
    with mock.patch.object(tasks.run_connector, "apply_async") as later:
        tasks.run_connector(sql.pk)
    later.assert_not_called()
    sql.refresh_from_db()
    assert sql.failures_in_row == 1


def test_a_paused_connectors_tick_and_retry_do_nothing_but_run_now_runs(sql, quotes, pulled):
    sql.paused = True
    sql.save()
    assert tasks.run_connector(sql.pk, trigger="schedule") is None
    assert tasks.run_connector(sql.pk, trigger="retry", attempt=2) is None
    assert Run.objects.count() == 0 and pulled.calls == []
    assert tasks.run_connector(sql.pk, trigger="manual") is not None
    assert pulled.calls == [("manual", 1, False)]


def test_a_deleted_connector_or_a_webhook_is_not_run(sql, make_connector, pulled):
    hook = make_connector("webhook", code="typeform")
    assert tasks.run_connector(hook.pk) is None
    assert tasks.run_connector(sql.pk + hook.pk + 1) is None
    assert pulled.calls == [] and Run.objects.count() == 0


def test_run_now_in_process_returns_the_finished_run(sql, quotes, pulled):
    run = start_run(sql, dry_run=True)
    assert (run.trigger, run.dry_run, run.status, run.created) == ("manual", True, "succeeded", 2)
    assert Measurement.objects.count() == 0


def test_run_now_with_a_worker_wakes_the_task_by_name(sql, pulled, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch("connectors.services.runs.wake", return_value=True) as wake:
        assert start_run(sql, dry_run=False) is None
    wake.assert_called_once_with(
        "connectors.tasks.run_connector", sql.pk, trigger="manual", dry_run=False
    )
    assert pulled.calls == []


def test_run_now_says_so_when_the_queue_does_not_answer(sql, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch("connectors.services.runs.wake", return_value=False),
        pytest.raises(ValidationError, match="task queue did not answer"),
    ):
        start_run(sql)


def test_run_now_refuses_a_webhook(make_connector):
    with pytest.raises(ValidationError, match="runs when it is called"):
        start_run(make_connector("webhook", code="typeform"))


def command(*args):
    out = StringIO()
    call_command("run_connector", *args, stdout=out)
    return out.getvalue()


def test_the_command_runs_now_and_prints_the_counts(sql, quotes, pulled, organisation):
    out = command("acme", "crm")
    assert out.startswith("succeeded: 2 read, 2 created, 0 updated, 0 unchanged, 0 errors in")
    assert "(dry run)" in command("acme", "crm", "--dry-run")
    assert pulled.calls == [("manual", 1, False), ("manual", 1, True)]


def test_the_command_exits_1_with_the_message_and_the_errors_when_the_run_fails(sql, pulled):
    def refused(connector, *, run, dry_run):
        errors = [{"index": i, "field": "value", "message": "not a number"} for i in range(12)]
        raise PullFailed("12 item(s) refused; nothing was written.", errors)

    pulled.pull = refused
    out = StringIO()
    with pytest.raises(CommandError, match="12 item") as failed:
        call_command("run_connector", "acme", "crm", stdout=out)
    assert failed.value.returncode == 1
    text = out.getvalue()
    assert "failed: 0 read" in text and "item 0, value: not a number" in text
    assert "item 9, value" in text and "item 10" not in text and "... and 2 more" in text


def test_the_command_names_what_it_cannot_find(sql, make_connector):
    make_connector("webhook", code="typeform")
    with pytest.raises(CommandError, match="No organisation with slug 'nope'"):
        command("nope", "crm")
    with pytest.raises(CommandError, match="No connector 'other' in acme"):
        command("acme", "other")
    with pytest.raises(CommandError, match="is a webhook"):
        command("acme", "typeform")


def test_the_command_does_not_fail_when_another_run_holds_the_lease(sql, pulled):
    sql.lease_until = timezone.now() + timedelta(minutes=1)
    sql.save()
    assert command("acme", "crm").startswith("skipped:")
    assert pulled.calls == []


def test_the_task_is_registered_under_the_name_beat_and_run_now_use(sql, quotes, pulled):
    from core.wake import wake

    assert tasks.run_connector.name == "connectors.tasks.run_connector"
    assert wake("connectors.tasks.run_connector", sql.pk, trigger="manual")  # in-process: runs
    assert pulled.calls == [("manual", 1, False)] and Measurement.objects.count() == 2


def test_the_command_and_run_now_in_process_do_not_wait_for_a_retry(sql, pulled):
    def unreachable(connector, *, run, dry_run):
        raise SourceUnavailable("connection refused")

    pulled.pull = unreachable
    with pytest.raises(CommandError, match="connection refused"):
        command("acme", "crm")
    run = start_run(sql)
    assert run.retry_at is None and Run.objects.filter(retry_at__isnull=False).count() == 0
    sql.refresh_from_db()
    assert sql.failures_in_row == 2
