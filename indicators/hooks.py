"""Values-changed and indicators-changed hooks: how apps above `indicators` learn that period
values changed, or that indicators changed without new values.

The recompute (incremental or rebuild) collects the (indicator, period, period start) of every
stored period value it inserted, changed (value or a derived field) or deleted, in any segment,
and after its transaction commits calls each registered handler once per organisation with a
`ValuesChanged`. A recompute that changes nothing calls no handler.

Apps register in their `AppConfig.ready()`; `indicators` never imports them::

    from indicators.hooks import register_values_changed

    class CpiConfig(AppConfig):
        def ready(self):
            register_values_changed("cpi.evidence", recompute_evidence)

A handler runs after the commit, outside the recompute's transaction: what it must not lose it
enqueues (a task) or writes in its own transaction. A handler that raises is logged with its
exception; the values are already committed and the other handlers still run. No Django signals:
the registry is a plain dict of named callables, so the control flow stays visible here.

Indicators-changed hooks cover what changes an indicator's status, or what hangs on it, without
changing a period value: an indicator deleted (the rows of the apps above that measure it go
with it, by cascade) or its `stale_grace_days` changed. The service calls
`indicators_changed(...)` inside its transaction, before the delete, and each handler is called
then with an `IndicatorsChanged`, in a savepoint: it reads what it needs while the rows are still
there (the nodes, measures or hypotheses of those indicators) and returns what to do after the
commit (a callable, or None for nothing), which is run once the change is committed, and not at
all when it is rolled back::

    register_indicators_changed("outcomes.chain_status", chain_on_indicators_changed)

A handler that raises, before or after the commit, is logged with its exception: the change
goes on (a failed handler never undoes a delete) and the other handlers still run.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import NamedTuple

from django.db import transaction

logger = logging.getLogger(__name__)


class ChangedValue(NamedTuple):
    """One (indicator, period, period start) whose stored values changed, in any segment."""

    indicator_id: int
    period: str
    period_start: date


@dataclass(frozen=True, slots=True)
class ValuesChanged:
    """The period values one recompute of one organisation changed."""

    organisation_id: int
    changed: frozenset[ChangedValue]

    @property
    def indicator_ids(self) -> frozenset[int]:
        return frozenset(c.indicator_id for c in self.changed)

    def starts(self, indicator_id: int, period: str) -> frozenset[date]:
        """The period starts of `indicator_id` at `period` that changed."""
        return frozenset(
            c.period_start
            for c in self.changed
            if c.indicator_id == indicator_id and c.period == period
        )

    def touches(self, indicator_id: int, period: str | None = None) -> bool:
        """Whether a value of `indicator_id` (at `period`, or at any period) changed."""
        return any(
            c.indicator_id == indicator_id and period in (None, c.period) for c in self.changed
        )


Handler = Callable[[ValuesChanged], None]
_handlers: dict[str, Handler] = {}


def register_values_changed(name: str, handler: Handler) -> None:
    """Call `handler(ValuesChanged)` after every recompute that changed period values.

    `name` (e.g. "cpi.evidence") identifies the handler: registering the same name again
    replaces it, so a repeated `ready()` never calls a handler twice.
    """
    _handlers[name] = handler


def unregister_values_changed(name: str) -> None:
    """Remove a handler (tests; an app switched off)."""
    _handlers.pop(name, None)


def has_values_changed_handlers() -> bool:
    """Whether anyone listens: the rebuild collects its pairs only then."""
    return bool(_handlers)


def values_changed_on_commit(*, organisation_id: int, changed: Iterable[tuple]) -> None:
    """After the current transaction commits, call every handler with `changed`, if any."""
    if not _handlers:
        return
    change = ValuesChanged(organisation_id, frozenset(ChangedValue(*c) for c in changed))
    if change.changed:
        transaction.on_commit(lambda: call_values_changed(change))


def call_values_changed(change: ValuesChanged) -> None:
    """Call every registered handler once with `change`; one that raises does not stop the rest."""
    for name, handler in list(_handlers.items()):
        try:
            handler(change)
        except Exception:
            logger.exception(
                "values-changed handler %s failed organisation=%s pairs=%d",
                name,
                change.organisation_id,
                len(change.changed),
            )


# -- indicators changed without new values ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorsChanged:
    """Indicators of one organisation that are being deleted (`deleting`) or whose status rule
    changed (`stale_grace_days`), with no period value changed."""

    organisation_id: int
    indicator_ids: frozenset[int]
    deleting: bool


AfterCommit = Callable[[], None]
ChangedHandler = Callable[[IndicatorsChanged], AfterCommit | None]
_changed_handlers: dict[str, ChangedHandler] = {}


def register_indicators_changed(name: str, handler: ChangedHandler) -> None:
    """Call `handler(IndicatorsChanged)` inside every transaction that deletes indicators or
    changes their `stale_grace_days`, before the delete; what it returns runs after the commit.
    The same `name` again replaces the handler."""
    _changed_handlers[name] = handler


def unregister_indicators_changed(name: str) -> None:
    """Remove a handler (tests; an app switched off)."""
    _changed_handlers.pop(name, None)


def indicators_changed(
    *, organisation_id: int, indicator_ids: Iterable[int], deleting: bool
) -> None:
    """Call every handler now, each in a savepoint, and schedule what each returns for after
    the commit. Must run inside the transaction that makes the change (before a delete)."""
    change = IndicatorsChanged(organisation_id, frozenset(indicator_ids), deleting)
    if not change.indicator_ids:
        return
    for name, handler in list(_changed_handlers.items()):
        try:
            # A savepoint: a handler's failed query must not break the caller's transaction.
            with transaction.atomic():
                after_commit = handler(change)
        except Exception:
            _log_failure(name, change, "")
            continue
        if after_commit is not None:
            transaction.on_commit(partial(_run_after_commit, name, change, after_commit))


def _run_after_commit(name: str, change: IndicatorsChanged, after_commit: AfterCommit) -> None:
    try:
        after_commit()
    except Exception:
        _log_failure(name, change, " after the commit")


def _log_failure(name: str, change: IndicatorsChanged, when: str) -> None:
    logger.exception(
        "indicators-changed handler %s failed%s organisation=%s indicators=%d deleting=%s",
        name,
        when,
        change.organisation_id,
        len(change.indicator_ids),
        change.deleting,
    )
