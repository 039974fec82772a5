"""Server-rendered pages: the base context every layout reads, and access checks for views.

Plumbing only: which flags a layout needs and who may open a page are decided by the apps that
call these (accounts builds its role checks on them).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# A refusal names why the request may not see the page; None lets it through.
AccessRule = Callable[[HttpRequest], str | None]


def page_context(base: dict, context: dict | None = None) -> dict:
    """The layout's `base` values under the page's own `context`, which wins on a shared name."""
    return {**base, **(context or {})}


def render_page(
    request: HttpRequest,
    template: str,
    context: dict | None = None,
    *,
    base: dict,
    status: int = 200,
) -> HttpResponse:
    """Render `template` with `page_context(base, context)`."""
    return render(request, template, page_context(base, context), status=status)


def access_required(rule: AccessRule):
    """Signed in and let through by `rule`; otherwise 403 with its reason (sign-in page when
    anonymous)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            refusal = rule(request)
            if refusal is not None:
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
