"""The demo's CPI evidence: the data file fits the demo's CPIs, and `load_demo` makes, through the
CPI services, a profile for every CPI (one without customer evidence), the hypotheses of the
story (Fast Quote leads new customers by a month, one inconclusive) and a finished A/B test with
a clear result.

`load_demo` takes seconds, so one test loads it once for the real today and checks everything the
part made (as the chain's demo test does); the statistics are checked against scipy and
statsmodels called directly on the loaded values."""

import json
import re
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from scipy.stats import pearsonr
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from cpi import selectors
from cpi.demo.load import EVIDENCE, evidence_data
from cpi.models import CpiProfile, EvidenceNote, Experiment, Hypothesis
from indicators.compute.periods import next_period_start
from indicators.demo import build_demo, definitions, story
from indicators.models import Indicator, Measurement, PeriodValue
from indicators.selectors import today_of


def demo_definitions() -> list[dict]:
    path = Path(definitions.__file__).with_name("definitions.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_evidence_file_profiles_every_demo_cpi_and_leaves_one_without_evidence():
    data = evidence_data()
    cpis = {item["code"] for item in demo_definitions() if item["kind"] == "cpi"}
    profiles = {item["indicator"]: item for item in data["profiles"]}
    assert set(profiles) == cpis and len(cpis) == 6
    assert [code for code, item in profiles.items() if not item["notes"]] == ["prefilled_quotes"]
    assert all(item["desired_outcome"] and item["team"] for item in profiles.values())
    assert profiles["quote_turnaround"]["customer_segment"] == "business_buyers"
    assert profiles["fast_quote"]["desired_outcome"].startswith("A price while I am still")
    codes = {item["code"] for item in demo_definitions()}
    for item in data["hypotheses"]:
        assert {item["cause"], item["effect"]} <= codes
    assert {item["indicator"] for item in data["experiments"]} == {"quote_conversion"} <= codes
    assert EVIDENCE.name == "evidence.json"


def test_every_demo_indicator_names_its_accountable_team():
    assert all(item["team"] for item in demo_definitions())


def test_the_experiments_are_the_days_the_story_splits_quote_conversion_by_arm():
    today = date(2026, 3, 15)
    experiments = evidence_data()["experiments"]
    assert [(e["start_days_ago"], e["end_days_ago"]) for e in experiments] == [
        (begin, end) for begin, end, _arms in story.EXPERIMENTS
    ]
    assert [{e["control"], e["treatment"]} for e in experiments] == [
        set(arms) for _b, _e, arms in story.EXPERIMENTS
    ]
    items = [
        i for i in build_demo(today=today).measurements if i["indicator"] == "quote_conversion"
    ]
    assert all(0 <= item["numerator"] <= item["denominator"] for item in items)
    days = sorted({date.fromisoformat(item["observed_at"][:10]) for item in items})
    assert (days[0], days[-1]) == (
        today - timedelta(days=story.CONVERSION_DAYS),
        today - timedelta(days=1),
    )
    finished = experiments[0]
    start = today - timedelta(days=finished["start_days_ago"])
    end = today - timedelta(days=finished["end_days_ago"])
    assert 25 <= (end - start).days <= 31 and end < today
    running = today - timedelta(days=experiments[1]["start_days_ago"])
    for day in days:
        arms = {
            i.get("segment", {}).get("arm")
            for i in items
            if i["observed_at"].startswith(day.isoformat())
        }
        if start <= day <= end:
            assert arms == {"control", "fast-quote"}, day
        elif day >= running:
            assert arms == {"control", "fast-quote-phone"}, day
        else:
            assert arms == {None}, day  # one total, no arms


@pytest.mark.django_db
def test_load_demo_makes_the_cpi_evidence_of_the_story():
    out = StringIO()
    call_command("load_demo", stdout=out)
    output = out.getvalue()
    organisation = Indicator.objects.filter(code="fast_quote").get().organisation

    check_profiles_and_notes(organisation)
    check_fast_quote_leads_new_customers(organisation)
    check_an_inconclusive_hypothesis(organisation)
    check_the_finished_experiment(organisation)
    check_the_report_line(organisation, output)


def check_profiles_and_notes(organisation) -> None:
    cpis = selectors.cpis_of(organisation=organisation)
    assert len(cpis) == 6
    assert all(cpi.profile is not None and cpi.team for cpi in cpis)
    warned = [
        cpi.code for cpi in cpis if any(w["code"] == "no_customer_evidence" for w in cpi.warnings)
    ]
    assert warned == ["prefilled_quotes"]
    assert not any(w["code"] == "no_profile" for cpi in cpis for w in cpi.warnings)
    fast = selectors.cpi_by_code(organisation=organisation, code="fast_quote")
    assert fast.profile.desired_outcome == "A price while I am still on the page."
    assert (fast.profile.value_unit, fast.profile.customer_segment) == ("time", "consumers")
    assert fast.team == "Digital Sales" and len(fast.notes) == 3
    today = today_of(organisation)
    assert all(note.noted_on < today and note.source for note in fast.notes)
    assert Indicator.objects.filter(organisation=organisation, team="").count() == 0


def monthly(code: str) -> dict[date, float]:
    rows = PeriodValue.objects.filter(
        indicator__organisation__slug="demo", indicator__code=code, period="month", segment=""
    ).exclude(value=None)
    return {row.period_start: row.value for row in rows}


def hypothesis(cause: str, effect: str) -> Hypothesis:
    return Hypothesis.objects.get(
        organisation__slug="demo", cause__code=cause, effect__code=effect, period="month"
    )


def check_fast_quote_leads_new_customers(organisation) -> None:
    found = hypothesis("fast_quote", "new_customers")
    assert (found.expected_sign, found.max_lag) == ("negative", 3)
    assert found.status == "supported"
    assert found.evidence["best_lag"] == 1 and found.evidence["r"] < -0.8
    # The stored r at lag 1 is scipy's on the monthly totals, Fast Quote of m with customers of m+1.
    quotes, customers = monthly("fast_quote"), monthly("new_customers")
    following = {m: next_period_start(m, "month") for m in quotes}
    pairs = [(quotes[m], customers[n]) for m, n in sorted(following.items()) if n in customers]
    expected = pearsonr([x for x, _y in pairs], [y for _x, y in pairs])
    assert found.evidence["n"] == len(pairs)
    assert found.evidence["r"] == pytest.approx(expected.statistic)
    assert found.evidence["p_value"] == pytest.approx(expected.pvalue)
    assert found.backtest["beats_naive"] is True
    assert found.backtest["mae"] < found.backtest["naive_mae"]
    assert found.forecast["lag"] == 1 and len(found.forecast["points"]) == 1
    point = found.forecast["points"][0]
    assert point["low"] < point["value"] < point["high"]
    assert date.fromisoformat(point["period_start"]) > max(customers)
    # Without the experiment the correlation alone supports it too.
    assert selectors.evidence_warnings(found) == []


def check_an_inconclusive_hypothesis(organisation) -> None:
    statuses = dict(
        Hypothesis.objects.filter(organisation=organisation).values_list("cause__code", "status")
    )
    assert "inconclusive" in statuses.values()
    turnaround = hypothesis("quote_turnaround", "premium_revenue")
    assert (turnaround.status, turnaround.status_source) == ("inconclusive", "correlation")
    assert turnaround.forecast is None
    for cause, effect in [("first_time_resolution", "retention"), ("nothing_broke", "nps")]:
        found = hypothesis(cause, effect)
        assert found.status_source == "correlation" and found.evidence["n"] >= 12
        assert found.statement


def check_the_finished_experiment(organisation) -> None:
    parent = hypothesis("fast_quote", "new_customers")
    finished = Experiment.objects.get(organisation=organisation, end__lt=today_of(organisation))
    assert finished.hypothesis == parent and parent.status_source == "experiment"
    assert (finished.arm_dimension, finished.control, finished.treatment) == (
        "arm",
        "control",
        "fast-quote",
    )
    result = finished.result
    assert result["test"] == "two_proportion_z"
    assert (result["verdict"], result["final"], result["expected_effect"]) == (
        "supported",
        True,
        "positive",
    )
    assert result["ci_low"] > 1.0
    # The same numbers from statsmodels on the arms' measurements.
    sums = {}
    for arm in ("control", "fast-quote"):
        rows = Measurement.objects.filter(
            indicator=finished.indicator,
            segment={"arm": arm},
            local_date__gte=finished.start,
            local_date__lte=finished.end,
        )
        sums[arm] = (
            sum(r.numerator for r in rows),
            sum(r.denominator for r in rows),
        )
    (x_c, n_c), (x_t, n_t) = sums["control"], sums["fast-quote"]
    low, high = confint_proportions_2indep(x_t, n_t, x_c, n_c, method="wald", compare="diff")
    _z, p_value = proportions_ztest([x_t, x_c], [n_t, n_c])
    assert result["effect"] == pytest.approx(100 * (x_t / n_t - x_c / n_c))
    assert (result["ci_low"], result["ci_high"]) == (
        pytest.approx(100 * low),
        pytest.approx(100 * high),
    )
    assert result["p_value"] == pytest.approx(p_value)
    assert finished.planned_n_per_arm and finished.plan["mde"] > 0
    assert finished.plan["mde"] < result["effect"]
    running = Experiment.objects.get(organisation=organisation, end__gte=today_of(organisation))
    assert running.result["final"] is False


def check_the_report_line(organisation, output: str) -> None:
    line = re.search(r"^CPI evidence: .*$", output, re.M).group(0)
    counts = selectors.status_counts(organisation=organisation)
    statuses = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    notes = EvidenceNote.objects.filter(indicator__organisation=organisation).count()
    profiles = CpiProfile.objects.filter(indicator__organisation=organisation).count()
    assert (profiles, notes) == (6, 11)
    assert line == (
        f"CPI evidence: 6 profiles, 11 notes, 4 hypotheses ({statuses}), "
        "2 experiments (1 supported, 1 running)."
    )
