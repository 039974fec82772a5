"""Attach the signed-in person's membership to the request (lazily: API calls never touch it)."""

from django.utils.functional import SimpleLazyObject

from .selectors import membership_for


class OrganisationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: membership_for(user=request.user))
        return self.get_response(request)
