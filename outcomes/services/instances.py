"""What the initiative and node writes share: the title rule (a caller's instance is left as it
came on a failed write by `core.instances.restored_on_failure`)."""

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
