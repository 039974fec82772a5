"""The demo's results chain: the data file is a chain the services accept, and `load_demo` loads
it after the indicators, through the demo-parts registry, with the statuses the rule gives.

`load_demo` takes seconds, so one test loads it once for the real today and checks everything it
made with what holds whatever the day (the indicators' own demo test loads it twice already),
and one loads it for a fixed day and checks the exact statuses of that day."""

import json
import re
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from indicators.demo import definitions, parts
from indicators.models import PeriodValue
from outcomes.compute import STATUS_SCORES, status_of_score
from outcomes.demo.load import CHAIN, chain_data
from outcomes.models import ChainLink, ChainNode, Initiative
from outcomes.services import indicator_statuses

RANK = {"activity": 0, "output": 1, "outcome": 2, "impact": 3}
ALL_STATUSES = {"on_track", "at_risk", "off_track", "no_data"}


def demo_codes() -> set[str]:
    path = Path(definitions.__file__).with_name("definitions.json")
    return {item["code"] for item in json.loads(path.read_text(encoding="utf-8"))}


def test_the_chain_file_links_only_upwards_with_the_demos_own_indicators():
    data = chain_data()
    nodes = {item["key"]: item for item in data["nodes"]}
    initiatives = {item["key"] for item in data["initiatives"]}
    assert len(nodes) == len(data["nodes"]), "node keys are unique"
    for item in data["nodes"]:
        assert set(item.get("indicators", {})) <= demo_codes(), item["key"]
        assert all(weight > 0 for weight in item.get("indicators", {}).values())
        for target in item.get("contributes_to", []):
            assert RANK[nodes[target]["level"]] > RANK[item["level"]], (item["key"], target)
        if item["level"] in ("activity", "output"):
            assert item["initiative"] in initiatives, item["key"]
    assert initiatives == {i["initiative"] for i in data["nodes"] if i.get("initiative")}
    assert any(not item.get("indicators") for item in data["nodes"]), "an unmeasured link"
    assert CHAIN.name == "chain.json"


def test_demo_parts_run_in_the_order_they_were_registered_and_a_name_replaces(monkeypatch):
    monkeypatch.setattr(parts, "_parts", {})
    calls = []

    def part(text):
        def load(*, organisation, people, today):
            calls.append((text, organisation, people, today))
            return text

        return load

    parts.register_demo_part("b", part("first b"))
    parts.register_demo_part("a", part("a"))
    parts.register_demo_part("b", part("second b"))
    parts.register_demo_part("gone", part("gone"))
    parts.unregister_demo_part("gone")

    lines = parts.load_demo_parts(organisation="org", people={"x": 1}, today="day")

    assert lines == {"b": "second b", "a": "a"}
    assert calls == [
        ("second b", "org", {"x": 1}, "day"),
        ("a", "org", {"x": 1}, "day"),
    ]


def node(title: str) -> ChainNode:
    return ChainNode.objects.get(organisation__slug="demo", title=title)


@pytest.mark.django_db
def test_load_demo_draws_the_chain_of_the_issue_measured_by_the_demo_indicators(monkeypatch):
    seen = {}

    def spy(*, organisation, people, today):
        # A part runs after the indicators are loaded and recomputed, with the demo's people.
        seen["values"] = PeriodValue.objects.filter(indicator__organisation=organisation).count()
        seen["people"], seen["today"] = sorted(people), today
        return "Spy part: seen."

    monkeypatch.setattr(parts, "_parts", dict(parts._parts))
    parts.register_demo_part("tests.spy", spy)
    out = StringIO()
    call_command("load_demo", stdout=out)
    output = out.getvalue()

    assert seen["values"] > 1000 and seen["people"] == ["admin", "analyst", "viewer"]
    assert "Spy part: seen.\n" in output
    check_what_was_made(output)
    check_statuses_follow_the_rule()
    check_the_dashboard_panel_of_the_demo()


def check_what_was_made(output: str) -> None:
    initiatives = {i.title: i for i in Initiative.objects.filter(organisation__slug="demo")}
    for title in ("Instant online quote", "First-contact resolution programme", "Careful delivery"):
        assert initiatives[title].state == "running"
        assert initiatives[title].start < initiatives[title].end
    assert initiatives["Instant online quote"].owner.username == "analyst"
    assert {i.state for i in initiatives.values()} == {"running", "done", "planned"}

    measured = {
        "Customers get a price while still on the page": ("outcome", {"fast_quote": 1}),
        "Issue solved on first contact": ("outcome", {"first_time_resolution": 1}),
        "Nothing broke in delivery": ("outcome", {"nothing_broke": 1}),
        "New customers": ("impact", {"new_customers": 1}),
        "Retention": ("impact", {"retention": 1}),
        "Premium revenue": ("impact", {"premium_revenue": 2, "revenue_per_new_customer": 1}),
        # What the initiatives delivered: three outputs and one activity are measured.
        "Quote engine live": ("output", {"quote_engine_availability": 1}),
        "Agents trained": ("output", {"agents_trained": 1}),
        "Repair partners audited": ("output", {"repair_partners_audited": 1}),
        "Rewrite the knowledge base around customers' questions": (
            "activity",
            {"knowledge_base_answers": 1},
        ),
    }
    for title, (level, weights) in measured.items():
        found = node(title)
        assert found.level == level
        assert {m.indicator.code: m.weight for m in found.measures.all()} == weights
    for title in ("Launch instant online quote", "Train agents in first-contact resolution"):
        assert node(title).level == "activity" and not node(title).measures.exists()
    for title in ("Knowledge base rewritten", "Fast-track desk staffed", "Payment plans on sale"):
        assert node(title).level == "output" and not node(title).measures.exists()
    launch = node("Launch instant online quote")
    assert launch.initiative.title == "Instant online quote"
    assert list(launch.contributes_to.values_list("title", flat=True)) == ["Quote engine live"]

    nodes = ChainNode.objects.filter(organisation__slug="demo")
    links = ChainLink.objects.filter(source__organisation__slug="demo")
    assert (nodes.count(), links.count()) == (25, 26)
    unmeasured = nodes.filter(measures__isnull=True)
    by_level = {level: unmeasured.filter(level=level).count() for level in RANK}
    assert by_level == {"activity": 7, "output": 3, "outcome": 1, "impact": 0}
    line = re.search(r"^Results chain: .*$", output, re.M).group(0)
    assert line.startswith(
        "Results chain: 6 initiatives, 25 nodes (9 activities, 6 outputs, 6 outcomes, "
        "4 impacts), 26 links ("
    )
    cited = links.filter(hypothesis__isnull=False).count()
    assert f"26 links ({cited} citing a hypothesis); status " in line
    counts = {s: nodes.filter(status=s).count() for s in ALL_STATUSES}
    assert (
        f"status {counts['on_track']} on track, {counts['at_risk']} at risk, "
        f"{counts['off_track']} off track, {counts['no_data']} no data; "
        "11 unmeasured links (nodes without an indicator)."
    ) in line


def statuses_by_code() -> dict[str, str]:
    nodes = ChainNode.objects.filter(organisation__slug="demo")
    organisation = nodes.first().organisation
    indicators = {i.pk: i.code for i in organisation.indicators.all()}
    found = indicator_statuses(organisation=organisation, indicator_ids=set(indicators))
    return {indicators[pk]: status for pk, status in found.items()}


def check_statuses_follow_the_rule() -> None:
    """Worked examples on the data that does not move with the day of the month, and the
    one-indicator nodes (Fast Quote, Nothing Broke... move with it) against that indicator."""
    status = statuses_by_code()
    # The story: the total premium grows while each new customer buys less, NPS lags its
    # target and the payment-plan export stopped months ago.
    assert status["premium_revenue"] == "on_track"
    assert status["revenue_per_new_customer"] == "off_track"
    assert status["prefilled_quotes"] == "on_track"
    assert status["payment_plan_options"] == "stale"
    assert status["nps"] == "at_risk"
    # At least 47 of the 50 answers are rewritten in the last complete month, whatever the day.
    assert status["knowledge_base_answers"] == "on_track"

    premium = node("Premium revenue")  # (2 x 1 + 1 x 0) / 3 = 0.667: at risk (0.6 <= s < 0.9)
    assert premium.score == pytest.approx(2 / 3)
    assert (premium.status, premium.status_source) == ("at_risk", "indicators")
    engine = node("Quote engine live")  # measured: its own indicator, whatever its contributors
    assert engine.status_source == "indicators"
    answers = node("Knowledge base rewritten")  # unmeasured: the mean of its contributors that
    # have a score, "Rewrite the knowledge base..." (1.0)
    assert (answers.status, answers.score, answers.status_source) == (
        "on_track",
        1.0,
        "contributors",
    )
    desk = node("Fast-track desk staffed")  # unmeasured, and so is its only contributor
    assert (desk.status, desk.score, desk.status_source) == ("no_data", None, "contributors")
    plans = node("Customers pay in the way that suits them")  # stale counts as no data
    assert (plans.status, plans.score, plans.status_source) == ("no_data", None, "indicators")
    letters = node("Customers understand why their price changed")
    assert (letters.status, letters.status_source) == ("no_data", "contributors")
    launch = node("Launch instant online quote")
    assert (launch.status, launch.status_source) == ("no_data", "none")

    for title, code in [
        ("Customers get a price while still on the page", "fast_quote"),
        ("Issue solved on first contact", "first_time_resolution"),
        ("Nothing broke in delivery", "nothing_broke"),
        ("Business buyers get a firm offer before their board meets", "quote_turnaround"),
        ("Customers recommend us", "nps"),
        ("New customers", "new_customers"),
        ("Retention", "retention"),
        ("Quote engine live", "quote_engine_availability"),
        ("Agents trained", "agents_trained"),
        ("Repair partners audited", "repair_partners_audited"),
    ]:
        expected = status_of_score(STATUS_SCORES[status[code]])
        assert node(title).status == expected, (title, status[code])

    # Every colour is on the demo's chain page, whatever the day it was loaded.
    found = set(
        ChainNode.objects.filter(organisation__slug="demo").values_list("status", flat=True)
    )
    assert found == ALL_STATUSES


def check_the_dashboard_panel_of_the_demo() -> None:
    client = Client()
    assert client.login(username="viewer", password="demo-password")
    page = client.get(reverse("home")).content.decode()
    assert "Results chain" in page
    assert f'href="{reverse("chain")}"' in page
    assert "11</strong> unmeasured links" in page


DAY = date(2026, 3, 15)


@pytest.mark.django_db
def test_the_demo_loaded_for_a_fixed_day_has_that_days_exact_statuses(monkeypatch):
    """Statuses move with the day the demo is loaded for (the month in progress, the targets
    from 1 January, staleness): loaded for 15 March 2026, and read on that day."""
    monkeypatch.setattr("indicators.selectors.indicators.today_of", lambda organisation: DAY)
    out = StringIO()
    call_command("load_demo", "--today", DAY.isoformat(), stdout=out)

    line = re.search(r"^Results chain: .*$", out.getvalue(), re.M).group(0)
    cited = ChainLink.objects.filter(
        source__organisation__slug="demo", hypothesis__isnull=False
    ).count()
    assert line == (
        "Results chain: 6 initiatives, 25 nodes (9 activities, 6 outputs, 6 outcomes, "
        f"4 impacts), 26 links ({cited} citing a hypothesis); status 10 on track, 3 at risk, "
        "1 off track, 11 no data; 11 unmeasured links (nodes without an indicator)."
    )
    outputs = ChainNode.objects.filter(organisation__slug="demo", level="output")
    assert {n.title: (n.status, n.status_source) for n in outputs} == {
        "Quote engine live": ("on_track", "indicators"),
        "Agents trained": ("at_risk", "indicators"),  # the January intake is being trained
        "Knowledge base rewritten": ("on_track", "contributors"),
        "Repair partners audited": ("off_track", "indicators"),  # audits behind plan
        "Fast-track desk staffed": ("no_data", "contributors"),
        "Payment plans on sale": ("no_data", "contributors"),
    }
    assert node("Nothing broke in delivery").status == "on_track"

    client = Client()
    assert client.login(username="viewer", password="demo-password")
    page = client.get(reverse("initiative-list"))
    counts = {
        row["initiative"].title: {item["status"]: item["count"] for item in row["counts"]}
        for row in page.context["rows"]
    }
    # The initiatives' own activities and outputs, by status.
    assert counts == {
        "Instant online quote": {"on_track": 2, "no_data": 1},
        "First-contact resolution programme": {"on_track": 2, "at_risk": 1, "no_data": 2},
        "Careful delivery": {"off_track": 1, "no_data": 1},
        "Business fast-track": {"no_data": 2},
        "Flexible payment plans": {"no_data": 2},
        "Renewal letters that explain the price": {"no_data": 1},
    }
