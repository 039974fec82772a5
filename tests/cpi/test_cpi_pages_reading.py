"""The CPI reading pages as a manager sees them: the CPIs and customer-centricity, a CPI, the
arrows overview, a hypothesis and an experiment; who sees which buttons; other organisations'
objects are not found; a bounded number of queries."""

import json
import re

import numpy as np
import pytest
from scipy import stats

from accounts.models import Role
from accounts.services import create_user
from cpi import selectors, services
from cpi.models import Hypothesis
from tests.cpi.cpi_pages_data import evidence_data, experiment_data
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(organisation, api):
    return evidence_data(organisation, api)


@pytest.fixture
def as_viewer(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def as_analyst(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def outsider(client, other_organisation):
    user = create_user(
        organisation=other_organisation, username="rita", role=Role.ADMIN, password="s3cret-pass!"
    )
    client.force_login(user)
    return client


def figure(html: str, element_id: str) -> dict:
    found = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S
    )
    assert found, f"no figure {element_id}"
    return json.loads(found.group(1))


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the CPIs ----------------------------------------------------------------------------------


def test_the_cpi_list_leads_with_the_share_of_tracked_indicators_that_are_cpis(
    as_viewer, data, organisation
):
    IndicatorFactory(organisation=organisation, code="wait", name="Waiting time")  # no values
    response = as_viewer.get("/cpi/")
    assert response.status_code == 200
    whole = selectors.customer_centricity(organisation=organisation)["organisation"]
    html = text(response)
    # Fast Quote (this month) and new customers (last month) are both tracked; Waiting time is not
    assert (whole.cpi, whole.tracked) == (1, 2)
    assert "1 of 2 tracked indicators are CPIs (50 %)" in html
    behind = html[html.index("The indicators behind the figure") :]
    assert behind.index("Fast Quote") < behind.index("Not tracked") < behind.index("Waiting time")
    assert "Online sales" in html  # the per-team table


def test_every_cpi_shows_the_customers_words_its_value_and_its_warnings_in_plain_words(
    as_viewer, data, organisation
):
    IndicatorFactory(organisation=organisation, code="nps_score", name="NPS", unit="points")
    html = text(as_viewer.get("/cpi/"))
    assert "“I want a price while I am still on the page.”" in html
    assert 'href="/cpi/fast_quote/"' in html and 'href="/cpi/nps_score/"' in html
    assert "<strong>22</strong> s" in html  # this month's fast quote
    assert "A survey score such as NPS measures what customers say" in html
    assert "No customer evidence yet" in html


def test_without_a_cpi_the_list_says_what_a_cpi_is_and_offers_to_create_one(as_analyst):
    html = text(as_analyst.get("/cpi/"))
    assert "No CPI yet" in html
    assert "measures something the company does for its customers" in html
    assert 'href="/indicators/new/?kind=cpi"' in html


def test_the_cpi_page_shows_profile_evidence_chart_and_the_hypotheses_it_causes(as_analyst, data):
    response = as_analyst.get("/cpi/fast_quote/")
    assert response.status_code == 200
    html = text(response)
    assert "“I want a price while I am still on the page.”" in html
    assert "within 30 seconds" in html and "Time" in html and "Consumers" in html
    assert "Eight customer interviews" in html and "Six left a competitor" in html
    note = data["note"]
    form = re.search(rf'<form method="post" action="/cpi/notes/{note.pk}/delete/".*?</form>', html)
    assert form and "csrfmiddlewaretoken" in form.group(0)
    assert 'href="/cpi/fast_quote/notes/new/"' in html and 'href="/cpi/fast_quote/profile/"' in html
    assert f'href="/hypotheses/{data["hypothesis"].pk}/"' in html
    assert 'href="/hypotheses/new/?cause=fast_quote"' in html
    assert figure(html, "cpi-figure")["data"]


def test_a_viewer_reads_the_cpi_page_without_the_buttons_that_write(as_viewer, data):
    html = text(as_viewer.get("/cpi/fast_quote/"))
    assert "Eight customer interviews" in html
    assert "/delete/" not in html
    assert "Add customer evidence" not in html and "Edit profile" not in html
    assert "/hypotheses/new/" not in html


def test_a_kpi_and_another_organisations_cpi_have_no_cpi_page(as_viewer, outsider, data):
    assert as_viewer.get("/cpi/new_customers/").status_code == 404
    assert outsider.get("/cpi/fast_quote/").status_code == 404
    assert outsider.get("/cpi/").status_code == 200


# --- the arrows overview -----------------------------------------------------------------------


def test_the_arrows_overview_counts_colours_and_lists_every_arrow(as_viewer, data):
    hypothesis = data["hypothesis"]
    response = as_viewer.get("/hypotheses/")
    assert response.status_code == 200
    html = text(response)
    assert "<strong>1</strong> supported" in html and "<strong>0</strong> refuted" in html
    fig = figure(html, "arrows-figure")
    urls = {u for trace in fig["data"] for u in trace.get("customdata") or [] if u}
    assert f"/hypotheses/{hypothesis.pk}/" in urls
    assert "Supported</strong>: the evidence backs the arrow" in html  # the legend in words
    hypothesis.refresh_from_db()
    assert (
        f"best lag 1 · r = {hypothesis.evidence['r']:.2f} · n = {hypothesis.evidence['n']}" in html
    )
    assert "the lagged correlation" in html


def test_the_arrows_overview_filters_by_status(as_viewer, data):
    html = text(as_viewer.get("/hypotheses/?status=refuted"))
    assert "No hypothesis is refuted." in html
    assert "arrows-figure" not in html
    # an unknown status shows everything
    assert "arrows-figure" in text(as_viewer.get("/hypotheses/?status=nonsense"))


def test_without_a_hypothesis_the_overview_explains_and_offers_to_add_one(as_analyst):
    html = text(as_analyst.get("/hypotheses/"))
    assert "No hypothesis yet" in html and 'href="/hypotheses/new/"' in html


# --- a hypothesis ------------------------------------------------------------------------------


def test_the_hypothesis_page_says_which_evidence_decided_and_that_correlation_is_not_cause(
    as_viewer, data
):
    hypothesis = data["hypothesis"]
    hypothesis.refresh_from_db()
    response = as_viewer.get(f"/hypotheses/{hypothesis.pk}/")
    assert response.status_code == 200
    html = text(response)
    assert "Faster quotes bring more new customers a month later." in html
    assert "Status: supported" in html
    assert "Decided by the lagged correlation: r = -1.00 at lag 1 over 17 periods" in html
    assert "Correlation alone is not proof of cause" in html
    assert "Granger test: past values of Fast Quote help predict New customers" in html
    # levels and changes side by side in the r-by-lag chart
    assert len(figure(html, "lag-figure")["data"]) == 2


def test_a_supported_hypothesis_that_beats_the_naive_forecast_shows_its_fan(as_viewer, data):
    hypothesis = Hypothesis.objects.get(pk=data["hypothesis"].pk)
    assert hypothesis.backtest["beats_naive"]
    html = text(as_viewer.get(f"/hypotheses/{hypothesis.pk}/"))
    fig = figure(html, "series-figure")
    fan = [t for t in fig["data"] if t.get("fill") == "tonexty"]
    assert len(fan) == 1
    point = hypothesis.forecast["points"][0]
    assert fan[0]["y"][-1] == pytest.approx(point["low"])
    assert "The shaded fan is the forecast" in html
    backtest = hypothesis.backtest
    assert f"Backtest over {backtest['origins']} periods" in html


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"backtest_beats": False}, "it does not beat the simple guess “same as last period”"),
        ({"status": "inconclusive"}, "shown only for a supported hypothesis"),
        ({"lag": 0}, "the best lag is 0"),
    ],
)
def test_otherwise_the_page_says_why_the_forecast_is_hidden(as_viewer, data, change, reason):
    hypothesis = Hypothesis.objects.get(pk=data["hypothesis"].pk)
    updates = {}
    if "backtest_beats" in change:
        updates["backtest"] = {**hypothesis.backtest, "beats_naive": False}
    if "status" in change:
        updates["status"] = change["status"]
    if "lag" in change:
        updates["evidence"] = {**hypothesis.evidence, "best_lag": 0}
    Hypothesis.objects.filter(pk=hypothesis.pk).update(**updates)
    html = text(as_viewer.get(f"/hypotheses/{hypothesis.pk}/"))
    assert reason in html
    fig = figure(html, "series-figure")
    assert not [t for t in fig["data"] if t.get("fill") == "tonexty"]


def test_the_hypothesis_page_shows_its_experiments_as_a_forest_plot_and_the_deciding_one(
    as_analyst, data, organisation, api
):
    experiment = experiment_data(organisation, api, data["hypothesis"])
    html = text(as_analyst.get(f"/hypotheses/{data['hypothesis'].pk}/"))
    assert "Decided by the experiment “Fast quote on the web”" in html
    forest = figure(html, "forest-figure")
    assert forest["data"][0]["customdata"] == [f"/experiments/{experiment.pk}/"]
    assert f'href="/experiments/{experiment.pk}/"' in html
    pk = data["hypothesis"].pk
    for link in (
        f"/hypotheses/{pk}/edit/",
        f"/hypotheses/{pk}/delete/",
        f"/hypotheses/{pk}/experiments/new/",
    ):
        assert f'href="{link}"' in html


def test_a_viewer_reads_the_hypothesis_without_edit_links(as_viewer, data):
    html = text(as_viewer.get(f"/hypotheses/{data['hypothesis'].pk}/"))
    assert "/edit/" not in html and "/experiments/new/" not in html


def test_another_organisations_hypothesis_and_experiment_are_not_found(
    outsider, data, organisation, api
):
    experiment = experiment_data(organisation, api, data["hypothesis"])
    assert outsider.get(f"/hypotheses/{data['hypothesis'].pk}/").status_code == 404
    assert outsider.get(f"/experiments/{experiment.pk}/").status_code == 404
    assert outsider.get("/hypotheses/999999/").status_code == 404


def test_the_hypothesis_page_warns_when_there_is_not_enough_data(as_viewer, organisation):
    cause = IndicatorFactory(organisation=organisation, code="c", name="Cause")
    effect = IndicatorFactory(organisation=organisation, code="e", name="Effect", kind="kpi")
    hypothesis = services.create_hypothesis(
        organisation=organisation,
        data={"cause": cause, "effect": effect, "expected_sign": "positive", "max_lag": 2},
    )
    response = as_viewer.get(f"/hypotheses/{hypothesis.pk}/")
    assert response.status_code == 200
    html = text(response)
    assert "Status: proposed" in html
    assert "Not enough data: the two series need at least 3 periods in common" in html
    assert "No forecast: there is not enough data for a correlation yet." in html


# --- an experiment -----------------------------------------------------------------------------


def test_the_experiment_page_puts_effect_interval_and_p_value_in_plain_words(
    as_analyst, data, organisation, api
):
    experiment = experiment_data(organisation, api, data["hypothesis"])
    response = as_analyst.get(f"/experiments/{experiment.pk}/")
    assert response.status_code == 200
    html = text(response)
    control = [20.0 + (d % 5) - 2 for d in range(20)]
    treatment = [26.0 + (d % 5) - 2 for d in range(20)]
    ci = stats.ttest_ind(treatment, control, equal_var=False).confidence_interval(0.95)
    effect = np.mean(treatment) - np.mean(control)
    assert (
        f"fast-quote scores {effect:.1f} % higher than control on Conversion "
        f"(95 % CI {ci.low:.1f} to {ci.high:.1f})." in html
    )
    assert "p &lt; 0.001: a difference this large would turn up by chance" in html
    assert "Verdict: supported" in html and 'class="pill hs-supported"' in html
    assert "Welch&#x27;s t-test" in html
    assert "Provisional" not in html
    assert figure(html, "experiment-figure")["data"][0]["x"] == [pytest.approx(effect)]
    assert f'href="/experiments/{experiment.pk}/edit/"' in html
    assert f'href="/experiments/{experiment.pk}/delete/"' in html


def test_a_running_experiment_is_provisional_and_says_so(as_viewer, data, organisation, api):
    experiment = experiment_data(organisation, api, data["hypothesis"], ended=False)
    html = text(as_viewer.get(f"/experiments/{experiment.pk}/"))
    assert "Provisional: the experiment runs until" in html
    assert "/edit/" not in html  # a viewer


def test_an_experiment_without_enough_data_says_why(as_viewer, data, organisation, api):
    experiment = experiment_data(organisation, api, data["hypothesis"])
    result = {
        "test": "welch_t",
        "effect": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "verdict": None,
        "reason": "The control arm has 1 value(s); a t-test needs at least 2 per arm.",
        "final": True,
    }
    type(experiment).objects.filter(pk=experiment.pk).update(result=result)
    html = text(as_viewer.get(f"/experiments/{experiment.pk}/"))
    assert "Not enough data for a result." in html and "a t-test needs at least 2 per arm" in html
    assert "experiment-figure" not in html


def test_the_plan_gives_the_minimum_detectable_effect_when_there_is_one(
    as_viewer, data, organisation, api
):
    experiment = experiment_data(organisation, api, data["hypothesis"])
    plan = {
        "n_per_arm": 500,
        "power": 0.8,
        "alpha": 0.05,
        "from": "2026-01-01",
        "to": "2026-03-31",
        "basis": "share",
        "share": 20.0,
        "mde": 4.634,
        "reason": None,
    }
    type(experiment).objects.filter(pk=experiment.pk).update(plan=plan)
    html = text(as_viewer.get(f"/experiments/{experiment.pk}/"))
    assert (
        "With 500 per arm, the experiment can detect an effect of 4.6 percentage points or more"
        in html
    )


# --- every page --------------------------------------------------------------------------------


def test_every_page_costs_a_bounded_number_of_queries(
    as_viewer, data, organisation, api, django_assert_max_num_queries
):
    experiment = experiment_data(organisation, api, data["hypothesis"])
    for n in range(5):  # more CPIs and arrows cost no more queries
        cause = IndicatorFactory(organisation=organisation, code=f"cpi_{n}", name=f"CPI {n}")
        services.create_hypothesis(
            organisation=organisation,
            data={"cause": cause, "effect": data["new_customers"], "expected_sign": "positive"},
        )
    pages = [
        "/cpi/",
        "/cpi/fast_quote/",
        "/hypotheses/",
        f"/hypotheses/{data['hypothesis'].pk}/",
        f"/experiments/{experiment.pk}/",
    ]
    for url in pages:
        with django_assert_max_num_queries(14):
            assert as_viewer.get(url).status_code == 200


def test_the_main_navigation_leads_to_the_evidence(as_viewer, data):
    html = text(as_viewer.get("/hypotheses/"))
    assert '<a href="/hypotheses/" aria-current="page">Evidence</a>' in html
