"""The home page's "Evidence behind the arrows": hypotheses by status as coloured pills, the
arrows that matter most (supported with their best lag, then refuted), each linking to its
hypothesis, and an empty state; no query without a hypothesis, two with any number."""

import re

import pytest
from django.urls import reverse

from cpi import services as cpi_services
from cpi.models import Hypothesis
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


def hypothesis(organisation, cause, effect, status, *, r=None, best_lag=None, source="correlation"):
    made = cpi_services.create_hypothesis(
        organisation=organisation,
        data={"cause": cause, "effect": effect, "expected_sign": "positive", "max_lag": 3},
    )
    evidence = {"best_lag": best_lag, "r": r, "p_value": 0.001, "n": 24, "lags": []}
    Hypothesis.objects.filter(pk=made.pk).update(
        status=status, status_source=source, evidence=evidence
    )
    return made


def panel(client) -> str:
    html = client.get(reverse("home")).content.decode()
    match = re.search(r'<section class="card needs-action evidence-panel".*?</section>', html, re.S)
    assert match, "no evidence panel"
    return match.group(0)


def count_of(html: str, status: str) -> str:
    return re.search(rf'data-status="{status}">.*?<strong>(\d+)</strong>', html, re.S).group(1)


@pytest.fixture
def indicators(organisation):
    return [
        IndicatorFactory(organisation=organisation, code=code, name=name)
        for code, name in (
            ("fast_quote", "Fast Quote"),
            ("new_customers", "New customers"),
            ("first_time_resolution", "First Time Resolution"),
            ("retention", "Retention"),
            ("nothing_broke", "Nothing Broke"),
        )
    ]


def test_the_panel_counts_hypotheses_by_status_and_lists_supported_then_refuted(
    client, analyst, organisation, indicators
):
    quote, new, ftr, retention, broke = indicators
    weak = hypothesis(organisation, ftr, retention, "supported", r=0.5, best_lag=2)
    strong = hypothesis(organisation, quote, new, "supported", r=0.9, best_lag=1)
    refuted = hypothesis(organisation, broke, retention, "refuted", r=-0.7, best_lag=0)
    hypothesis(organisation, quote, retention, "inconclusive", r=0.1, best_lag=0)
    hypothesis(organisation, broke, new, "proposed")
    hypothesis(organisation, ftr, new, "proposed")
    client.force_login(analyst)
    html = panel(client)

    assert "Evidence behind the arrows" in html
    assert [count_of(html, s) for s in ("supported", "refuted", "inconclusive", "proposed")] == [
        "2",
        "1",
        "1",
        "2",
    ]
    assert '<span class="pill better">supported</span>' in html
    assert '<span class="pill worse">refuted</span>' in html
    assert '<span class="pill at-risk">inconclusive</span>' in html
    links = re.findall(r'<li><a href="/hypotheses/(\d+)/">', html)
    assert links == [str(strong.pk), str(weak.pk), str(refuted.pk)]
    assert "moves it 1 period later" in html and "moves it 2 periods later" in html
    assert "Fast Quote → New customers" in html
    assert f'href="{reverse("arrows")}"' in html


def test_a_verdict_of_an_experiment_comes_before_a_stronger_correlation(
    client, viewer, organisation, indicators
):
    quote, new, ftr, retention, _broke = indicators
    hypothesis(organisation, quote, new, "supported", r=0.95, best_lag=1)
    tested = hypothesis(
        organisation, ftr, retention, "supported", r=0.3, best_lag=0, source="experiment"
    )
    client.force_login(viewer)
    html = panel(client)
    assert re.findall(r'<li><a href="/hypotheses/(\d+)/">', html)[0] == str(tested.pk)
    assert "decided by an experiment" in html
    assert "moves it in the same period" in html  # its best lag is 0
    assert "Add a hypothesis" not in html  # a viewer does not write


def test_without_hypotheses_the_panel_invites_an_analyst_to_add_one(client, analyst, indicators):
    client.force_login(analyst)
    html = panel(client)
    assert "No hypothesis yet" in html
    assert f'href="{reverse("hypothesis-create")}"' in html


def test_the_panel_costs_no_query_without_hypotheses_and_two_with_any_number(
    client, viewer, organisation, indicators, django_assert_max_num_queries
):
    client.force_login(viewer)
    with django_assert_max_num_queries(20) as none:
        client.get(reverse("home"))
    quote, new, *_rest = indicators
    hypothesis(organisation, quote, new, "supported", r=0.8, best_lag=1)
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("home"))
    for n in range(12):
        cause = IndicatorFactory(organisation=organisation, code=f"cpi_{n}")
        hypothesis(organisation, cause, new, ("supported", "refuted")[n % 2], r=0.5, best_lag=1)
    with django_assert_max_num_queries(20) as many:
        html = panel(client)
    assert len(one.captured_queries) == len(none.captured_queries) + 2
    assert len(many.captured_queries) == len(one.captured_queries)
    assert html.count('<li><a href="/hypotheses/') == 5  # the few most important
