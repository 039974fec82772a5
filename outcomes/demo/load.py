"""Load the demo's results chain (`chain.json`) through the chain's services.

Initiatives come from the customer examples of the source: an instant online quote, a
first-contact resolution programme, careful delivery of claims repairs, a business fast-track,
flexible payment plans and a planned one on renewal letters. Their activities and outputs
contribute to outcomes in the customer's voice, measured by the demo's CPIs, and those to the
impacts new customers, retention, premium revenue and recommendation, measured by its KPIs.
Three of the six outputs are measured by what the initiatives delivered (quote engine
availability, agents trained, repair partners audited); the other outputs and most activities
are unmeasured, as in most organisations, and the chain page flags them. Every arrow that a
demo hypothesis fits (its cause measures the source node, its effect the target) cites it. Dates are months relative to `today`, so the demo reads the same whenever it is loaded.
"""

import json
from calendar import monthrange
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from accounts.models import Organisation
from cpi import selectors as cpi_selectors
from indicators.models import Indicator

from ..compute import LEVEL_ORDER
from ..models import LEVEL_RANK, ChainLink, ChainNode, NodeIndicator
from ..selectors import status_counts
from ..services import cite_hypothesis, create_initiative, create_node

CHAIN = Path(__file__).with_name("chain.json")
PLURALS = {
    "activity": "activities",
    "output": "outputs",
    "outcome": "outcomes",
    "impact": "impacts",
}
STATUS_WORDS = (
    ("on_track", "on track"),
    ("at_risk", "at risk"),
    ("off_track", "off track"),
    ("no_data", "no data"),
)


def chain_data() -> dict:
    """The demo chain as data: `initiatives` and `nodes`, each with a `key` to refer to it."""
    return json.loads(CHAIN.read_text(encoding="utf-8"))


def _month(today: date, offset: int, *, last_day: bool = False) -> date:
    index = today.year * 12 + today.month - 1 + offset
    year, month = divmod(index, 12)
    day = monthrange(year, month + 1)[1] if last_day else 1
    return date(year, month + 1, day)


def load_demo_chain(*, organisation: Organisation, people: dict, today: date) -> str:
    """Create the demo chain in `organisation` (whose demo indicators exist) and return the
    report line of `load_demo`: what was made and the statuses it came out with."""
    data = chain_data()
    indicators = {i.code: i for i in Indicator.objects.filter(organisation=organisation)}
    with transaction.atomic():
        initiatives = {
            item["key"]: create_initiative(
                organisation=organisation,
                data={
                    "title": item["title"],
                    "description": item["description"],
                    "owner": people.get(item["owner"]) if item["owner"] else None,
                    "state": item["state"],
                    "start": _month(today, item["start_month"]),
                    "end": _month(today, item["end_month"], last_day=True),
                    "budget": None if item["budget"] is None else Decimal(item["budget"]),
                },
            )
            for item in data["initiatives"]
        }
        nodes: dict[str, ChainNode] = {}
        # Highest level first, so that every node's targets exist when it is made.
        for item in sorted(data["nodes"], key=lambda n: -LEVEL_RANK[n["level"]]):
            nodes[item["key"]] = create_node(
                organisation=organisation,
                data={
                    "level": item["level"],
                    "title": item["title"],
                    "description": item.get("description", ""),
                    "initiative": initiatives[item["initiative"]]
                    if item.get("initiative")
                    else None,
                    "indicators": [
                        (indicators[code], float(weight))
                        for code, weight in item.get("indicators", {}).items()
                    ],
                    "contributes_to": [nodes[key] for key in item.get("contributes_to", [])],
                },
            )
        cited = cite_fitting_hypotheses(organisation=organisation)
    return _report(data, status_counts(organisation=organisation), cited)


def cite_fitting_hypotheses(*, organisation: Organisation) -> int:
    """On every arrow of the chain that cites nothing, cite the hypothesis that fits it (its
    cause measures the source node, its effect the target; the first by id when several do);
    the count of arrows that cite one. The demo's hypotheses are loaded before the chain."""
    measured: dict[int, set[int]] = {}
    for node_id, indicator_id in NodeIndicator.objects.filter(
        node__organisation=organisation
    ).values_list("node_id", "indicator_id"):
        measured.setdefault(node_id, set()).add(indicator_id)
    hypotheses = list(
        cpi_selectors.hypotheses_of(organisation=organisation).prefetch_related(None).order_by("pk")
    )
    cited = 0
    links = ChainLink.objects.filter(source__organisation=organisation).select_related(
        "source__organisation", "target", "hypothesis"
    )
    for link in links.order_by("pk"):
        if link.hypothesis_id is not None:
            cited += 1
            continue
        causes, effects = measured.get(link.source_id, set()), measured.get(link.target_id, set())
        fits = [h for h in hypotheses if h.cause_id in causes and h.effect_id in effects]
        if fits:
            cite_hypothesis(link=link, hypothesis=fits[0])
            cited += 1
    return cited


def _report(data: dict, counts: dict[str, dict[str, int]], cited: int = 0) -> str:
    by_level = {level: sum(counts[level].values()) for level in LEVEL_ORDER}
    by_status = {
        status: sum(counts[level][status] for level in LEVEL_ORDER) for status, _w in STATUS_WORDS
    }
    links = sum(len(item.get("contributes_to", [])) for item in data["nodes"])
    unmeasured = sum(1 for item in data["nodes"] if not item.get("indicators"))
    levels = ", ".join(
        f"{by_level[level]} {PLURALS[level] if by_level[level] != 1 else level}"
        for level in LEVEL_ORDER
    )
    statuses = ", ".join(f"{by_status[status]} {words}" for status, words in STATUS_WORDS)
    return (
        f"Results chain: {len(data['initiatives'])} initiatives, {sum(by_level.values())} "
        f"nodes ({levels}), {links} links ({cited} citing a hypothesis); status {statuses}; "
        f"{unmeasured} unmeasured links (nodes without an indicator)."
    )
