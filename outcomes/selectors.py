"""Reads of initiatives and the results chain, scoped to one organisation.

An object that does not exist, or not in the organisation, raises `core.errors.NotFound`.
`chain` reads a whole chain (or an initiative's part of it) in a fixed number of queries,
whatever its size: the nodes, their indicators with the latest values, and the links.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext

from accounts.models import Organisation
from core.errors import NotFound
from cpi import selectors as cpi_selectors
from indicators import selectors as indicator_selectors
from indicators.compute.status import AT_RISK, OFF_TRACK, STATUSES

from .compute import (
    ATTENTION_LEVELS,
    ATTENTION_STATUSES,
    LEVEL_ORDER,
    LEVEL_RANK,
    IndirectLink,
    chain_order_key,
    links_through_hidden,
    upward_closure,
)
from .models import ChainLink, ChainNode, Initiative, Level, NodeIndicator

WORRYING = (OFF_TRACK, AT_RISK)  # the outcomes a summary of the chain points at


def initiatives_of(*, organisation: Organisation) -> QuerySet[Initiative]:
    """Initiatives with their owner and `node_count`, by title."""
    return (
        Initiative.objects.filter(organisation=organisation)
        .select_related("owner", "organisation")
        .annotate(node_count=Count("nodes"))
        .order_by("title", "pk")
    )


def initiative_by_id(*, organisation: Organisation, pk) -> Initiative:
    initiative = initiatives_of(organisation=organisation).filter(pk=_whole(pk)).first()
    if initiative is None:
        raise NotFound(gettext("No initiative %(id)s.") % {"id": pk})
    return initiative


def nodes_of(*, organisation: Organisation) -> QuerySet[ChainNode]:
    """Nodes with their initiative, indicators (`measures`, with the indicator) and the ids of
    the nodes they contribute to (`links_up`)."""
    return (
        ChainNode.objects.filter(organisation=organisation)
        .select_related("initiative", "organisation")
        .prefetch_related(
            Prefetch(
                "measures",
                queryset=NodeIndicator.objects.select_related("indicator").order_by("pk"),
            ),
            Prefetch("links_up", queryset=ChainLink.objects.order_by("target_id")),
        )
        .order_by("pk")
    )


def node_by_id(*, organisation: Organisation, pk) -> ChainNode:
    node = nodes_of(organisation=organisation).filter(pk=_whole(pk)).first()
    if node is None:
        raise NotFound(gettext("No chain node %(id)s.") % {"id": pk})
    return node


def _whole(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        return -1


@dataclass
class Chain:
    """A results chain ready for a page or an answer.

    `nodes` are in level order (activity first), then by id; each carries `measures` (with
    `.indicator`, whose `latest_*` annotations and `stale` hold its latest value) and
    `contributor_ids` / `target_ids` within this chain. `links` are (source id, target id);
    `arrows` holds each link's `LinkRow` (its id and the evidence it cites) by that pair.
    `indirect` are the paths between shown nodes through hidden levels (`links_through_hidden`),
    empty when every level is shown.
    """

    nodes: list[ChainNode]
    links: list[tuple[int, int]]
    indicators: dict[int, object] = field(default_factory=dict)
    arrows: dict[tuple[int, int], "LinkRow"] = field(default_factory=dict)
    indirect: list["IndirectLink"] = field(default_factory=list)

    def by_level(self) -> dict[str, list[ChainNode]]:
        levels = {level: [] for level in LEVEL_ORDER}
        for node in self.nodes:
            levels[node.level].append(node)
        return levels

    @property
    def unmeasured(self) -> list[ChainNode]:
        return [node for node in self.nodes if not node.measures.all()]


def chain(
    *,
    organisation: Organisation,
    initiative: Initiative | None = None,
    levels: list[str] | None = None,
) -> Chain:
    """The chain of `organisation`; with `initiative`, its own nodes and every node they
    contribute to, directly or not; with `levels`, only the nodes of those levels (a link
    through a hidden level is hidden with it, and the shown nodes it connected are joined by an
    `IndirectLink`). Four queries (the links come with the status of the hypothesis each
    cites)."""
    nodes = list(
        ChainNode.objects.filter(organisation=organisation)
        .select_related("initiative")
        .prefetch_related(Prefetch("measures", queryset=NodeIndicator.objects.order_by("pk")))
        .order_by("pk")
    )
    rows = link_rows(organisation=organisation)
    pairs = [row.pair for row in rows]
    within = _of_initiative(nodes, pairs, initiative)
    keep = _of_levels(nodes, within, levels)
    indirect = []
    if keep != within:
        level_of = {node.pk: node.level for node in nodes if node.pk in within}
        inside = [(s, t) for s, t in pairs if s in within and t in within]
        indirect = links_through_hidden(inside, shown=keep, level_of=level_of)
    nodes = [node for node in nodes if node.pk in keep]
    rows = [row for row in rows if row.source in keep and row.target in keep]
    links = [row.pair for row in rows]
    indicators = _indicators_of(organisation, nodes)
    _attach(nodes, links, indicators)
    nodes.sort(key=lambda node: (LEVEL_RANK[node.level], node.pk))
    return Chain(
        nodes=nodes,
        links=links,
        indicators=indicators,
        arrows={row.pair: row for row in rows},
        indirect=indirect,
    )


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One arrow of the chain with the evidence it cites: `hypothesis` (its id or None) and
    `evidence`, the hypothesis's status (None when it cites none: "only drawn")."""

    pk: int
    source: int
    target: int
    hypothesis: int | None = None
    evidence: str | None = None
    cause: str = ""  # the cited hypothesis's cause and effect, by indicator name
    effect: str = ""

    @property
    def pair(self) -> tuple[int, int]:
        return (self.source, self.target)


def link_rows(*, organisation: Organisation) -> list[LinkRow]:
    """Every arrow of `organisation`'s chain by id, with its hypothesis's status and the names
    of its cause and effect (one query, joined, whatever the number of arrows)."""
    columns = (
        "pk",
        "source_id",
        "target_id",
        "hypothesis_id",
        "hypothesis__status",
        "hypothesis__cause__name",
        "hypothesis__effect__name",
    )
    return [
        LinkRow(pk, source, target, hypothesis, status, cause or "", effect or "")
        for pk, source, target, hypothesis, status, cause, effect in ChainLink.objects.filter(
            source__organisation=organisation
        )
        .order_by("pk")
        .values_list(*columns)
    ]


def link_by_id(*, organisation: Organisation, pk) -> ChainLink:
    """One arrow of `organisation` with its source, target and cited hypothesis (one query)."""
    link = (
        ChainLink.objects.filter(source__organisation=organisation, pk=_whole(pk))
        .select_related("source__organisation", "target", "hypothesis__cause", "hypothesis__effect")
        .first()
    )
    if link is None:
        raise NotFound(gettext("No chain link %(id)s.") % {"id": pk})
    return link


def arrows_up(*, node: ChainNode) -> list[ChainLink]:
    """The links from `node` upwards with the hypotheses that fit each (`node_arrows`)."""
    return node_arrows(node=node, fitting=True)[2]


def node_arrows(
    *, node: ChainNode, fitting: bool = False
) -> tuple[list[ChainNode], list[ChainNode], list[ChainLink]]:
    """(the nodes that contribute to `node`, the nodes it contributes to, its links upwards),
    the nodes in level order then by title, as `neighbours_of` gives them, in one query.

    Each link upwards carries its `target` and its cited hypothesis (with cause and effect);
    with `fitting`, also `fitting`: the organisation's hypotheses it could cite, whose cause
    measures `node` and effect measures the target, by cause then effect code (two queries
    more). `node` as `node_by_id` gives it, its measures prefetched."""
    rows = list(
        ChainLink.objects.filter(Q(source=node) | Q(target=node)).select_related(
            "source__initiative", "target__initiative", "hypothesis__cause", "hypothesis__effect"
        )
    )
    contributors = sorted(
        (link.source for link in rows if link.target_id == node.pk), key=chain_order_key
    )
    links = sorted(
        (link for link in rows if link.source_id == node.pk),
        key=lambda link: chain_order_key(link.target),
    )
    targets = [link.target for link in links]
    for link in links:
        link.fitting = []
    if fitting and links:
        _attach_fitting(node, links)
    return contributors, targets, links


def _attach_fitting(node: ChainNode, links: list[ChainLink]) -> None:
    measured = defaultdict(set)
    measured[node.pk] = {measure.indicator_id for measure in node.measures.all()}
    if not measured[node.pk]:
        return
    rows = NodeIndicator.objects.filter(node__in=[link.target_id for link in links]).values_list(
        "node_id", "indicator_id"
    )
    for node_id, indicator_id in rows:
        measured[node_id].add(indicator_id)
    effects = set().union(*(measured[link.target_id] for link in links))
    if not effects:
        return
    candidates = list(
        cpi_selectors.hypotheses_of(organisation=node.organisation)
        .prefetch_related(None)
        .filter(cause_id__in=measured[node.pk], effect_id__in=effects)
        .order_by("cause__code", "effect__code", "pk")
    )
    for link in links:
        link.fitting = [h for h in candidates if h.effect_id in measured[link.target_id]]


def _kept(nodes, links, initiative, levels) -> set[int]:
    return _of_levels(nodes, _of_initiative(nodes, links, initiative), levels)


def _of_initiative(nodes, links, initiative) -> set[int]:
    """Every node; with `initiative`, its own nodes and all they contribute to."""
    if initiative is None:
        return {node.pk for node in nodes}
    targets = defaultdict(list)
    for source, target in links:
        targets[source].append(target)
    own = {node.pk for node in nodes if node.initiative_id == initiative.pk}
    return upward_closure(own, targets)


def _of_levels(nodes, keep: set[int], levels) -> set[int]:
    """The nodes of `keep` on `levels` (all of `keep` without levels)."""
    if not levels:
        return keep
    wanted = set(levels) & set(Level.values)
    return {node.pk for node in nodes if node.pk in keep and node.level in wanted}


def _indicators_of(organisation, nodes) -> dict[int, object]:
    """The nodes' indicators with their latest value and status inputs, by id (one query)."""
    ids = {measure.indicator_id for node in nodes for measure in node.measures.all()}
    if not ids:
        return {}
    rows = indicator_selectors.indicators_with_latest_detail(organisation=organisation)
    return {indicator.pk: indicator for indicator in rows.filter(pk__in=ids)}


def _attach(nodes, links, indicators) -> None:
    contributors, targets = defaultdict(list), defaultdict(list)
    for source, target in links:
        contributors[target].append(source)
        targets[source].append(target)
    for node in nodes:
        node.contributor_ids = contributors.get(node.pk, [])
        node.target_ids = targets.get(node.pk, [])
        for measure in node.measures.all():
            measure.indicator = indicators[measure.indicator_id]


def outcomes_first(nodes: list[ChainNode]) -> list[ChainNode]:
    """Where attention goes: outcomes (leading) first, then impact (lagging), then outputs and
    activities; in each level off track first, then at risk, no data, on track."""
    return sorted(
        nodes,
        key=lambda n: (
            ATTENTION_LEVELS.index(n.level),
            ATTENTION_STATUSES.index(n.status),
            n.title.lower(),
            n.pk,
        ),
    )


def status_counts(*, organisation: Organisation) -> dict[str, dict[str, int]]:
    """{level: {status: count}} of the organisation's nodes (one query), every key present."""
    counts = {level: dict.fromkeys(STATUSES, 0) for level in LEVEL_ORDER}
    rows = (
        ChainNode.objects.filter(organisation=organisation)
        .values_list("level", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for level, status, count in rows:
        counts[level][status] = count
    return counts


@dataclass
class ChainAttention:
    """What a summary of the chain points at: the outcomes off track or at risk (off track
    first, then by title) and how many nodes have no indicator (unmeasured links)."""

    outcomes: list[ChainNode]
    unmeasured: int


def chain_attention(*, organisation: Organisation) -> ChainAttention:
    """The outcomes that need attention and the count of unmeasured nodes (one query)."""
    rows = list(
        ChainNode.objects.filter(organisation=organisation)
        .annotate(measured=Exists(NodeIndicator.objects.filter(node=OuterRef("pk"))))
        .filter(Q(level=Level.OUTCOME, status__in=WORRYING) | Q(measured=False))
        .only("pk", "level", "title", "status")
        .order_by()
    )
    outcomes = outcomes_first(
        [n for n in rows if n.level == Level.OUTCOME and n.status in WORRYING]
    )
    return ChainAttention(outcomes=outcomes, unmeasured=sum(1 for n in rows if not n.measured))


def has_chain(*, organisation: Organisation):
    """An expression that is true when `organisation` has a chain node: annotate another query
    of the page with it, and the page learns that without a query of its own."""
    return Exists(ChainNode.objects.filter(organisation=organisation))


def initiative_status_counts(
    *, organisation: Organisation, initiatives: list[int] | None = None
) -> dict[int, dict[str, int]]:
    """{initiative id: {status: count}} of the nodes each initiative owns (one query), of the
    initiatives among the ids `initiatives` (default: all); an initiative without nodes is
    absent."""
    counts: dict[int, dict[str, int]] = {}
    mine = Q() if initiatives is None else Q(initiative__in=initiatives)
    rows = (
        ChainNode.objects.filter(mine, organisation=organisation, initiative__isnull=False)
        .values_list("initiative_id", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for initiative_id, status, count in rows:
        counts.setdefault(initiative_id, dict.fromkeys(STATUSES, 0))[status] = count
    return counts


def neighbours_of(*, node: ChainNode) -> tuple[list[ChainNode], list[ChainNode]]:
    """(the nodes that contribute to `node`, the nodes it contributes to), each in level order
    then by title, with their initiative (one query)."""
    rows = (
        ChainNode.objects.filter(organisation_id=node.organisation_id)
        .filter(Q(links_up__target=node) | Q(links_down__source=node))
        .select_related("initiative")
        .distinct()
    )
    rows = sorted(rows, key=chain_order_key)
    mine = node.rank
    return (
        [n for n in rows if LEVEL_RANK[n.level] < mine],
        [n for n in rows if LEVEL_RANK[n.level] > mine],
    )


def node_choices(*, organisation: Organisation) -> list[ChainNode]:
    """The organisation's nodes for a form's choices (ids, levels, titles, initiative), in
    level order, then by title (one query)."""
    nodes = list(
        ChainNode.objects.filter(organisation=organisation)
        .select_related("initiative")
        .only("pk", "organisation_id", "level", "title", "initiative__title")
        .order_by("title", "pk")
    )
    return sorted(nodes, key=lambda node: LEVEL_RANK[node.level])


def indicator_choices(*, organisation: Organisation) -> list:
    """The organisation's indicators for a form's choices, by name (one query)."""
    return list(
        indicator_selectors.indicators_of(organisation=organisation)
        .prefetch_related(None)
        .select_related(None)
        .only("pk", "organisation_id", "code", "name")
        .order_by("name", "code")
    )


# Reads of the API (appended by the api helper).


def initiatives_with_nodes(*, organisation: Organisation) -> QuerySet[Initiative]:
    """`initiatives_of` with each initiative's nodes (ids only, by id) prefetched."""
    return initiatives_of(organisation=organisation).prefetch_related(
        Prefetch("nodes", queryset=ChainNode.objects.only("pk", "initiative_id").order_by("pk"))
    )


def nodes_with_links(*, organisation: Organisation) -> QuerySet[ChainNode]:
    """`nodes_of` plus the ids of the nodes that contribute to each (`links_down`)."""
    return nodes_of(organisation=organisation).prefetch_related(
        Prefetch("links_down", queryset=ChainLink.objects.order_by("source_id"))
    )


def nodes_by_id(*, organisation: Organisation, ids) -> dict[int, ChainNode]:
    """The organisation's nodes among `ids`, by id (one query); others are left out."""
    wanted = {pk for pk in ids if isinstance(pk, int)}
    if not wanted:
        return {}
    rows = ChainNode.objects.filter(organisation=organisation, pk__in=wanted)
    return {node.pk: node for node in rows}


def indicators_by_code(*, organisation: Organisation, codes) -> dict[str, object]:
    """The organisation's indicators among `codes`, by code (one query); others are left out."""
    wanted = set(codes)
    if not wanted:
        return {}
    rows = (
        indicator_selectors.indicators_of(organisation=organisation)
        .filter(code__in=wanted)
        .prefetch_related(None)
    )
    return {indicator.code: indicator for indicator in rows}


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One node of `chain_rows`: its stored status and its indicators' codes, no model."""

    pk: int
    level: str
    title: str
    status: str
    score: float | None
    status_source: str
    initiative_id: int | None
    codes: tuple[str, ...]


def chain_rows(
    *,
    organisation: Organisation,
    initiative: Initiative | None = None,
    levels: list[str] | None = None,
) -> tuple[list[NodeRow], list[LinkRow]]:
    """The nodes and links `chain` gives (same filters, same order), without the indicators'
    latest values: what the chain answer of the API needs, as plain rows (each link with the
    status of the hypothesis it cites). Three queries."""
    codes = defaultdict(list)
    measures = (
        NodeIndicator.objects.filter(node__organisation=organisation)
        .order_by("pk")
        .values_list("node_id", "indicator__code")
    )
    for node_id, code in measures:
        codes[node_id].append(code)
    columns = ("pk", "level", "title", "status", "score", "status_source", "initiative_id")
    nodes = [
        NodeRow(*values, codes=tuple(codes.get(values[0], ())))
        for values in ChainNode.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list(*columns)
    ]
    links = link_rows(organisation=organisation)
    keep = _kept(nodes, [link.pair for link in links], initiative, levels)
    nodes = sorted(
        (node for node in nodes if node.pk in keep), key=lambda n: (LEVEL_RANK[n.level], n.pk)
    )
    return nodes, [link for link in links if link.source in keep and link.target in keep]
