"""Run a connector: the lock, the run log, the one transaction, failures and who is told.

    run = run_connector(connector, trigger=RunTrigger.MANUAL)

1. The lock: a conditional UPDATE claims `lease_until` (committed at once), so two scheduler
   ticks, or a tick and "run now", never run one connector at the same time; the loser logs a
   skipped run. A worker that dies leaves a lease that runs out after CONNECTOR_LEASE_SECONDS.
2. The run row is written (status running, visible at once), then the puller for the kind reads
   the source and delivers every batch inside ONE transaction: a run writes all of its rows or
   none (an unreachable source, a refused batch, a crash half-way write nothing).
3. The run is finished with its counts, errors and a masked message. A failed attempt whose
   source was unreachable gets `retry_at` (back-off) while attempts remain; the task schedules
   it. A caller that cannot retry (in-process mode, the command) passes `retry=False`: then
   every failure is final. A run that fails for good adds one to `failures_in_row`; reaching
   `notify_after` tells the owner once through the metric pipe's notifications (after the
   lease is released). A success sets it back to 0.

Dry runs read and validate everything and write nothing; they count neither way.

`start_run(connector, dry_run=...)` is "run now" from a page: it wakes the task by name (or,
in-process, runs at once and returns the Run).
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.db import storable
from core.wake import wake
from indicators.models import NotificationKind
from indicators.services import notify

from .. import secrets
from ..models import MAX_RUN_ERRORS, Connector, ConnectorKind, Run, RunStatus, RunTrigger
from .errors import PullFailed, SourceUnavailable
from .schedules import RUN_TASK

logger = logging.getLogger(__name__)

Puller = Callable[..., None]  # puller(connector, *, run, dry_run) fills `run`; raises on failure


def puller_for(kind: str) -> Puller:
    """The kind's `pull`; each kind's module is imported only when it runs."""
    if kind == ConnectorKind.SQL:
        from ..pull.sql import pull
    elif kind == ConnectorKind.FILE:
        from ..pull.files import pull
    else:
        raise ValueError(f"a {kind} connector is not pulled")
    return pull


def run_connector(
    connector: Connector,
    *,
    trigger: str = RunTrigger.MANUAL,
    dry_run: bool = False,
    attempt: int = 1,
    retry: bool = True,
) -> Run:
    """Run a pull connector once (see the module doc); returns the finished Run. `retry`: the
    caller schedules a retry at `run.retry_at`; False: a failure is final and counts."""
    pull = puller_for(connector.kind)
    with running(connector, trigger=trigger, dry_run=dry_run, attempt=attempt, retry=retry) as run:
        if run.status == RunStatus.RUNNING:
            pull(connector, run=run, dry_run=dry_run)
    return run


def start_run(connector: Connector, *, dry_run: bool = False) -> Run | None:
    """Run a pull connector now (or dry-run it), from a page.

    With a worker, the task is woken by name and None returned: the run shows in the log when
    the worker takes it (a paused connector runs too: someone asked). In-process mode runs it at
    once and returns the finished Run. Refused (ValidationError) for a webhook, which has
    nothing to pull, and when the task queue does not answer."""
    if connector.kind == ConnectorKind.WEBHOOK:
        raise ValidationError(
            {"kind": _("A webhook runs when it is called; there is nothing to pull.")}
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return run_connector(connector, trigger=RunTrigger.MANUAL, dry_run=dry_run, retry=False)
    if not wake(RUN_TASK, connector.pk, trigger=RunTrigger.MANUAL, dry_run=dry_run):
        raise ValidationError(
            _(
                "The task queue did not answer, so the run did not start. Try again in a "
                "minute; if that fails too, check that Redis and the Celery worker are running."
            )
        )
    return None


@contextmanager
def running(
    connector: Connector,
    *,
    trigger: str,
    dry_run: bool = False,
    attempt: int = 1,
    lock: bool = True,
    retry: bool = True,
) -> Iterator[Run]:
    """The run around a body that delivers: lock, run row, one transaction, finish.

    The body sees `run.status == RUNNING` unless the lock was held (then it must do nothing:
    the run is already logged as skipped). Webhook calls use `lock=False`: two calls may arrive
    at once, and each is its own run. The body may set `run.status = SKIPPED` (nothing new).
    `retry=False`: nobody will retry an unreachable source, so its failure counts at once."""
    started = timezone.now()
    run = Run(connector=connector, trigger=trigger, dry_run=dry_run, attempt=attempt)
    run.started_at = started
    lease = _claim(connector, started) if lock else None
    if lock and lease is None:
        run.status, run.finished_at = RunStatus.SKIPPED, started
        run.message = _("Skipped: another run of this connector was still going.")
        run.save()
        yield run
        return
    run.save()
    try:
        with transaction.atomic():
            yield run
            if dry_run:
                transaction.set_rollback(True)
        if run.status == RunStatus.RUNNING:
            run.status = RunStatus.SUCCEEDED
    except SourceUnavailable as error:
        _failed(connector, run, str(error))
        run.retry_at = _retry_at(attempt) if retry and not dry_run else None
    except PullFailed as error:
        _failed(connector, run, str(error), error.errors)
    except Exception as error:  # a defect or an unforeseen driver error: log it, masked
        logger.error(
            "connector %s run failed: %s: %s",
            connector.pk,
            type(error).__name__,
            _masked(connector, str(error)),
        )
        _failed(connector, run, _("Unexpected error (%(type)s).") % {"type": type(error).__name__})
    finally:
        _finish(connector, run, lease=lease)


def _claim(connector: Connector, now):
    """The lease (its end, which is also whose it is), or None when another run holds it.

    Taking over a lease that ran out also closes the run that held it: its worker stopped
    before it finished (its transaction rolled back, so it wrote nothing)."""
    until = now + timedelta(seconds=settings.CONNECTOR_LEASE_SECONDS)
    claimed = (
        Connector.objects.filter(pk=connector.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=until)
    )
    if claimed != 1:
        return None
    gone = now - timedelta(seconds=settings.CONNECTOR_LEASE_SECONDS)
    Run.objects.filter(connector=connector, status=RunStatus.RUNNING, started_at__lt=gone).exclude(
        trigger=RunTrigger.WEBHOOK
    ).update(
        status=RunStatus.FAILED,
        finished_at=now,
        message=_("The worker running it stopped before it finished; nothing was written."),
    )
    return until


def _masked(connector: Connector, text: str) -> str:
    try:
        values = secrets.decrypt(connector.secrets)
    except secrets.SecretsUnreadable:
        values = {}
    return secrets.mask(text, values)


def _failed(connector: Connector, run: Run, message: str, errors: list | None = None) -> None:
    run.status = RunStatus.FAILED
    run.message = storable(_masked(connector, message))
    errors = errors or []
    run.error_count = len(errors)
    run.errors = [
        storable({**error, "message": _masked(connector, str(error.get("message", "")))})
        for error in errors[:MAX_RUN_ERRORS]
    ]
    # Counts of a run that wrote nothing are what it read, not what it wrote.
    run.created = run.updated = run.unchanged = 0


def _retry_at(attempt: int):
    if attempt >= settings.CONNECTOR_MAX_ATTEMPTS:
        return None
    delay = settings.CONNECTOR_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return timezone.now() + timedelta(seconds=delay)


def _finish(connector: Connector, run: Run, *, lease) -> None:
    run.finished_at = timezone.now()
    run.message = storable(run.message)
    try:
        run.save()
    finally:  # a run that cannot be saved still frees its lease and counts
        _settle(connector, run, lease=lease)


def _settle(connector: Connector, run: Run, *, lease) -> None:
    if lease is not None:  # ours only: a run that outlived its lease must not free another's
        Connector.objects.filter(pk=connector.pk, lease_until=lease).update(lease_until=None)
        connector.lease_until = None
    fields = {"last_run_at": run.started_at}
    if run.dry_run:
        Connector.objects.filter(pk=connector.pk).update(**fields)
    elif run.status == RunStatus.FAILED and run.retry_at is None:
        with transaction.atomic():  # the streak is read and written under the row's lock
            _count_failure(connector, fields)
            Connector.objects.filter(pk=connector.pk).update(**fields)
    else:
        if run.status in (RunStatus.SUCCEEDED, RunStatus.SKIPPED):
            fields["failures_in_row"] = 0
            fields["last_success_at"] = run.finished_at
        Connector.objects.filter(pk=connector.pk).update(**fields)
    for name, value in fields.items():
        setattr(connector, name, value)
    # Told after the lease is released and the streak stored: a failing mail must not keep
    # the connector locked for an hour, nor lose the count.
    streak = fields.get("failures_in_row", 0)
    if not run.dry_run and run.status == RunStatus.FAILED and streak == connector.notify_after:
        try:
            _tell_owner(connector, run, streak)
        except Exception:
            logger.exception("connector %s: could not tell the owner", connector.pk)


def _count_failure(connector: Connector, fields: dict) -> None:
    """One more failed run in a row, counted on the row, not on `connector`: another run (a
    tick, a webhook call) may have counted since this one's connector was read."""
    stored = (
        Connector.objects.select_for_update()
        .filter(pk=connector.pk)
        .values_list("failures_in_row", flat=True)
        .first()
    )
    fields["failures_in_row"] = (stored or 0) + 1


def _tell_owner(connector: Connector, run: Run, failures: int) -> None:
    """One notification when the streak reaches `notify_after` (not again until a success)."""
    with translation.override(connector.organisation.language):
        subject = _("Connector %(name)s failed %(count)s times in a row") % {
            "name": connector.name,
            "count": failures,
        }
        body = _("The last run said: %(message)s") % {"message": run.message}
        url = settings.SITE_URL + reverse("connector-detail", args=[connector.code])
        notify(
            organisation=connector.organisation,
            user=connector.owner,
            kind=NotificationKind.SOURCE_FAILED,
            subject=subject,
            body=body,
            url=url,
        )
