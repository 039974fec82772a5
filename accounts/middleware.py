"""Attach the signed-in person's membership to the request (lazily: API calls never touch it)."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.functional import SimpleLazyObject

from .selectors import membership_for


def person_membership(request):
    """The membership of the person behind the request, or None.

    Memberships belong to people. A request authenticated by an API key (DRF replaces
    `request.user` with the key's client while it renders, e.g. /api/docs/) has no person, so
    it has no membership either: it acts for its key's organisation through the API only.
    """
    user = getattr(request, "user", None)
    if not isinstance(user, AbstractBaseUser):
        return None
    return membership_for(user=user)


class OrganisationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: person_membership(request))
        return self.get_response(request)
