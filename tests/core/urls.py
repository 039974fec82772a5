"""The project's URLs plus views that exist only for tests of core's plumbing."""

from django.urls import path
from rest_framework.views import APIView

from config.urls import handler404, handler500  # noqa: F401  (Django reads them from here)
from config.urls import urlpatterns as project_urlpatterns
from core.api import organisation_of
from core.idempotency import idempotent_answer

ECHO_CALLS: list[dict] = []


class BrokenView(APIView):
    """An API view with a bug."""

    def get(self, request):
        raise RuntimeError("a bug in an API view")


def broken_function(request):
    """A plain Django view under /api/ (outside DRF) with a bug."""
    raise RuntimeError("a bug outside DRF")


class EchoView(APIView):
    """A second endpoint honouring Idempotency-Key: answers `{"echo": body}` with `status`."""

    def post(self, request):
        def answer():
            ECHO_CALLS.append(request.data)
            return request.data.get("status", 200), {"echo": request.data}

        return idempotent_answer(
            request, organisation_id=organisation_of(request).pk, answer=answer
        )


urlpatterns = [
    path("api/v1/test/broken/", BrokenView.as_view()),
    path("api/v1/test/broken-function/", broken_function),
    path("broken-page/", broken_function),
    path("api/v1/test/echo/", EchoView.as_view()),
    *project_urlpatterns,
]
