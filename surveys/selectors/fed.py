"""What a survey's questions fed to indicators, read by their measurements' keys."""

from django.db.models import Count

from indicators.models import Measurement

from ..services.feed import key_prefix


def fed_measurements(survey) -> list[dict]:
    """What the survey's questions fed: [{"code", "name", "count"}] per indicator, by name."""
    rows = (
        Measurement.objects.filter(
            indicator__organisation=survey.organisation,
            natural_key__startswith=f"k:{key_prefix(survey.code)}",
        )
        .values("indicator__code", "indicator__name")
        .annotate(count=Count("pk"))
        .order_by("indicator__name", "indicator__code")
    )
    return [
        {"code": row["indicator__code"], "name": row["indicator__name"], "count": row["count"]}
        for row in rows
    ]
