"""A caller's model instance left as it came when a write is refused or fails."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import models


@contextmanager
def restored_on_failure(instance: models.Model, fields) -> Iterator[None]:
    """Leave `instance` as it came (its `fields`, and unsaved if it was) when the block raises:
    like the database after the rollback. A relation is kept by its id (`cause_id`), so an
    unset one restores too, and Django drops the related object cached for another id."""
    names = [instance._meta.get_field(name).attname for name in fields]
    before = {name: getattr(instance, name) for name in names}
    new = instance._state.adding
    try:
        yield
    except BaseException:
        for name, value in before.items():
            setattr(instance, name, value)
        if new:
            instance.pk, instance._state.adding = None, True
        raise
