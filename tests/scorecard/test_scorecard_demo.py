"""The demo's scorecards: the data file follows the source's advice except where it breaks a
rule on purpose, and `load_demo` loads it after the indicators and the chain, scored from the
demo's own values, at maturity level 3, with exactly the warnings it asks for.

Loading takes seconds, so one test loads the demo once for a fixed day and checks everything.
"""

import json
import re
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from indicators.compute.periods import previous_period_start
from indicators.demo import definitions
from indicators.models import PeriodValue
from outcomes.demo.load import chain_data
from outcomes.models import Initiative
from scorecard import selectors
from scorecard.demo.load import SCORECARDS, scorecards_data
from scorecard.models import Objective, Score, Scorecard

DAY = date(2026, 11, 20)  # the demo's last day: its latest complete month is October 2026
LATEST = date(2026, 10, 1)
COMPANY, UNIT = "Nordic Mutual company scorecard", "Claims service unit scorecard"
# The rule breaks the demo makes on purpose: (warning code, objective title).
BREAKS = {
    ("initiative_on_customer_objective", "Keep customers longer"),
    ("customer_objective_without_voice", "Keep customers longer"),
    ("generic_objective", "Keep customers longer"),
    ("too_many_measures", "Price every request instantly, in every channel"),
}


def demo_indicators() -> dict[str, dict]:
    path = Path(definitions.__file__).with_name("definitions.json")
    return {item["code"]: item for item in json.loads(path.read_text(encoding="utf-8"))}


def objectives_of(scorecard: dict):
    for perspective in scorecard["perspectives"]:
        for objective in perspective["objectives"]:
            yield perspective["kind"], objective


def test_the_file_measures_with_demo_indicators_and_serves_demo_initiatives():
    indicators = demo_indicators()
    initiatives = {item["key"] for item in chain_data()["initiatives"]}
    data = scorecards_data()
    assert SCORECARDS.name == "scorecards.json"
    assert [s["name"] for s in data["scorecards"]] == [COMPANY, UNIT]
    for scorecard in data["scorecards"]:
        kinds = [p["kind"] for p in scorecard["perspectives"]]
        assert kinds == ["financial", "customer", "internal", "learning"]
        keys = [o["key"] for _kind, o in objectives_of(scorecard)]
        assert len(keys) == len(set(keys))
        for _kind, objective in objectives_of(scorecard):
            assert objective["measures"], objective["title"]
            assert set(objective["measures"]) <= set(indicators), objective["title"]
            assert all(w > 0 for w in objective["measures"].values())
            assert set(objective.get("initiatives", [])) <= initiatives
            assert set(objective.get("contributes_to", [])) <= set(keys)
            assert objective["owner"] in ("admin", "analyst")


def test_customer_objectives_speak_in_the_voice_and_hear_both_say_and_do():
    """Every customer objective but the deliberate generic one has a voice statement; those
    measured by what customers say or do are measured by both; initiatives sit on the
    internal-process and learning objectives, but for the deliberate break."""
    indicators = demo_indicators()
    for scorecard in scorecards_data()["scorecards"]:
        for kind, objective in objectives_of(scorecard):
            evidence = {indicators[code]["evidence"] for code in objective["measures"]} - {None}
            if kind == "customer":
                assert evidence in (set(), {"say", "do"}), objective["title"]
                if objective["title"] != "Keep customers longer":
                    assert objective["voice"].strip() and not objective.get("initiatives")
            elif kind == "financial":
                assert not objective.get("initiatives")
    company = scorecards_data()["scorecards"][0]
    carried = {
        key
        for kind, o in objectives_of(company)
        if kind in ("internal", "learning")
        for key in o.get("initiatives", [])
    }
    assert carried == {"instant_quote", "first_contact", "careful_delivery", "business_fast_track"}
    layers = {
        indicators[code]["layer"] for _k, o in objectives_of(company) for code in o["measures"]
    }
    assert layers == {"impact", "execution", "prerequisite", "choice"}


def weighted(pairs) -> float | None:
    """The weighted mean of (score, weight) over the scores that exist (weights renormalised)."""
    have = [(s, w) for s, w in pairs if s is not None]
    total = sum(w for _s, w in have)
    return None if not have or total == 0 else sum(s * w for s, w in have) / total


def expected_scores(scorecard: dict, start: date) -> tuple[float | None, dict[str, float | None]]:
    """The scorecard's and each perspective's score in `start`, worked from the stored
    progress of the demo's monthly period values (DESIGN section 5), independently of the app."""
    progress = dict(
        PeriodValue.objects.filter(
            indicator__organisation__slug="demo", period="month", segment="", period_start=start
        ).values_list("indicator__code", "progress")
    )
    perspectives = {}
    for perspective in scorecard["perspectives"]:
        objectives = [
            (weighted((progress.get(code), w) for code, w in o["measures"].items()), 1.0)
            for o in perspective["objectives"]
        ]
        perspectives[perspective["kind"]] = weighted(objectives)
    return weighted((s, 1.0) for s in perspectives.values()), perspectives


@pytest.mark.django_db
def test_load_demo_makes_the_scorecards_scored_at_level_3_with_the_rule_breaks():
    out = StringIO()
    call_command("load_demo", today=DAY, stdout=out)
    output = out.getvalue()

    company = Scorecard.objects.get(organisation__slug="demo", name=COMPANY)
    unit = Scorecard.objects.get(organisation__slug="demo", name=UNIT)
    check_the_structure(company, unit)
    company_detail = selectors.scorecard_detail(scorecard=company, today=DAY)
    unit_detail = selectors.scorecard_detail(scorecard=unit, today=DAY)
    check_scores(company_detail, scorecards_data()["scorecards"][0])
    check_scores(unit_detail, scorecards_data()["scorecards"][1])
    check_maturity_and_warnings(company_detail, unit_detail)
    check_the_history(company)
    check_initiatives_serve_their_objectives()
    check_the_report_line(output, company_detail, unit_detail)
    check_the_pages_answer(company)


def check_the_structure(company: Scorecard, unit: Scorecard) -> None:
    labels = [str(p.display_label) for p in company.perspectives.all()]
    assert labels == ["Financial", "Customer", "Internal process", "Learning and growth"]
    assert [str(p.display_label) for p in unit.perspectives.all()][1] == "Policyholders"
    assert (company.scope, unit.scope, company.period) == ("company", "unit", "month")
    quote = Objective.objects.get(perspective__scorecard=company, title__startswith="A price")
    assert quote.voice.startswith("Nordic Mutual gives me a price while I am still on the page")
    assert quote.owner.username == "analyst"
    measures = {m.indicator.code: (m.weight, m.indicator.evidence) for m in quote.measures.all()}
    assert measures == {
        "fast_quote": (2.0, ""),
        "quote_conversion": (1.0, "do"),
        "nps": (1.0, "say"),
    }
    links = selectors.links_of(company)
    assert len(links) == 12
    titles = dict(
        Objective.objects.filter(perspective__scorecard=company).values_list("pk", "title")
    )
    assert (
        "Price every request instantly, in every channel",
        "A price while I am still on the page",
    ) in {(titles[s], titles[t]) for s, t in links}
    kinds = dict(
        Objective.objects.filter(perspective__scorecard=company).values_list(
            "pk", "perspective__kind"
        )
    )
    # Cause and effect runs upwards: learning -> internal process -> customer -> financial.
    rank = {"learning": 0, "internal": 1, "customer": 2, "financial": 3}
    steps = {(kinds[s], kinds[t]) for s, t in links}
    assert all(rank[target] > rank[source] for source, target in steps)
    assert ("internal", "financial") in steps  # the business fast-track skips the customer row


def check_scores(detail, data: dict) -> None:
    assert detail.period_start == LATEST
    total, perspectives = expected_scores(data, LATEST)
    assert detail.total.score == pytest.approx(total)
    assert {p.obj.kind: p.score for p in detail.perspectives} == pytest.approx(perspectives)
    assert detail.total.score is not None and 0.5 < detail.total.score < 1
    assert detail.total.previous is not None  # a trend to show
    status = detail.total.status
    on_track, at_risk = detail.scorecard.on_track_from, detail.scorecard.at_risk_from
    score = detail.total.score
    assert status == (
        "on_track" if score >= on_track else "at_risk" if score >= at_risk else "off_track"
    )
    # The payment-plan export stopped: that objective has no score, and its customer
    # perspective is scored over the objectives that have data.
    plans = [o for o in detail.objectives() if o.obj.title == "I pay in the way that suits me"]
    assert all(o.score is None and o.status == "no_data" for o in plans)


def check_maturity_and_warnings(company, unit) -> None:
    for detail in (company, unit):
        maturity = detail.maturity
        assert maturity.level == 3 and maturity.next_layer == "choice" and maturity.predictive
    assert company.maturity.layers == {
        "impact": True,
        "execution": True,
        "prerequisite": True,
        "choice": False,  # the payment-plan options: stale since the export stopped
    }
    titles = {o.obj.pk: o.obj.title for o in company.objectives()}
    found = {(w.code, titles[w.id]) for w in company.warnings if w.type == "objective"}
    assert found == BREAKS and len(company.warnings) == len(BREAKS)
    assert unit.warnings == []
    assert company.customer_centricity == {"cpi": 6, "kpi": 10}


def check_the_history(company: Scorecard) -> None:
    periods = selectors.scored_periods(scorecard=company)
    assert periods[0] == date(2026, 11, 1)  # this month so far has values too
    assert len(periods) >= 12
    # Every month of the last year is scored, newest first.
    assert periods[1:12] == [previous_period_start(earlier, "month") for earlier in periods[:11]]
    assert (
        Score.objects.filter(scorecard=company, period_start=LATEST, part="objective").count() == 12
    )


def check_initiatives_serve_their_objectives() -> None:
    initiatives = {i.title: i.pk for i in Initiative.objects.filter(organisation__slug="demo")}
    serves = selectors.objectives_of_initiatives(list(initiatives.values()))
    titles = dict(Objective.objects.values_list("pk", "title"))

    def served(title):
        return {titles[pk] for pk in serves.get(initiatives[title], [])}

    assert served("Instant online quote") == {
        "Price every request instantly, in every channel",
        "Customer data at hand from public registers",
    }
    assert served("First-contact resolution programme") == {
        "Settle claims in the first contact",
        "Agents who can settle small claims on the call",
        "Agents ready to settle on the call",
    }
    assert served("Renewal letters that explain the price") == {"Keep customers longer"}
    assert served("Flexible payment plans") == set()


def check_the_report_line(output: str, company, unit) -> None:
    line = re.search(r"^Scorecards: .*$", output, re.M).group(0)
    percent = f"{100 * company.total.score:.0f} %"
    assert line.startswith(
        f"Scorecards: {COMPANY}: 4 perspectives, 13 objectives, 26 measures, 12 links; "
        f"October 2026 {percent} (Financial "
    )
    assert (
        "maturity level 3 of 4 (next: choice); 4 warnings (customer_objective_without_voice, "
        in line
    )
    assert f"{UNIT}: 4 perspectives, 5 objectives, 10 measures, 4 links; " in line
    assert line.endswith("; maturity level 3 of 4 (next: choice); 0 warnings.")


def check_the_pages_answer(company: Scorecard) -> None:
    client = Client()
    assert client.login(username="viewer", password="demo-password")
    home = client.get(reverse("home")).content.decode()
    assert f'hx-get="{reverse("home-scorecards")}"' in home  # the panel loads after the page
    home = client.get(reverse("home-scorecards")).content.decode()
    assert COMPANY in home and UNIT in home
    assert reverse("scorecard-detail", args=[company.pk]) in home
