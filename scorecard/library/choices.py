"""The reads the library's page and API need beside the entries: which codes the organisation
already uses, and the objectives a new measure may go on."""

from accounts.models import Organisation
from indicators.models import Indicator

from ..models import Objective


def codes_in_use(*, organisation: Organisation, codes) -> set[str]:
    """Those of `codes` the organisation's indicators already have (one query)."""
    return set(
        Indicator.objects.filter(organisation=organisation, code__in=list(codes)).values_list(
            "code", flat=True
        )
    )


def objective_choices(*, organisation: Organisation) -> list[Objective]:
    """The organisation's objectives with their perspective and scorecard (one query), by
    scorecard name, perspective position and objective position."""
    return list(
        Objective.objects.filter(perspective__scorecard__organisation=organisation)
        .select_related("perspective__scorecard")
        .order_by(
            "perspective__scorecard__name",
            "perspective__scorecard_id",
            "perspective__position",
            "perspective_id",
            "position",
            "pk",
        )
    )
