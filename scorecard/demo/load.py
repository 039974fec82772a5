"""Load the demo's balanced scorecards (`scorecards.json`) through the scorecard's services.

Nordic Mutual's company scorecard has the four business perspectives. Its customer objectives
are written in the customer's voice ("Nordic Mutual gives me a price while I am still on the
page") and measured by the CPI that delivers them (Fast Quote, First Time Resolution, Nothing
Broke) beside what customers do (quote conversion, retention) and what they say (NPS). The
demo's initiatives sit on the internal-process and learning objectives that drive them, and
cause-effect links run learning -> internal process -> customer -> financial. It breaks the
source's rules on purpose, so that the warnings show: a generic customer objective ("Keep
customers longer", with no statement in the customer's voice) carrying the planned
renewal-letter initiative, and an internal objective with four measures where three would do.
The payment-plan options, the one choice-layer indicator, have been stale for months, so the
scorecard reaches maturity level 3 and names choice as the layer to measure next. The claims
unit's smaller scorecard follows every rule and calls its customers "Policyholders".

Measures and initiatives are named by indicator code and by the key of the demo chain's
initiative (`outcomes/demo/chain.json`); one that the demo organisation lacks is skipped.
"""

import json
from datetime import date
from pathlib import Path

from django.db import transaction

from accounts.models import Organisation
from indicators.charts import period_label
from indicators.models import Indicator
from outcomes import selectors as outcome_selectors
from outcomes.demo.load import chain_data

from ..models import Scorecard
from ..selectors import scorecard_detail
from ..services import create_scorecard

SCORECARDS = Path(__file__).with_name("scorecards.json")


def scorecards_data() -> dict:
    """The demo scorecards as data: `scorecards`, each nested as `create_scorecard` takes it,
    with measures as {indicator code: weight}, initiatives and owners by key and username."""
    return json.loads(SCORECARDS.read_text(encoding="utf-8"))


def load_demo_scorecard(*, organisation: Organisation, people: dict, today: date) -> str:
    """Create the demo scorecards in `organisation` (whose demo indicators and initiatives
    exist) and return the report line of `load_demo`: their scores, maturity and warnings."""
    indicators = {i.code: i for i in Indicator.objects.filter(organisation=organisation)}
    titles = {item["key"]: item["title"] for item in chain_data()["initiatives"]}
    by_title = {i.title: i for i in outcome_selectors.initiatives_of(organisation=organisation)}
    initiatives = {key: by_title[title] for key, title in titles.items() if title in by_title}
    with transaction.atomic():
        made = [
            create_scorecard(
                organisation=organisation,
                data=_resolved(item, indicators=indicators, initiatives=initiatives, people=people),
            )
            for item in scorecards_data()["scorecards"]
        ]
    return _report(made, today)


def _resolved(item: dict, *, indicators: dict, initiatives: dict, people: dict) -> dict:
    """One scorecard of the data file with codes, keys and usernames turned into objects."""
    return {
        **{k: v for k, v in item.items() if k != "perspectives"},
        "perspectives": [
            {
                **{k: v for k, v in perspective.items() if k != "objectives"},
                "objectives": [
                    {
                        **{
                            k: v
                            for k, v in objective.items()
                            if k not in ("owner", "measures", "initiatives")
                        },
                        "owner": people.get(objective.get("owner")),
                        "measures": [
                            {"indicator": indicators[code], "weight": float(weight)}
                            for code, weight in objective.get("measures", {}).items()
                            if code in indicators
                        ],
                        "initiatives": [
                            initiatives[key]
                            for key in objective.get("initiatives", [])
                            if key in initiatives
                        ],
                    }
                    for objective in perspective.get("objectives", [])
                ],
            }
            for perspective in item["perspectives"]
        ],
    }


def _percent(score: float | None) -> str:
    return "no data" if score is None else f"{100 * score:.0f} %"


def _report(scorecards: list[Scorecard], today: date) -> str:
    parts = []
    for scorecard in scorecards:
        detail = scorecard_detail(scorecard=scorecard, today=today)
        objectives = detail.objectives()
        measures = sum(len(o.children) for o in objectives)
        perspectives = ", ".join(
            f"{p.obj.display_label} {_percent(p.score)}" for p in detail.perspectives
        )
        codes = sorted({w.code for w in detail.warnings})
        warnings = f"{len(detail.warnings)} warnings" + (f" ({', '.join(codes)})" if codes else "")
        maturity = detail.maturity
        level = f"maturity level {maturity.level} of 4" + (
            f" (next: {maturity.next_layer})" if maturity.next_layer else ""
        )
        parts.append(
            f"{scorecard.name}: {len(detail.perspectives)} perspectives, {len(objectives)} "
            f"objectives, {measures} measures, {len(detail.links)} links; "
            f"{period_label(detail.period_start, scorecard.period)} "
            f"{_percent(detail.total.score)} ({perspectives}); {level}; {warnings}"
        )
    return "Scorecards: " + "; ".join(parts) + "."
