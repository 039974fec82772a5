"""Load the demo's CPI evidence (`evidence.json`) through the CPI services.

Every CPI gets a profile in the customer's words, and all but one (pre-filled quotes, so the CPI
page shows its no-evidence warning) dated customer evidence: interviews, contextual inquiries,
survey references. Four monthly hypotheses test the demo's story: Fast Quote leads new customers
by a month (supported at lag 1, with a forecast that beats the naive one), First Time Resolution
-> retention, Nothing Broke -> NPS, and quote turnaround for business buyers -> premium revenue,
which the story leaves without a relation (inconclusive). An A/B test of the instant price on the
web quote form (arms `control` and `fast-quote` of a new ratio KPI, quote conversion) ended a
week ago with a clear result; a second one, in the phone channel, is still running. Their
measurements are part of the indicators' demo story (`indicators/demo/story.py`, EXPERIMENTS,
the same days as `evidence.json`). Dates are relative to `today`, so the demo reads the same
whenever it is loaded.
"""

import json
from calendar import monthrange
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction

from accounts.models import Organisation
from indicators import selectors as indicator_selectors

from .. import selectors, services

EVIDENCE = Path(__file__).with_name("evidence.json")


def evidence_data() -> dict:
    return json.loads(EVIDENCE.read_text(encoding="utf-8"))


def _month_day(today: date, offset: int, day: int) -> date:
    index = today.year * 12 + today.month - 1 + offset
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day, monthrange(year, month + 1)[1]))


def load_demo_evidence(*, organisation: Organisation, people: dict, today: date) -> str:
    """Profiles, notes, hypotheses and experiments of the demo in `organisation` (whose demo
    indicators exist and are recomputed); answers the report line of `load_demo`."""
    data = evidence_data()
    analyst = people.get("analyst")

    def by_code(code: str):
        return indicator_selectors.indicator_by_code(organisation=organisation, code=code)

    notes = 0
    with transaction.atomic():
        for profile in data["profiles"]:
            cpi = by_code(profile["indicator"])
            services.save_profile(
                indicator=cpi,
                data={k: v for k, v in profile.items() if k not in ("indicator", "notes")},
            )
            for note in profile["notes"]:
                services.add_evidence_note(
                    indicator=cpi,
                    data={
                        "kind": note["kind"],
                        "noted_on": _month_day(today, note["month"], note["day"]),
                        "source": note["source"],
                        "text": note["text"],
                    },
                    created_by=analyst,
                )
                notes += 1
        hypotheses = {
            item["key"]: services.create_hypothesis(
                organisation=organisation,
                data={
                    "cause": by_code(item["cause"]),
                    "effect": by_code(item["effect"]),
                    "expected_sign": item["expected_sign"],
                    "max_lag": 3,
                    "period": "month",
                    "statement": item["statement"],
                },
                created_by=analyst,
            )
            for item in data["hypotheses"]
        }
        experiments = [
            services.create_experiment(
                organisation=organisation,
                data={
                    "hypothesis": hypotheses[item["hypothesis"]],
                    "name": item["name"],
                    "indicator": by_code(item["indicator"]),
                    "arm_dimension": item["arm_dimension"],
                    "control": item["control"],
                    "treatment": item["treatment"],
                    "start": today - timedelta(days=item["start_days_ago"]),
                    "end": today - timedelta(days=item["end_days_ago"]),
                    "planned_n_per_arm": item["planned_n_per_arm"],
                },
                created_by=analyst,
            )
            for item in data["experiments"]
        ]
    return _report(organisation, len(data["profiles"]), notes, experiments, today)


def _report(organisation, profiles: int, notes: int, experiments: list, today: date) -> str:
    counts = selectors.status_counts(organisation=organisation)
    hypotheses = sum(counts.values())
    statuses = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    finished = [e.result.get("verdict") or "no verdict" for e in experiments if e.end < today]
    running = len(experiments) - len(finished)
    words = [f"{finished.count(v)} {v}" for v in dict.fromkeys(finished)]
    if running:
        words.append(f"{running} running")
    plural = "experiment" if len(experiments) == 1 else "experiments"
    return (
        f"CPI evidence: {profiles} profiles, {notes} notes, {hypotheses} hypotheses "
        f"({statuses}), {len(experiments)} {plural} ({', '.join(words)})."
    )
