"""What the initiative and node writes share: the title rule and a caller's instance left as
it came when a write is refused or fails."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import models
from django.utils.translation import gettext as _


def title_errors(title, *, max_length: int, blank: str) -> list[str]:
    """Why `title` cannot be stored (empty: it can): `blank` when it is missing or blank, or
    longer than `max_length` characters."""
    title = title if isinstance(title, str) else ""
    if not title.strip():
        return [blank]
    if len(title) > max_length:
        return [
            _("A title has at most %(max)s characters; this one has %(count)s.")
            % {"max": max_length, "count": len(title)}
        ]
    return []


@contextmanager
def restored_on_failure(instance: models.Model, fields) -> Iterator[None]:
    """Leave `instance` as it came (its `fields`, and unsaved if it was) when the block raises:
    like the database after the rollback."""
    before = {name: getattr(instance, name) for name in fields}
    new = instance._state.adding
    try:
        yield
    except BaseException:
        for name, value in before.items():
            setattr(instance, name, value)
        if new:
            instance.pk, instance._state.adding = None, True
        raise
