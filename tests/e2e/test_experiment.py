"""What an analyst does in Chromium: register an experiment on a hypothesis, see the minimum
detectable effect before it starts, and read its result (checked against statsmodels)."""

import re
from datetime import timedelta

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from accounts.models import Role
from accounts.services import create_user
from cpi.models import Experiment
from cpi.services import create_hypothesis
from indicators import selectors as indicator_selectors
from indicators.services import ingest_measurements, recompute_dirty
from tests.factories import IndicatorFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "s3cret-pass!"
# Quotes (denominator) and policies sold (numerator) per day and arm, for two weeks.
ARMS = {"control": (200, 40), "fast-quote": (200, 56)}
DAYS = 14


@pytest.fixture
def hypothesis(organisation):
    create_user(organisation=organisation, username="anna", role=Role.ANALYST, password=PASSWORD)
    quote = IndicatorFactory(organisation=organisation, code="fast_quote", name="Fast Quote")
    customers = IndicatorFactory(
        organisation=organisation,
        code="new_customers",
        name="New customers",
        kind="kpi",
        direction="higher_is_better",
    )
    IndicatorFactory(
        organisation=organisation,
        code="quote_conversion",
        name="Quote conversion",
        kind="kpi",
        aggregation="ratio",
        unit="%",
        direction="higher_is_better",
    )
    today = indicator_selectors.today_of(organisation)
    start = today - timedelta(days=DAYS + 2)
    items = [
        {
            "indicator": "quote_conversion",
            "observed_at": (start + timedelta(days=d)).isoformat(),
            "numerator": sold,
            "denominator": quotes,
            "segment": {"arm": arm},
        }
        for arm, (quotes, sold) in ARMS.items()
        for d in range(DAYS)
    ]
    # The month before: the share the experiment is planned with.
    items += [
        {
            "indicator": "quote_conversion",
            "observed_at": (start - timedelta(days=d)).isoformat(),
            "numerator": 20,
            "denominator": 100,
        }
        for d in range(1, 31)
    ]
    ingest_measurements(organisation=organisation, items=items)
    recompute_dirty()
    data = {"cause": quote, "effect": customers, "expected_sign": "negative", "max_lag": 2}
    return create_hypothesis(organisation=organisation, data=data), start


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")


def test_an_analyst_registers_an_experiment_and_sees_its_result(
    page, live_server, hypothesis, screenshot
):
    hypothesis, start = hypothesis
    end = start + timedelta(days=DAYS - 1)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/hypotheses/{hypothesis.pk}/")
    page.click("text=Register an experiment")
    page.fill("#id_name", "Instant price on the quote form")
    page.select_option("#id_indicator", "quote_conversion")
    page.fill("#id_arm_dimension", "arm")
    page.fill("#id_control", "control")
    page.fill("#id_treatment", "fast-quote")
    page.fill("#id_start", start.isoformat())
    page.fill("#id_end", end.isoformat())
    page.fill("#id_planned_n_per_arm", "2800")
    # The minimum detectable effect appears before the experiment is saved (htmx).
    plan = page.locator("#plan")
    plan.get_by_text(re.compile(r"percentage points")).wait_for()
    screenshot(page, "experiment_form")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/experiments/\d+/$"))

    experiment = Experiment.objects.get(name="Instant price on the quote form")
    assert (experiment.control, experiment.treatment) == ("control", "fast-quote")
    quotes, sold = ARMS["fast-quote"][0] * DAYS, ARMS["fast-quote"][1] * DAYS
    c_quotes, c_sold = ARMS["control"][0] * DAYS, ARMS["control"][1] * DAYS
    low, high = confint_proportions_2indep(
        sold, quotes, c_sold, c_quotes, method="wald", compare="diff"
    )
    effect = 100 * (sold / quotes - c_sold / c_quotes)
    assert experiment.result["effect"] == pytest.approx(effect)
    assert experiment.result["ci_low"] == pytest.approx(100 * low)
    assert experiment.result["ci_high"] == pytest.approx(100 * high)
    assert experiment.result["verdict"] == "supported" and 100 * low > 0

    # What the analyst reads: the verdict in words and the effect with its interval.
    body = page.locator("main")
    assert body.get_by_text("Verdict: supported.").is_visible()
    assert body.get_by_text(re.compile(f"{effect:.1f} percentage points")).first.is_visible()
    assert page.locator("[data-figure=experiment-figure] .main-svg").first.is_visible()
    screenshot(page, "experiment_result")
