"""Pages by role: who may open a page, and the buttons its layout may show (on core.pages)."""

from django.utils.translation import gettext as _

from core.pages import access_required, render_page

from .models import Role


def role_required(role: str = Role.VIEWER):
    """Signed in, a member, and at least `role`; otherwise 403 (sign-in page when anonymous)."""

    def rule(request) -> str | None:
        membership = request.membership
        if not membership:
            return _("You are not a member of any organisation.")
        if not membership.has_role(role):
            return _("Your role does not allow this.")
        return None

    return access_required(rule)


def base_context(request) -> dict:
    """What every page needs to decide which buttons to show."""
    membership = request.membership
    return {
        "can_edit": bool(membership) and membership.has_role(Role.ANALYST),
        "can_admin": bool(membership) and membership.has_role(Role.ADMIN),
    }


def page(request, template: str, context: dict | None = None, status: int = 200):
    """Render a page with `base_context` under its own context."""
    return render_page(request, template, context, base=base_context(request), status=status)
