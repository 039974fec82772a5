"""The surveys' demo: the relationship survey reproduces the story's monthly NPS and feeds it per
unit; the engagement survey's customer-focus items are higher with customer contact; units with
more customer focus have higher NPS and operating margin.

Scores are counted by hand from the responses (promoters 9-10, detractors 0-6) and correlations
checked with scipy, independently of the feed and of surveys.compute."""

from collections import defaultdict
from datetime import date
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from scipy.stats import pearsonr, ttest_ind

from indicators.demo import build_demo
from indicators.demo.parts import claimed_demo_series
from indicators.models import Indicator, PeriodValue
from surveys.demo.story import (
    UNIT_NAMES,
    engagement_round,
    promoters_and_detractors,
    relationship_month,
    staff,
)
from surveys.models import Response, Survey

TODAY = date(2026, 3, 15)
FOCUS_ITEMS = ("customer_central", "know_offer", "own_contribution", "goals_customer_value")


def hand_nps(scores) -> float:
    scores = [s for s in scores if s is not None]
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def test_the_surveys_claim_the_story_nps_which_the_story_then_leaves_out():
    assert "nps" in claimed_demo_series()
    full = build_demo(today=TODAY)
    withheld = build_demo(today=TODAY, withhold={"nps"})
    nps = [i for i in full.measurements if i["indicator"] == "nps"]
    assert len(nps) == 17 and withheld.withheld == {"nps": nps}
    assert [i for i in full.measurements if i["indicator"] != "nps"] == withheld.measurements


@pytest.mark.parametrize("nps", [-100.0, -12.3, 0.0, 9.7, 23.4, 99.6, 100.0])
@pytest.mark.parametrize("n", [1, 2, 7, 220, 299])
def test_promoter_and_detractor_counts_give_the_nps_to_within_half_a_respondent(nps, n):
    promoters, detractors = promoters_and_detractors(nps, n)
    assert promoters >= 0 and detractors >= 0 and promoters + detractors <= n
    assert abs(100 * (promoters - detractors) / n - nps) <= 50 / n + 1e-9


def test_a_month_of_customers_has_the_story_nps_and_units_with_more_focus_promote_more():
    responses = relationship_month(23.4, date(2026, 1, 1), end=TODAY)
    n = len(responses)
    assert 220 <= n < 300
    assert abs(hand_nps([r.answers["nps"] for r in responses]) - 23.4) <= 50 / n
    assert all(date(2026, 1, 1) <= r.submitted_at.date() <= date(2026, 1, 31) for r in responses)
    assert len({r.respondent for r in responses}) == n
    assert {r.attributes["segment"] for r in responses} == {"consumer", "business"}
    skipped = sum(r.answers["csat"] is None for r in responses)
    assert 0 < skipped < n / 10


def test_staff_with_customer_contact_agree_more_with_the_customer_focus_items():
    people = staff()
    rounds = [engagement_round(i, date(2026, 2 + 3 * i, 8), people=people) for i in range(2)]
    answered = [r for responses in rounds for r in responses]
    assert 370 <= len(answered) <= 420 and len({r.respondent for r in answered}) == len(answered)
    index = defaultdict(list)
    for response in answered:
        items = [response.answers[c] for c in FOCUS_ITEMS if response.answers[c] is not None]
        index[response.attributes["customer_contact"]].append(np.mean(items))
    test = ttest_ind(index["yes"], index["no"])
    assert np.mean(index["yes"]) - np.mean(index["no"]) > 0.4 and test.pvalue < 0.001
    assert {r.attributes["tenure"] for r in answered} == {"<1", "1-3", "3-10", "10+"}


@pytest.mark.django_db(transaction=True)
def test_the_loaded_demo_feeds_the_story_nps_per_unit_beside_focus_and_margin():
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Customer relationship survey" in out.getvalue()
    relationship = Survey.objects.get(organisation__slug="demo", code="relationship")
    engagement = Survey.objects.get(organisation__slug="demo", code="engagement")
    nps = Indicator.objects.get(organisation__slug="demo", code="nps")
    assert relationship.questions.get(code="nps").indicator == nps

    story = {}
    loaded = build_demo(today=date.fromisoformat(_today(out.getvalue())), withhold={"nps"})
    for item in loaded.withheld["nps"]:
        story[date.fromisoformat(item["observed_at"])] = item["value"]
    by_month = defaultdict(list)
    by_unit = defaultdict(list)
    for response in Response.objects.filter(survey=relationship):
        by_month[response.local_date.replace(day=1)].append(response.answers["nps"])
        by_unit[response.attributes["unit"]].append(response.answers["nps"])
    assert 3000 < sum(map(len, by_month.values())) < 6000
    rows = PeriodValue.objects.filter(indicator=nps, period="month", segment="")
    values = {row.period_start: (row.value, row.count) for row in rows}
    assert set(values) == set(story) == set(by_month)
    for month, (value, count) in values.items():
        assert count == len(by_month[month])
        assert value == pytest.approx(hand_nps(by_month[month]))
        assert abs(value - story[month]) <= 50 / count + 1e-9
    units = PeriodValue.objects.filter(indicator=nps, period="year").exclude(segment="")
    assert {row.segment for row in units} == {f"unit:{u}" for u in UNIT_NAMES}

    focus = defaultdict(list)
    for response in Response.objects.filter(survey=engagement):
        focus[response.attributes["unit"]] += [
            response.answers[c] for c in FOCUS_ITEMS if response.answers[c] is not None
        ]
    margin = Indicator.objects.get(organisation__slug="demo", code="operating_margin")
    margins = defaultdict(list)
    for row in PeriodValue.objects.filter(indicator=margin, period="month").exclude(segment=""):
        margins[row.segment.removeprefix("unit:")].append(row.value)
    xs = [np.mean(focus[u]) for u in UNIT_NAMES]
    assert pearsonr(xs, [hand_nps(by_unit[u]) for u in UNIT_NAMES]).statistic > 0.6
    assert pearsonr(xs, [np.mean(margins[u]) for u in UNIT_NAMES]).statistic > 0.6
    assert 370 <= Response.objects.filter(survey=engagement).count() <= 420


def _today(output: str) -> str:
    """The demo's last day plus one, from the command's report line."""
    import re

    end = date.fromisoformat(re.search(r"to (\d{4}-\d{2}-\d{2}), pushed", output).group(1))
    return date.fromordinal(end.toordinal() + 1).isoformat()
