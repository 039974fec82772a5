"""Reading pages: the chain, initiatives, an initiative with its sub-chain, a node.

Views read through `selectors` (already scoped to the organisation) and draw with `charts`;
the chain page costs a fixed number of queries whatever the size of the chain.
"""

from collections import defaultdict
from contextlib import suppress
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Role
from accounts.pages import page, role_required
from core.errors import NotFound
from cpi.models import HypothesisStatus
from indicators import charts as indicator_charts
from indicators import selectors as indicator_selectors
from indicators.compute.status import AT_RISK, AT_RISK_FROM, OFF_TRACK, ON_TRACK, ON_TRACK_FROM

from .. import charts, registry, selectors
from ..compute import (
    ATTENTION_LEVELS,
    ATTENTION_STATUSES,
    LEVEL_ORDER,
    LEVEL_RANK,
    STATUS_SCORES,
    indicators_score,
    status_of_score,
)
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
ALWAYS_OPEN = ("outcome", "impact")  # where attention goes: listed in full whatever the size
INITIATIVES_PER_PAGE = 25
# The worked examples of the status rule: equal-weight indicators by status.
RULE_EXAMPLES = {
    "all_at_risk": (AT_RISK, AT_RISK),
    "one_on_one_off": (ON_TRACK, OFF_TRACK),
    "three_on_one_off": (ON_TRACK, ON_TRACK, ON_TRACK, OFF_TRACK),
}


def status_rule() -> dict:
    """The numbers of the roll-up rule (outcomes.compute), for "How the status is worked out":
    the scores, the thresholds, and the worked examples scored by the rule itself."""
    examples = {}
    for name, statuses in RULE_EXAMPLES.items():
        score = indicators_score([(status, 1.0) for status in statuses])
        examples[name] = {
            "score": formats.number_format(score),
            "status": NodeStatus(status_of_score(score)).label,
        }
    return {
        "on_track_from": formats.number_format(ON_TRACK_FROM),
        "at_risk_from": formats.number_format(AT_RISK_FROM),
        "scores": {status: formats.number_format(score) for status, score in STATUS_SCORES.items()},
        "examples": examples,
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


def _written_list(chain, *, opened=(), query: dict | None = None) -> list[dict]:
    """The nodes where attention goes first (outcomes first), grouped by level. Outcomes and
    impact are listed in full; in a chain of more than OPEN_UP_TO nodes the outputs and the
    activities fold away and are read on demand (`load_url`, `open_url`) unless their level is
    in `opened`. `query`: the page's filters, for those two URLs."""
    _with_urls(chain)
    by_level = chain.by_level()
    shown = [level for level in ATTENTION_LEVELS if by_level[level]]
    large = len(chain.nodes) > OPEN_UP_TO
    groups = []
    for level in shown:
        group = {
            "level": level,
            "label": LEVEL_HEADINGS[level],
            "note": LEVEL_NOTES[level],
            "count": len(by_level[level]),
            "open": level in ALWAYS_OPEN or not large or len(shown) == 1,
            "nodes": None,  # None: folded away, read on demand
        }
        if group["open"] or level in opened:
            group["nodes"] = group_rows(chain, level)
        else:
            group.update(_group_urls(level, query or {}))
        groups.append(group)
    return groups


def _with_urls(chain) -> None:
    """Give each node of `chain` its page's `url`, as the list's rows link them."""
    pattern = charts.node_url_pattern()
    for node in chain.nodes:
        node.url = pattern.format(node.pk)


def group_rows(chain, level: str) -> list:
    """The nodes of `level`, worst first, each with its targets' arrows (and their evidence)
    and the shown nodes it leads to through hidden levels. Nodes carry `url` (`_with_urls`)."""
    by_id = {node.pk: node for node in chain.nodes}
    indirect = defaultdict(list)
    for link in chain.indirect:
        indirect[link.source].append(link)
    evidence = {}  # the pills of one status are alike: worked out once a page
    rows = selectors.outcomes_first([node for node in chain.nodes if node.level == level])
    for node in rows:
        node.target_arrows = []
        for pk in node.target_ids:
            arrow = chain.arrows.get((node.pk, pk))
            status = arrow.evidence if arrow else None
            if status not in evidence:
                evidence[status] = evidence_of(status)
            node.target_arrows.append({"target": by_id[pk], "evidence": evidence[status]})
        node.indirect_targets = [
            {"target": by_id[link.target], "through": charts.through_label(link.through)}
            for link in indirect.get(node.pk, [])
        ]
    return rows


def _group_urls(level: str, query: dict) -> dict:
    """Where a folded group is read from: the partial (htmx), and without JavaScript the same
    page with the group unfolded."""
    opened = [*query.get("open", []), level]
    return {
        "load_url": f"{reverse('chain-group', args=[level])}?{urlencode(query, doseq=True)}",
        "open_url": f"?{urlencode({**query, 'open': opened}, doseq=True)}#group-{level}",
    }


def _chain_context(chain, levels: list[str], *, opened=(), query: dict | None = None) -> dict:
    return {
        "chain": chain,
        "figure": indicator_charts.figure_json(charts.chain_figure(chain, levels=levels or None))
        if chain.nodes
        else None,
        "groups": _written_list(chain, opened=opened, query=query),
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


def _opened_of(request) -> list[str]:
    wanted = set(request.GET.getlist("open"))
    return [level for level in LEVEL_ORDER if level in wanted]


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
    opened = _opened_of(request)
    query = _filters(initiative, levels, opened)
    context = {
        **_chain_context(chain, levels, opened=opened, query=query),
        "initiatives": initiatives,
        "initiative": initiative,
        "levels": levels or list(LEVEL_ORDER),
        "level_choices": [(level, Level(level).label) for level in LEVEL_ORDER],
        "filtered": filtered,
        "unknown_initiative": bool(chosen) and initiative is None,
    }
    return page(request, "outcomes/chain.html", context)


def _filters(initiative, levels: list[str], opened: list[str]) -> dict:
    """The chain page's query: what a folded group's URLs carry along."""
    query = {}
    if initiative is not None:
        query["initiative"] = initiative.pk
    if levels:
        query["level"] = levels
    if opened:
        query["open"] = opened
    return query


@role_required(Role.VIEWER)
def chain_group(request, level):
    """One folded group of the chain page's list (outputs or activities), read on demand with
    the page's filters (`initiative`, `level`); without htmx, the page with it unfolded."""
    if level not in LEVEL_ORDER:
        raise Http404(gettext("No level %(level)s.") % {"level": level})
    if not request.htmx:
        return redirect(f"{reverse('chain')}?{_unfolded_query(request, level)}#group-{level}")
    organisation = request.membership.organisation
    initiative = None
    # an initiative that is not (any more) shows the whole chain, as the page does
    with suppress(NotFound):
        if request.GET.get("initiative"):
            initiative = selectors.initiative_by_id(
                organisation=organisation, pk=request.GET["initiative"]
            )
    levels = _levels_of(request)
    chain = selectors.chain(organisation=organisation, initiative=initiative, levels=levels)
    _with_urls(chain)
    group = {"level": level, "nodes": group_rows(chain, level)}
    return page(request, "outcomes/_node_rows.html", {"group": group, "partial": True})


def _unfolded_query(request, level: str) -> str:
    query = request.GET.copy()
    if level not in query.getlist("open"):
        query.appendlist("open", level)
    return query.urlencode()


@role_required(Role.VIEWER)
def initiative_list(request):
    """Initiatives by title, INITIATIVES_PER_PAGE a page, with their nodes by status."""
    organisation = request.membership.organisation
    paginator = Paginator(selectors.initiatives_of(organisation=organisation), INITIATIVES_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    counts = selectors.initiative_status_counts(
        organisation=organisation, initiatives=[i.pk for i in page_obj]
    )
    rows = [
        {
            "initiative": initiative,
            "counts": [
                {"status": s, "label": NodeStatus(s).label, "count": counts[initiative.pk][s]}
                for s in ATTENTION_STATUSES
                if initiative.pk in counts and counts[initiative.pk][s]
            ],
        }
        for initiative in page_obj
    ]
    return page(request, "outcomes/initiative_list.html", {"rows": rows, "page_obj": page_obj})


@role_required(Role.VIEWER)
def initiative_detail(request, pk):
    """An initiative: its facts, its own nodes and everything they contribute to."""
    organisation = request.membership.organisation
    initiative = selectors.initiative_by_id(organisation=organisation, pk=pk)
    chain = selectors.chain(organisation=organisation, initiative=initiative)
    own = [node for node in chain.nodes if node.initiative_id == initiative.pk]
    opened = _opened_of(request)
    context = {
        **_chain_context(chain, [], opened=opened, query=_filters(initiative, [], opened)),
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
