"""The chain's indicators-changed handler (`indicators.hooks`): an indicator deleted, or its
`stale_grace_days` changed, changes the status of the nodes it measures without a new value.

Registered in `OutcomesConfig.ready()`. It is called inside the indicator's transaction, before
a delete, so it reads the nodes the indicators measure while their rows are still there; after
the commit it refreshes those nodes and every node above them (`services.status`).
"""

import logging

from accounts.models import Organisation
from indicators.hooks import IndicatorsChanged

from .models import NodeIndicator
from .services.status import refresh_chain_status

logger = logging.getLogger(__name__)


def chain_on_indicators_changed(change: IndicatorsChanged):
    """The nodes `change`'s indicators measure, now; their refresh, after the commit (None when
    they measure no node)."""
    node_ids = set(
        NodeIndicator.objects.filter(
            node__organisation_id=change.organisation_id, indicator_id__in=change.indicator_ids
        ).values_list("node_id", flat=True)
    )
    if not node_ids:
        return None
    organisation_id = change.organisation_id

    def refresh() -> None:
        organisation = Organisation.objects.filter(pk=organisation_id).first()
        if organisation is None:
            return
        count = refresh_chain_status(organisation=organisation, node_ids=node_ids)
        if count:
            logger.info("chain status refreshed organisation=%s nodes=%d", organisation.slug, count)

    return refresh
