"""How people move a deviation of the metric pipe through its states (page and API alike).

    open          -> acknowledged, closed
    acknowledged  -> closed, open (reopen)
    closed        -> open (reopen)
    resolved_by_data: set and left only by the recompute

Closing needs a note, what was done (corrective action) or learned (learning action), and a
closed deviation keeps one. The recompute (`period_values.sync_deviations`) resolves an open or
acknowledged deviation by data when its value comes back into the band, and opens it again when
the value leaves the band; a closed one it leaves closed. The note can be edited in every state.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Deviation, DeviationState

OPEN, ACKNOWLEDGED = DeviationState.OPEN, DeviationState.ACKNOWLEDGED
CLOSED, RESOLVED_BY_DATA = DeviationState.CLOSED, DeviationState.RESOLVED_BY_DATA
# The state changes people may make, by the state a deviation is in.
TRANSITIONS = {
    OPEN: {ACKNOWLEDGED, CLOSED},
    ACKNOWLEDGED: {CLOSED, OPEN},
    CLOSED: {OPEN},
    RESOLVED_BY_DATA: set(),
}


def update_deviation(
    *, deviation: Deviation, state: str | None = None, note: str | None = None
) -> Deviation:
    """Move `deviation` to `state` and/or set its `note` (None: leave as it is).

    Raises ValidationError naming `state` for a change TRANSITIONS does not allow (and for
    `resolved_by_data`, which only the recompute sets), or naming `note` when the deviation
    would be closed without a note. The row is locked, so a recompute that resolves it
    meanwhile is seen, not overwritten.
    """
    with transaction.atomic():
        current = Deviation.objects.select_for_update().get(pk=deviation.pk)
        state = current.state if state is None else state
        note = current.note if note is None else note
        _check(current.state, state, note)
        changed = [
            name
            for name, value in (("state", state), ("note", note))
            if getattr(current, name) != value
        ]
        current.state, current.note = state, note
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
    current.indicator = deviation.indicator  # already loaded by the caller's selector
    return current


def _check(before: str, after: str, note: str) -> None:
    if after != before:
        if after == RESOLVED_BY_DATA:
            raise ValidationError(
                {
                    "state": _(
                        "Only the recompute resolves a deviation by data, when its value "
                        "comes back into the band."
                    )
                }
            )
        if after not in TRANSITIONS.get(before, set()):
            raise ValidationError(
                {
                    "state": _("A deviation that is %(before)s cannot become %(after)s.")
                    % {"before": _label(before), "after": _label(after)}
                }
            )
    if after == CLOSED and not note.strip():
        raise ValidationError(
            {"note": _("Closing a deviation needs a note: what was done or learned.")}
        )


def _label(state: str) -> str:
    return str(DeviationState(state).label) if state in DeviationState.values else state
