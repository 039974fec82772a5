"""Who may do what: viewers read, analysts (and API keys) write data, admins manage."""

from rest_framework import permissions

from .models import ROLE_RANK, Role
from .selectors import membership_for


def organisation_and_role(request):
    """(organisation, role) of the caller, for API-key and session callers alike."""
    cached = getattr(request, "_organisation_and_role", None)
    if cached is not None:
        return cached
    user = request.user
    if getattr(user, "api_key", None) is not None:
        result = (user.organisation, user.role)
    else:
        membership = getattr(request, "membership", None) or membership_for(user=user)
        result = (membership.organisation, membership.role) if membership else (None, None)
    request._organisation_and_role = result
    return result


class IsOrganisationMember(permissions.BasePermission):
    """Reads for every member; writes need `write_role` (analyst by default)."""

    write_role = Role.ANALYST

    def has_permission(self, request, view):
        organisation, role = organisation_and_role(request)
        if organisation is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        needed = getattr(view, "write_role", self.write_role)
        return ROLE_RANK[role] >= ROLE_RANK[needed]
