"""What indicators adds to `/healthz` (core.health): the recompute lag."""

from django.utils import timezone

from .models import DirtyMark


def oldest_dirty_seconds() -> float:
    """Age of the oldest dirty mark in seconds (0.0 when nothing waits), to one decimal."""
    oldest = DirtyMark.objects.order_by("marked_at").values_list("marked_at", flat=True).first()
    return round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0
