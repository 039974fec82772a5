"""What every API endpoint shares: the error envelope, JSON bodies, pagination, scoping.

Every error under `/api/` answers `{"errors": [{"index", "field", "message"}]}`: DRF's errors,
415 and 405 through `exception_handler`, an unexpected exception in an API view as a logged 500,
and unknown routes or failures outside DRF through `not_found` / `server_error` (Django's
handler404 / handler500, which keep the HTML pages for every other path). With `DEBUG=1` Django
shows its debug pages for the last two instead, as it does for every page.
"""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .bulk import WriteConflict
from .errors import NotFound

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
API_PREFIX = "/api/"
UNEXPECTED = _("Unexpected error; it was logged under this response's X-Request-ID.")


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request) -> int:
        """A sent `page_size` must be a whole number >= 1 (a bad one is a 400, not ignored);
        above `max_page_size` it is capped."""
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("Use a whole number of at least 1.")]}
            )
        return min(int(text), self.max_page_size)

    def get_page_number(self, request, paginator):
        # DRF reads `?page=` as page 1; like any other page that is not a number, it is a 404.
        if request.query_params.get(self.page_query_param) == "":
            raise exceptions.NotFound()
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = _("Results per page (at most %(max)s are returned).") % {
                    "max": self.max_page_size
                }
            elif parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters


def error(field: str, message: str, index: int | None = None) -> dict:
    return {"index": index, "field": field, "message": str(message)}


def flatten(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of {index, field, message}."""
    if isinstance(detail, dict):
        return [
            item
            for name, value in detail.items()
            for item in flatten(value, _join(prefix, "" if name == "non_field_errors" else name))
        ]
    if isinstance(detail, list):
        if all(not isinstance(v, dict | list) for v in detail):
            return [error(prefix, message) for message in detail]
        return [item for i, value in enumerate(detail) for item in flatten(value, _join(prefix, i))]
    return [error(prefix, detail)]


def _join(prefix: str, name) -> str:
    if name == "":
        return prefix
    return f"{prefix}.{name}" if prefix else str(name)


def exception_handler(exc, context):
    """Every error answers `{"errors": [{"index", "field", "message"}]}`."""
    if isinstance(exc, NotFound):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, WriteConflict):
        logger.warning("write conflict: %s", exc)
        return Response(
            {"errors": [error("", "Concurrent pushes of the same items collided; retry shortly.")]},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, OperationalError):
        logger.warning("database unavailable: %s", exc)
        return Response(
            {"errors": [error("", "The database is unavailable; retry shortly.")]},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug. The log line carries the request id; the answer stays JSON.
        logger.exception("unexpected error in an API view", exc_info=exc)
        set_rollback()
        return Response(
            {"errors": [error("", UNEXPECTED)]}, status=status.HTTP_500_INTERNAL_SERVER_ERROR
        )
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": flatten(exc.detail)}
    elif isinstance(exc, Http404 | exceptions.NotFound):
        response.data = {"errors": [error("", "Not found.")]}
    else:
        response.data = {"errors": [error("", getattr(exc, "detail", str(exc)))]}
    return response


def not_found(request, exception=None):
    """handler404: the error envelope under `/api/`, the 404 page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"errors": [error("", gettext("Not found."))]}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500 (Django has logged the exception): the envelope under `/api/`, else the page."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"errors": [error("", UNEXPECTED)]}, status=500)
    return defaults.server_error(request)


def json_body(request) -> bytes:
    """The raw body of a JSON request, for views that decode it themselves (msgspec is faster).

    Answers 415 for any media type the view's parsers do not take, as `request.data` would.
    """
    body = request.body
    if body and request.negotiator.select_parser(request, request.parsers) is None:
        raise exceptions.UnsupportedMediaType(request.content_type)
    return body


# Who the caller's organisation is belongs to `accounts` (above core): it registers the
# resolver in its AppConfig.ready(), so core never imports it.
_organisation_resolver = None


def register_organisation_resolver(resolver) -> None:
    """`resolver(request) -> organisation | None`, set once by the accounts app."""
    global _organisation_resolver
    _organisation_resolver = resolver


def organisation_of(request):
    """The caller's organisation (API key or session), or None."""
    return _organisation_resolver(request)


class OrganisationScopedMixin:
    """Viewsets see only their caller's organisation; anything else answers 404."""

    def get_organisation(self):
        return organisation_of(self.request)
