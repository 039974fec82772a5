"""A connector's schedule as a beat PeriodicTask: made, changed, paused, removed; cron refusals."""

import json

import pytest
from django.core.exceptions import ValidationError
from django_celery_beat.models import PeriodicTask

from connectors.models import Connector
from connectors.services import (
    create_connector,
    cron_problem,
    delete_connector,
    describe,
    set_paused,
    update_connector,
)


@pytest.fixture(autouse=True)
def settings_accepted(monkeypatch):
    """The kinds' own checks are theirs; here every config is fine."""
    monkeypatch.setattr(
        "connectors.services.connectors.validator_for", lambda kind: lambda *a, **k: {}
    )


def make(organisation, schedule="0 6 * * 1-5", **fields):
    fields.setdefault("code", "crm")
    connector, _token = create_connector(
        organisation=organisation, kind="sql", name="CRM", schedule=schedule, **fields
    )
    return connector


def task_of(connector) -> PeriodicTask:
    connector.refresh_from_db()
    return PeriodicTask.objects.get(pk=connector.periodic_task_id)


def test_a_schedule_becomes_a_periodic_task_in_the_organisations_time_zone(organisation):
    connector = make(organisation)
    task = task_of(connector)
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year) == (
        "0",
        "6",
        "*",
        "*",
    )
    assert crontab.day_of_week == "1-5" and str(crontab.timezone) == "Europe/Helsinki"
    assert (
        task.name == f"connector-{connector.pk}" and task.task == "connectors.tasks.run_connector"
    )
    assert json.loads(task.args) == [connector.pk]
    assert json.loads(task.kwargs) == {"trigger": "schedule"}
    assert task.enabled and task.interval is None


def test_another_organisations_connector_runs_in_its_own_time_zone(
    organisation, other_organisation
):
    make(organisation)
    other = make(other_organisation)
    assert str(task_of(other).crontab.timezone) == "Europe/Stockholm"


def test_changing_the_schedule_changes_the_same_task(organisation):
    connector = make(organisation)
    first = task_of(connector)
    update_connector(connector, schedule="  30   7 1 * *  ")
    task = task_of(connector)
    assert task.pk == first.pk and PeriodicTask.objects.count() == 1
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("30", "7", "1")
    assert connector.schedule == "30 7 1 * *"


def test_pausing_disables_the_task_and_resuming_enables_it(organisation):
    connector = make(organisation)
    set_paused(connector, True)
    assert task_of(connector).enabled is False
    set_paused(connector, False)
    assert task_of(connector).enabled is True


def test_a_connector_created_paused_has_a_disabled_task(organisation):
    assert task_of(make(organisation, paused=True)).enabled is False


def test_clearing_the_schedule_removes_the_task(organisation):
    connector = make(organisation)
    update_connector(connector, schedule="")
    connector.refresh_from_db()
    assert connector.periodic_task_id is None and PeriodicTask.objects.count() == 0


def test_deleting_the_connector_removes_the_task(organisation):
    connector = make(organisation)
    delete_connector(connector)
    assert PeriodicTask.objects.count() == 0 and Connector.objects.count() == 0


def test_a_connector_without_schedule_has_no_task(organisation):
    connector = make(organisation, schedule="")
    assert connector.periodic_task_id is None and PeriodicTask.objects.count() == 0


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("0 6 * *", "Write five fields"),
        ("0 6 * * 1 2", "Write five fields"),
        ("61 * * * *", "Not a valid cron expression"),
        ("0 25 * * *", "Not a valid cron expression"),
        ("0 6 * * funday", "Not a valid cron expression"),
    ],
)
def test_a_bad_cron_expression_is_refused_with_why(organisation, expression, words):
    assert words in cron_problem(expression)
    with pytest.raises(ValidationError) as refused:
        make(organisation, schedule=expression)
    assert words in refused.value.message_dict["schedule"][0]
    assert Connector.objects.count() == 0 and PeriodicTask.objects.count() == 0


def test_good_expressions_pass_and_are_put_in_words():
    assert cron_problem("*/15 6-18 * * 1-5") is None
    assert cron_problem("0 6 1 1 *") is None
    assert describe(Connector(schedule="0 6 * * 1-5")) == "At 06:00, Monday through Friday"
    assert describe(Connector(schedule="")) == ""


def test_a_refused_update_leaves_the_task_as_it_was(organisation):
    connector = make(organisation)
    with pytest.raises(ValidationError):
        update_connector(connector, schedule="99 * * * *")
    stored = Connector.objects.get(pk=connector.pk)
    assert stored.schedule == "0 6 * * 1-5" and task_of(stored).crontab.minute == "0"


def test_a_webhook_has_no_schedule(organisation):
    with pytest.raises(ValidationError) as refused:
        create_connector(
            organisation=organisation,
            kind="webhook",
            code="hook",
            name="Hook",
            schedule="0 6 * * *",
        )
    assert "no schedule" in refused.value.message_dict["schedule"][0]


def test_a_changed_time_zone_moves_the_organisations_schedules(organisation, other_organisation):
    connector = make(organisation)
    paused = make(organisation, code="sheet", paused=True)
    elsewhere = make(other_organisation)
    organisation.time_zone = "America/New_York"
    organisation.save()
    for moved in (connector, paused):
        task = task_of(moved)
        assert str(task.crontab.timezone) == "America/New_York"
        assert (task.crontab.hour, task.crontab.day_of_week) == ("6", "1-5")
    assert not task_of(paused).enabled
    assert str(task_of(elsewhere).crontab.timezone) == "Europe/Stockholm"
