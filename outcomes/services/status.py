"""Keep every chain node's stored status fresh (the rule is `outcomes.compute`).

Called after each change of the chain (nodes, their indicators, links) and, through the
values-changed hooks, after every recompute that changed period values; a periodic task
refreshes every organisation once an hour, since an indicator turns stale with the calendar
alone. Each call costs a fixed handful of queries, whatever the size of the chain, and writes
only the nodes whose status changed.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Organisation
from indicators import selectors as indicator_selectors
from indicators.compute.status import NO_DATA, indicator_status
from indicators.hooks import ValuesChanged

from ..compute import Rollup, chain_rollup, upward_closure
from ..models import ChainLink, ChainNode, NodeIndicator

logger = logging.getLogger(__name__)
# pg_advisory_xact_lock(namespace, organisation id): one writer of an organisation's chain at a
# time (the recompute's namespace is 0x0C0C).
CHAIN_LOCK_NAMESPACE = 0x0C4A
STATUS_FIELDS = ("status", "score", "status_source", "status_at")


def lock_chain(organisation: Organisation) -> None:
    """Hold the organisation's chain until the current transaction ends (PostgreSQL).

    Every write of the chain takes it first: a service that wrote one node and then locked all
    of them for the refresh would otherwise deadlock with another that did the same in the
    other order. SQLite serialises writers by itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [CHAIN_LOCK_NAMESPACE, organisation.pk]
            )


def refresh_chain_status(
    *,
    organisation: Organisation,
    indicator_ids: Iterable[int] | None = None,
    node_ids: Iterable[int] | None = None,
    nodes: Iterable[ChainNode] = (),
) -> int:
    """Recompute the stored status of the nodes measured by `indicator_ids`, of `node_ids`,
    and of every node above them; with neither, of every node. Returns how many changed.

    `nodes`: instances the caller holds (the node it just saved), given the stored status too,
    so that what it answers with is what is stored."""
    with transaction.atomic():
        lock_chain(organisation)
        stored = _refresh(organisation, indicator_ids, node_ids)
    for node in nodes:
        if node.pk in stored:
            for name in STATUS_FIELDS:
                setattr(node, name, getattr(stored[node.pk], name))
    return sum(1 for node in stored.values() if node.status_changed)


def _refresh(organisation, indicator_ids, node_ids) -> dict[int, ChainNode]:
    """Every node of the organisation, as stored after the refresh (`status_changed` set)."""
    nodes = {
        node.pk: node
        for node in ChainNode.objects.filter(organisation=organisation)
        .select_for_update()
        .only("pk", "level", *STATUS_FIELDS)
    }
    for node in nodes.values():
        node.status_changed = False
    if not nodes:
        return nodes
    measures = list(
        NodeIndicator.objects.filter(node__organisation=organisation).values_list(
            "node_id", "indicator_id", "weight"
        )
    )
    targets, contributors = _links_of(organisation)
    seeds = _seeds(nodes, measures, indicator_ids, node_ids)
    if seeds:
        todo = upward_closure(seeds, targets) & nodes.keys()
        _store(nodes, _rollups(organisation, nodes, measures, contributors, todo))
    return nodes


def _links_of(organisation) -> tuple[dict, dict]:
    targets, contributors = defaultdict(list), defaultdict(list)
    for source, target in ChainLink.objects.filter(source__organisation=organisation).values_list(
        "source_id", "target_id"
    ):
        targets[source].append(target)
        contributors[target].append(source)
    return targets, contributors


def _seeds(nodes, measures, indicator_ids, node_ids) -> set[int]:
    if indicator_ids is None and node_ids is None:
        return set(nodes)
    wanted = set(indicator_ids or ())
    seeds = {node_id for node_id, indicator_id, _weight in measures if indicator_id in wanted}
    return seeds | (set(node_ids or ()) & nodes.keys())


def _rollups(organisation, nodes, measures, contributors, todo) -> dict[int, Rollup]:
    needed = {indicator_id for node_id, indicator_id, _w in measures if node_id in todo}
    statuses = indicator_statuses(organisation=organisation, indicator_ids=needed)
    own = defaultdict(list)
    for node_id, indicator_id, weight in measures:
        if node_id in todo:
            # An indicator deleted since `measures` was read has no data.
            own[node_id].append((statuses.get(indicator_id, NO_DATA), weight))
    known = {pk: Rollup(n.status, n.score, n.status_source) for pk, n in nodes.items()}
    return chain_rollup(
        levels={pk: node.level for pk, node in nodes.items()},
        own=own,
        contributors=contributors,
        known=known,
        only=todo,
    )


def indicator_statuses(*, organisation, indicator_ids: Iterable[int]) -> dict[int, str]:
    """Each indicator's status today by the platform's rule (one query; stale included)."""
    ids = set(indicator_ids)
    if not ids:
        return {}
    rows = indicator_selectors.indicators_with_latest_detail(organisation=organisation).filter(
        pk__in=ids
    )
    return {indicator.pk: status_of_indicator(indicator) for indicator in rows}


def status_of_indicator(indicator) -> str:
    """`indicator_status` of a row of `indicators_with_latest_detail`."""
    return indicator_status(
        value=indicator.latest_value,
        assessment=indicator.latest_assessment or None,
        progress=indicator.latest_progress,
        stale=indicator.stale,
    )


def _store(nodes: dict[int, ChainNode], rollups: dict[int, Rollup]) -> None:
    now, changed = timezone.now(), []
    for node_id, rollup in rollups.items():
        node = nodes[node_id]
        if (node.status, node.score, node.status_source) != tuple(
            (rollup.status, rollup.score, rollup.source)
        ):
            node.status, node.score, node.status_source = (
                rollup.status,
                rollup.score,
                rollup.source,
            )
            node.status_at = now
            node.status_changed = True
            changed.append(node)
    ChainNode.objects.bulk_update(changed, list(STATUS_FIELDS))


def refresh_on_values_changed(change: ValuesChanged) -> None:
    """The values-changed handler: refresh the nodes the changed indicators measure."""
    organisation = Organisation.objects.filter(pk=change.organisation_id).first()
    if organisation is None:
        return
    count = refresh_chain_status(organisation=organisation, indicator_ids=change.indicator_ids)
    if count:
        logger.info("chain status refreshed organisation=%s nodes=%d", organisation.slug, count)


def refresh_every_chain() -> int:
    """Refresh every organisation's chain (the hourly task); returns the nodes changed. One
    organisation whose refresh fails is logged and does not hold back the others."""
    organisations = Organisation.objects.filter(chain_nodes__isnull=False).distinct()
    changed = 0
    for organisation in organisations.order_by("pk"):
        try:
            changed += refresh_chain_status(organisation=organisation)
        except Exception:
            logger.exception("chain status refresh failed organisation=%s", organisation.slug)
    return changed
