"""Load the demo's results chain (`chain.json`) through the chain's services.

Initiatives come from the customer examples of the source: an instant online quote, a
first-contact resolution programme, careful delivery of claims repairs, a business fast-track,
flexible payment plans and a planned one on renewal letters. Their activities and outputs
contribute to outcomes in the customer's voice, measured by the demo's CPIs, and those to the
impacts new customers, retention, premium revenue and recommendation, measured by its KPIs.
Three of the six outputs are measured by what the initiatives delivered (quote engine
availability, agents trained, repair partners audited); the other outputs and most activities
are unmeasured, as in most organisations, and the chain page flags them. Dates are months relative to `today`, so the demo reads the same whenever it is loaded.
"""

import json
from calendar import monthrange
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from accounts.models import Organisation
from indicators.models import Indicator

from ..compute import LEVEL_ORDER
from ..models import LEVEL_RANK, ChainNode
from ..selectors import status_counts
from ..services import create_initiative, create_node

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
    return _report(data, status_counts(organisation=organisation))


def _report(data: dict, counts: dict[str, dict[str, int]]) -> str:
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
        f"nodes ({levels}), {links} links; status {statuses}; {unmeasured} unmeasured links "
        "(nodes without an indicator)."
    )
