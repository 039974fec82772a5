"""Server-rendered pages for people, and the health check."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors
from .models import DirtyMark


@login_required
def home(request):
    """Indicators with their latest value and assessment."""
    membership = request.membership
    if not membership:
        raise PermissionDenied("You are not a member of any organisation.")
    indicators = selectors.indicators_with_latest(organisation=membership.organisation)
    return render(request, "indicators/home.html", {"indicators": indicators})


@require_GET
def healthz(request):
    """Database reachable, and the age of the oldest dirty mark (recompute lag)."""
    from django.utils import timezone

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        oldest = DirtyMark.objects.order_by("marked_at").values_list("marked_at", flat=True).first()
    except Exception as exc:  # any database failure is reported, never raised
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    lag = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return JsonResponse({"status": "ok", "database": "ok", "oldest_dirty_seconds": round(lag, 1)})
