"""Comments on an indicator's period values."""

from datetime import date

from django.db.models import QuerySet

from ..models import Indicator, ValueComment


def comments_of(
    *, indicator: Indicator, period: str, start: date | None = None, end: date | None = None
) -> QuerySet[ValueComment]:
    """Comments on the indicator's values of `period` whose period start lies in [start, end]
    (both inclusive, either open), oldest period first, with their authors."""
    rows = ValueComment.objects.filter(indicator=indicator, period=period).select_related("author")
    if start:
        rows = rows.filter(period_start__gte=start)
    if end:
        rows = rows.filter(period_start__lte=end)
    return rows.order_by("period_start", "created_at", "id")
