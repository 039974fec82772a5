"""A connector's schedule as a django-celery-beat PeriodicTask, so beat (with the database
scheduler) picks up a change without a restart.

One PeriodicTask per scheduled connector, named `connector-<id>`, running the task
`connectors.tasks.run_connector` with the connector's id on a CrontabSchedule in the
organisation's time zone; disabled while the connector is paused; removed when the schedule is
cleared or the connector deleted.
"""

import json

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.validators import crontab_validator

from ..models import Connector

RUN_TASK = "connectors.tasks.run_connector"
CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a five-field cron expression, or None when it is one."""
    parts = expression.split()
    if len(parts) != len(CRON_FIELDS):
        return _(
            "Write five fields: minute hour day-of-month month day-of-week, e.g. “0 6 * * 1-5” "
            "for 06:00 on weekdays."
        )
    try:
        crontab_validator(" ".join(parts))
    except (ValidationError, ValueError, KeyError, IndexError) as error:
        detail = error.messages[0] if isinstance(error, ValidationError) else str(error)
        return _("Not a valid cron expression (%(detail)s).") % {"detail": detail}
    return None


def sync_schedule(connector: Connector) -> None:
    """Make the connector's PeriodicTask match its schedule and pause state."""
    task = connector.periodic_task
    if not connector.schedule:
        if task is not None:
            Connector.objects.filter(pk=connector.pk).update(periodic_task=None)
            connector.periodic_task = None
            task.delete()
        return
    crontab = _crontab(connector)
    if task is None:
        task = PeriodicTask(name=f"connector-{connector.pk}", task=RUN_TASK)
    task.crontab = crontab
    task.interval = task.solar = task.clocked = None
    task.args = json.dumps([connector.pk])
    task.kwargs = json.dumps({"trigger": "schedule"})
    task.enabled = not connector.paused
    task.description = f"{connector.organisation.slug}/{connector.code}"
    task.save()
    if connector.periodic_task_id != task.pk:
        Connector.objects.filter(pk=connector.pk).update(periodic_task=task)
        connector.periodic_task = task


def drop_schedule(connector: Connector) -> None:
    if connector.periodic_task_id:
        PeriodicTask.objects.filter(pk=connector.periodic_task_id).delete()


def _crontab(connector: Connector) -> CrontabSchedule:
    values = dict(zip(CRON_FIELDS, connector.schedule.split(), strict=True))
    crontab, _created = CrontabSchedule.objects.get_or_create(
        **values, timezone=connector.organisation.time_zone
    )
    return crontab


def describe(connector: Connector) -> str:
    """The schedule in words ("At 06:00 AM, Monday through Friday"), "" when there is none."""
    if not connector.schedule or cron_problem(connector.schedule):
        return ""
    from cron_descriptor import Options, get_description

    options = Options()
    options.use_24hour_time_format = True
    try:
        return get_description(connector.schedule, options)
    except Exception:  # the describer is a nicety: an expression it cannot word shows as is
        return connector.schedule


def follow_time_zone(organisation) -> int:
    """Move the organisation's schedules to its time zone (after a change); returns how many.

    A CrontabSchedule carries its time zone, so a connector's "06:00" stays in the old zone
    until this runs: `connectors.apps` calls it whenever an organisation is saved."""
    moved = 0
    scheduled = (
        Connector.objects.filter(organisation=organisation, periodic_task__isnull=False)
        .exclude(periodic_task__crontab__timezone=organisation.time_zone)
        .select_related("organisation", "periodic_task")
    )
    for connector in scheduled:
        sync_schedule(connector)
        moved += 1
    return moved
