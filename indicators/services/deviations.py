"""How people move a deviation of the metric pipe through its states (page and API alike).

    open          -> acknowledged, closed
    acknowledged  -> closed, open (reopen)
    closed        -> open (reopen)
    resolved_by_data: set and left only by the recompute

Closing needs a note, what was done (corrective action) or learned (learning action), and a
closed deviation keeps one. The recompute (`period_values.sync_deviations`) resolves an open or
acknowledged deviation by data when its value comes back into the band, and opens it again when
the value leaves the band; a closed one it leaves closed. The note can be edited in every state,
and the owner changed to any member of the organisation. Every change is kept as a
`DeviationChange` (who, when, old and new state and owner, the note).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.selectors import non_members

from ..models import Deviation, DeviationChange, DeviationState

OPEN, ACKNOWLEDGED = DeviationState.OPEN, DeviationState.ACKNOWLEDGED
CLOSED, RESOLVED_BY_DATA = DeviationState.CLOSED, DeviationState.RESOLVED_BY_DATA
# The state changes people may make, by the state a deviation is in.
TRANSITIONS = {
    OPEN: {ACKNOWLEDGED, CLOSED},
    ACKNOWLEDGED: {CLOSED, OPEN},
    CLOSED: {OPEN},
    RESOLVED_BY_DATA: set(),
}
# "Leave the owner as it is" (None means: nobody owns it).
UNCHANGED = object()


def update_deviation(
    *,
    deviation: Deviation,
    by,
    state: str | None = None,
    note: str | None = None,
    owner=UNCHANGED,
) -> Deviation:
    """Move `deviation` to `state`, set its `note` and/or its `owner` (None/UNCHANGED: leave
    as it is; owner None: nobody), as the person `by`, and keep the change in its history.

    Raises ValidationError naming `state` for a change TRANSITIONS does not allow (and for
    `resolved_by_data`, which only the recompute sets), naming `note` when the deviation would
    be closed without a note, or naming `owner` when the owner is not a member of the
    deviation's organisation; nothing is changed then. The row is locked, so a recompute that
    resolves it meanwhile is seen, not overwritten.
    """
    organisation_id = deviation.indicator.organisation_id
    with transaction.atomic():
        current = Deviation.objects.select_for_update().get(pk=deviation.pk)
        state = current.state if state is None else state
        note = current.note if note is None else note
        owner_id = current.owner_id if owner is UNCHANGED else _member_id(owner, organisation_id)
        _check(current.state, state, note)
        change = DeviationChange(
            deviation=current,
            by=by,
            old_state=current.state,
            new_state=state,
            old_owner_id=current.owner_id,
            new_owner_id=owner_id,
            # The note that came with this change: a new one, or the one a closing keeps.
            note=note if note != current.note or (state == CLOSED != current.state) else "",
        )
        changed = [
            name
            for name, value in (("state", state), ("note", note), ("owner_id", owner_id))
            if getattr(current, name) != value
        ]
        current.state, current.note, current.owner_id = state, note, owner_id
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
            change.save()
    current.indicator = deviation.indicator  # already loaded by the caller's selector
    return current


def _member_id(owner, organisation_id: int) -> int | None:
    if owner is None:
        return None
    if non_members(organisation=organisation_id, users=[owner]):
        raise ValidationError({"owner": _("The owner must be a member of the organisation.")})
    return owner.pk


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
