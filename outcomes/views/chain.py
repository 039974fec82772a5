"""Reading pages: the chain, initiatives, an initiative with its sub-chain, a node.

Views read through `selectors` (already scoped to the organisation) and draw with `charts`;
the chain page costs a fixed number of queries whatever the size of the chain.
"""

from django.utils import formats
from django.utils.translation import gettext_lazy

from accounts.models import Role
from accounts.pages import page, role_required
from cpi.models import HypothesisStatus
from indicators import charts as indicator_charts
from indicators import selectors as indicator_selectors
from indicators.compute.status import AT_RISK_FROM, ON_TRACK_FROM

from .. import charts, registry, selectors
from ..compute import ATTENTION_STATUSES, LEVEL_ORDER, LEVEL_RANK, STATUS_SCORES
from ..models import Level, NodeStatus
from ..services.status import status_of_indicator

RECENT_PERIODS = 12
LEVEL_NOTES = {
    "outcome": gettext_lazy(
        "Leading: a change for customers or staff that can still steer the work. "
        "Attention goes here first."
    ),
    "impact": gettext_lazy("Lagging: the business result, known only afterwards."),
    "output": gettext_lazy("What the work produced."),
    "activity": gettext_lazy("The daily work of the initiatives."),
}
LEVEL_HEADINGS = {
    "outcome": gettext_lazy("Outcomes"),
    "impact": gettext_lazy("Impact"),
    "output": gettext_lazy("Outputs"),
    "activity": gettext_lazy("Activities"),
}
OPEN_UP_TO = 40  # nodes in a chain whose lists of outputs and activities all show unfolded


def status_rule() -> dict:
    """The numbers of the roll-up rule (outcomes.compute), for "How the status is worked out"."""
    return {
        "on_track_from": formats.number_format(ON_TRACK_FROM),
        "at_risk_from": formats.number_format(AT_RISK_FROM),
        "scores": {status: formats.number_format(score) for status, score in STATUS_SCORES.items()},
    }


def _levels_of(request) -> list[str]:
    wanted = set(request.GET.getlist("level"))
    return [level for level in LEVEL_ORDER if level in wanted]


def _counts(nodes) -> list[dict]:
    counts = dict.fromkeys(ATTENTION_STATUSES, 0)
    for node in nodes:
        counts[node.status] += 1
    return [
        {"status": status, "label": NodeStatus(status).label, "count": counts[status]}
        for status in ATTENTION_STATUSES
    ]


def _written_list(chain) -> list[dict]:
    """The nodes where attention goes first (outcomes first), each with its neighbours' titles,
    grouped by level."""
    by_id = {node.pk: node for node in chain.nodes}
    pattern = charts.node_url_pattern()
    for node in chain.nodes:
        node.url = pattern.format(node.pk)
    groups: dict[str, dict] = {}
    for node in selectors.outcomes_first(chain.nodes):
        node.targets = [by_id[pk] for pk in node.target_ids]
        node.target_arrows = [  # each target with the evidence of the arrow to it
            {"target": target, "evidence": _arrow_evidence(chain, node.pk, target.pk)}
            for target in node.targets
        ]
        node.contributor_count = len(node.contributor_ids)
        group = groups.setdefault(
            node.level,
            {
                "level": node.level,
                "label": LEVEL_HEADINGS[node.level],
                "note": LEVEL_NOTES[node.level],
                "nodes": [],
                # a long list of work items folds away; outcomes and impact stay open
                "open": node.level in ("outcome", "impact") or len(chain.nodes) <= OPEN_UP_TO,
            },
        )
        group["nodes"].append(node)
    return list(groups.values())


def _arrow_evidence(chain, source: int, target: int) -> dict:
    arrow = chain.arrows.get((source, target))
    return evidence_of(arrow.evidence if arrow else None)


def _chain_context(chain, levels: list[str]) -> dict:
    return {
        "chain": chain,
        "figure": indicator_charts.figure_json(charts.chain_figure(chain, levels=levels or None))
        if chain.nodes
        else None,
        "groups": _written_list(chain),
        "counts": _counts(chain.nodes),
        "unmeasured_count": len(chain.unmeasured),
        "status_colours": charts.STATUS_COLOURS,
        "evidence_legend": evidence_legend(),
        "evidence_counts": _evidence_counts(chain),
        "rule": status_rule(),
    }


def _evidence_counts(chain) -> dict:
    """How many arrows of the chain cite a hypothesis, and of each status."""
    found = [chain.arrows[pair].evidence for pair in chain.links if pair in chain.arrows]
    cited = [status for status in found if status]
    return {
        "links": len(chain.links),
        "cited": len(cited),
        "supported": cited.count("supported"),
        "refuted": cited.count("refuted"),
    }


@role_required(Role.VIEWER)
def chain_page(request):
    """The whole chain (or an initiative's part), as a graph and as a list, outcomes first."""
    organisation = request.membership.organisation
    initiatives = list(selectors.initiatives_of(organisation=organisation))
    initiative = None
    chosen = request.GET.get("initiative", "")
    if chosen:
        initiative = next((i for i in initiatives if str(i.pk) == chosen), None)
    levels = _levels_of(request)
    chain = selectors.chain(organisation=organisation, initiative=initiative, levels=levels)
    filtered = bool(initiative or levels)
    context = {
        **_chain_context(chain, levels),
        "initiatives": initiatives,
        "initiative": initiative,
        "levels": levels or list(LEVEL_ORDER),
        "level_choices": [(level, Level(level).label) for level in LEVEL_ORDER],
        "filtered": filtered,
        "unknown_initiative": bool(chosen) and initiative is None,
    }
    return page(request, "outcomes/chain.html", context)


@role_required(Role.VIEWER)
def initiative_list(request):
    """Initiatives by title, with their nodes by status."""
    organisation = request.membership.organisation
    initiatives = list(selectors.initiatives_of(organisation=organisation))
    counts = selectors.initiative_status_counts(organisation=organisation)
    rows = [
        {
            "initiative": initiative,
            "counts": [
                {"status": s, "label": NodeStatus(s).label, "count": counts[initiative.pk][s]}
                for s in ATTENTION_STATUSES
                if initiative.pk in counts and counts[initiative.pk][s]
            ],
        }
        for initiative in initiatives
    ]
    return page(request, "outcomes/initiative_list.html", {"rows": rows})


@role_required(Role.VIEWER)
def initiative_detail(request, pk):
    """An initiative: its facts, its own nodes and everything they contribute to."""
    organisation = request.membership.organisation
    initiative = selectors.initiative_by_id(organisation=organisation, pk=pk)
    chain = selectors.chain(organisation=organisation, initiative=initiative)
    own = [node for node in chain.nodes if node.initiative_id == initiative.pk]
    context = {
        **_chain_context(chain, []),
        "initiative": initiative,
        "own_count": len(own),
        "objectives": registry.objective_labels(
            registry.objectives_of([initiative.pk]).get(initiative.pk, [])
        ),
    }
    return page(request, "outcomes/initiative_detail.html", context)


def _indicator_cards(node) -> list[dict]:
    measures = list(node.measures.all())
    if not measures:
        return []
    ids = [measure.indicator_id for measure in measures]
    rows = {
        indicator.pk: indicator
        for indicator in indicator_selectors.indicators_with_latest_detail(
            organisation=node.organisation
        ).filter(pk__in=ids)
    }
    recent = indicator_selectors.recent_values_with_limits(
        indicators=list(rows.values()), count=RECENT_PERIODS
    )
    total = sum(measure.weight for measure in measures) or 1.0
    cards = []
    for measure in measures:
        indicator = rows[measure.indicator_id]
        cards.append(
            {
                "indicator": indicator,
                "weight": measure.weight,
                "share": measure.weight / total,
                "status": _indicator_status(indicator),
                "latest_label": indicator_charts.latest_label(indicator),
                "figure": indicator_charts.small_figure_json(
                    results=recent.get(indicator.pk, []), period=indicator.period
                ),
            }
        )
    return cards


def _indicator_status(indicator) -> dict:
    status = status_of_indicator(indicator)
    if status == "stale":
        return {"status": "stale", "label": gettext_lazy("stale: counts as no data")}
    return {"status": status, "label": NodeStatus(status).label}


@role_required(Role.VIEWER)
def node_detail(request, pk):
    """A chain node: its status and why, its indicators' charts, what it links to."""
    organisation = request.membership.organisation
    node = selectors.node_by_id(organisation=organisation, pk=pk)
    return node_page(request, node)


def node_page(request, node, *, cite_errors: dict | None = None, status: int = 200):
    """The node page; `cite_errors` ({link id: [messages]}) shows a refused citation at its
    arrow (the page then answers `status`, 400)."""
    can_cite = request.membership.has_role(Role.ANALYST)
    contributors, targets, arrows = selectors.node_arrows(node=node, fitting=can_cite)
    lower = [level for level in LEVEL_ORDER if LEVEL_RANK[level] < node.rank]
    context = {
        "node": node,
        "cards": _indicator_cards(node),
        "contributors": contributors,
        "targets": targets,
        "arrows": evidence_rows(arrows, cite_errors or {}),
        "status_colours": charts.STATUS_COLOURS,
        "rule": status_rule(),
        "lower_level": lower[-1] if lower else None,
        "level_note": LEVEL_NOTES[node.level],
    }
    return page(request, "outcomes/node_detail.html", context, status=status)


def evidence_of(status: str | None) -> dict:
    """An arrow's evidence for a pill: its status (None: only drawn), colour and words."""
    return {
        "status": status or "none",
        "colour": charts.EVIDENCE_COLOURS.get(status, charts.EDGE_COLOUR),
        "label": charts.evidence_label(status),
        "short": dict(HypothesisStatus.choices).get(status, gettext_lazy("only drawn")),
        "cited": status is not None,
    }


def evidence_legend() -> list[dict]:
    """The chain figure's arrow legend, strongest evidence first, "only drawn" last."""
    return [evidence_of(status) for status in reversed(charts.EVIDENCE_ORDER)] + [evidence_of(None)]


def evidence_rows(links, cite_errors: dict) -> list[dict]:
    """The node's arrows up for the page: target, evidence pill, hypotheses that fit."""
    return [
        {
            "link": link,
            "target": link.target,
            "hypothesis": link.hypothesis,
            "evidence": evidence_of(link.hypothesis.status if link.hypothesis else None),
            "fitting": link.fitting,
            "errors": cite_errors.get(link.pk, []),
        }
        for link in links
    ]
