"""What the scorecard contributes to the pages of the apps below it, through their registries
(`outcomes.registry`): the titles and links of the objectives an initiative serves."""

from django.urls import reverse

from outcomes.registry import ObjectiveLabel

from .models import Objective


def objective_labels(objective_ids: list[int]) -> dict[int, ObjectiveLabel]:
    """{objective id: its title, page and "scorecard · perspective"} (one query). The ids come
    from `objectives_of_initiatives`, already inside the initiative's organisation."""
    objectives = Objective.objects.filter(pk__in=objective_ids).select_related(
        "perspective__scorecard"
    )
    return {
        objective.pk: ObjectiveLabel(
            title=objective.title,
            url=reverse("objective-detail", args=[objective.pk]),
            context=f"{objective.perspective.scorecard.name} · {objective.perspective.display_label}",
        )
        for objective in objectives
    }
