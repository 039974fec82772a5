"""Values-changed hooks: how apps above `indicators` learn that period values changed.

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
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
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
