"""Deliver items to the connector's target through the same ingest services as a push.

Measurements go to `indicators.services.ingest_measurements`, survey responses to
`surveys.services.ingest_responses`: the same validation, the same natural keys (a rerun changes
nothing), the same recompute. A refused batch raises PullFailed with each error's `index`
counted over the whole run (`first_index` + its place in the batch).
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from indicators import selectors as indicator_selectors
from indicators.services import IngestError, ingest_measurements
from surveys.services import ResponsesRefused, ingest_responses

from ..models import Connector, Feed, Run, Target
from .errors import PullFailed


def deliver(
    connector: Connector, items: list[dict], *, run: Run, dry_run: bool, first_index: int = 0
) -> None:
    """Ingest one batch (at most INGEST_MAX_ITEMS) and add its counts to `run` (not saved)."""
    if not items:
        return
    try:
        result = _ingest(connector, items, dry_run=dry_run)
    except (IngestError, ResponsesRefused) as refused:
        errors = [{**error, "index": error["index"] + first_index} for error in refused.errors]
        raise PullFailed(
            _("%(count)s item(s) refused; nothing was written.") % {"count": len(errors)}, errors
        ) from refused
    run.rows += len(items)
    run.created += result.created
    run.updated += result.updated
    run.unchanged += result.unchanged
    if not dry_run and connector.target == Target.MEASUREMENTS:
        _note_feeds(connector, {item.get("indicator") for item in items})


def _ingest(connector: Connector, items: list[dict], *, dry_run: bool):
    if connector.target == Target.RESPONSES:
        if connector.survey is None:
            raise PullFailed(_("The connector delivers survey responses but names no survey."))
        return ingest_responses(survey=connector.survey, items=items, dry_run=dry_run)
    return ingest_measurements(organisation=connector.organisation, items=items, dry_run=dry_run)


def _note_feeds(connector: Connector, codes: set) -> None:
    """Remember which indicators the connector delivers to (the indicator page lists them)."""
    now = timezone.now()
    indicators = indicator_selectors.indicators_by_code(
        organisation=connector.organisation, codes={c for c in codes if isinstance(c, str)}
    )
    # One statement per batch (update_or_create took four per indicator: 40 of a pull batch's 50).
    Feed.objects.bulk_create(
        [
            Feed(connector=connector, indicator=indicator, last_delivered_at=now)
            for indicator in indicators.values()
        ],
        update_conflicts=True,
        unique_fields=["connector", "indicator"],
        update_fields=["last_delivered_at"],
    )
