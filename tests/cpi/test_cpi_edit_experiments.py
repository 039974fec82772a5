"""The experiment forms and the planning partial: arms offered from the indicator's segments,
the result computed when saved, the services' refusals on the field they name, and the minimum
detectable effect equal to statsmodels' power solvers called directly."""

import math
import statistics
from datetime import date, timedelta

import pytest
from django.urls import reverse
from statsmodels.stats.power import NormalIndPower, TTestIndPower

from accounts.models import Role
from accounts.services import create_user
from cpi.models import Experiment
from cpi.services import create_experiment, create_hypothesis
from tests.cpi.cpi_edit_data import MONTHS, QUOTE_SECONDS, series

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def indicators(organisation):
    return series(organisation)


@pytest.fixture
def hypothesis(organisation, indicators):
    """Faster quotes (lower seconds) raise the quote conversion: sign negative."""
    data = {"cause": indicators["fast_quote"], "effect": indicators["conversion"],
            "expected_sign": "negative", "max_lag": 1}  # fmt: skip
    return create_hypothesis(organisation=organisation, data=data)


def experiment_post(**fields) -> dict:
    data = {
        "name": "Instant quote for half of the visitors",
        "indicator": "conversion",
        "arm_dimension": "arm",
        "control": "control",
        "treatment": "fast-quote",
        "start": "2026-03-01",
        "end": "2026-03-31",
        "expected_effect": "",
        "planned_n_per_arm": "",
    }
    return data | fields


@pytest.fixture
def experiment(organisation, hypothesis, indicators):
    data = {"hypothesis": hypothesis, "name": "Spring test", "indicator": indicators["conversion"],
            "arm_dimension": "arm", "control": "control", "treatment": "fast-quote",
            "start": date(2026, 3, 1), "end": date(2026, 3, 31)}  # fmt: skip
    return create_experiment(organisation=organisation, data=data)


def create_url(hypothesis) -> str:
    return reverse("experiment-create", args=[hypothesis.pk])


def test_registering_an_experiment_computes_its_result_and_opens_its_page(
    anna, analyst, hypothesis, indicators
):
    response = anna.post(create_url(hypothesis), experiment_post(planned_n_per_arm="400"))
    assert response.status_code == 302
    experiment = Experiment.objects.get()
    assert response["Location"] == reverse("experiment-detail", args=[experiment.pk])
    assert (experiment.hypothesis, experiment.indicator) == (hypothesis, indicators["conversion"])
    assert (experiment.arm_dimension, experiment.control, experiment.treatment) == (
        "arm", "control", "fast-quote",
    )  # fmt: skip
    assert (experiment.start, experiment.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert experiment.expected_effect == "" and experiment.planned_n_per_arm == 400
    assert experiment.created_by == analyst
    # 104/400 against 80/400: 6 percentage points, by the two-proportion z-test.
    result = experiment.result
    assert result["test"] == "two_proportion_z"
    assert result["effect"] == pytest.approx(6.0)
    assert result["expected_effect"] == "positive"
    assert experiment.plan["n_per_arm"] == 400 and experiment.plan["basis"] == "share"


def test_the_form_defaults_to_the_hypothesiss_effect_and_offers_its_arms(anna, hypothesis):
    response = anna.get(create_url(hypothesis))
    page = response.content.decode()
    assert '<option value="conversion" selected>' in page
    assert '<datalist id="arm-dimensions"><option value="arm"></datalist>' in page
    assert response.context["form"].dimensions() == ["arm"]
    # The expected effect left empty says what it derives to: a faster (lower) quote, sign
    # negative, so the conversion should rise.
    assert "derived from the hypothesis: positive" in page


def test_with_htmx_the_arm_choices_follow_the_indicator_and_dimension(anna, hypothesis):
    response = anna.get(
        create_url(hypothesis),
        {"indicator": "conversion", "arm_dimension": "arm"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert '<option value="control"><option value="fast-quote">' in page
    assert "Members of “arm” in Quote conversion: control, fast-quote." in page
    plain = anna.get(create_url(hypothesis), {"indicator": "fast_quote"}, HTTP_HX_REQUEST="true")
    assert "has no segmented values yet" in plain.content.decode()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"control": "nobody"}, "control", "is not a member of arm"),
        ({"treatment": "slow-quote"}, "treatment", "is not a member of arm"),
        ({"arm_dimension": "region"}, "arm_dimension", "no values segmented by"),
        ({"treatment": "control"}, "treatment", "must differ from the control arm"),
        ({"end": "2026-02-28"}, "end", "The end is before the start"),
    ],
)
def test_bad_arms_and_dates_are_errors_on_their_field(anna, hypothesis, fields, field, words):
    response = anna.post(create_url(hypothesis), experiment_post(**fields))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert words in " ".join(response.context["form"].errors[field])
    assert not Experiment.objects.exists()


def test_a_blank_name_and_missing_dates_are_errors_on_their_fields(anna, hypothesis):
    response = anna.post(create_url(hypothesis), experiment_post(name=" ", start="", end=""))
    assert response.status_code == 400
    assert {"name", "start", "end"} <= set(response.context["form"].errors)


def test_editing_recomputes_the_result_and_a_refused_edit_changes_nothing(anna, experiment):
    url = reverse("experiment-edit", args=[experiment.pk])
    assert 'value="Spring test"' in anna.get(url).content.decode()
    response = anna.post(url, experiment_post(name="Spring test", end="2026-03-02"))
    assert response.status_code == 302
    assert response["Location"] == reverse("experiment-detail", args=[experiment.pk])
    experiment.refresh_from_db()
    assert experiment.end == date(2026, 3, 2)
    refused = anna.post(url, experiment_post(name="Spring test", control="fast-quote"))
    assert refused.status_code == 400
    experiment.refresh_from_db()
    assert experiment.control == "control"


def test_deleting_asks_then_goes_back_to_the_hypothesis(anna, experiment, hypothesis):
    url = reverse("experiment-delete", args=[experiment.pk])
    assert "Spring test" in anna.get(url).content.decode()
    response = anna.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("hypothesis-detail", args=[hypothesis.pk])
    assert not Experiment.objects.exists()


def test_viewers_get_403_on_every_experiment_form(client, viewer, hypothesis, experiment):
    client.force_login(viewer)
    assert client.get(create_url(hypothesis)).status_code == 403
    assert client.post(create_url(hypothesis), experiment_post()).status_code == 403
    for name in ("experiment-edit", "experiment-delete"):
        assert client.get(reverse(name, args=[experiment.pk])).status_code == 403
        assert client.post(reverse(name, args=[experiment.pk])).status_code == 403
    plan = {"indicator": "conversion", "n_per_arm": 400, "before": "2026-04-01"}
    assert client.get(reverse("experiment-plan"), plan).status_code == 403
    assert Experiment.objects.filter(pk=experiment.pk).exists()


def test_another_organisations_experiment_and_indicator_are_not_found(
    client, other_organisation, experiment
):
    client.force_login(
        create_user(organisation=other_organisation, username="rita", role=Role.ANALYST)
    )
    for name in ("experiment-edit", "experiment-delete"):
        assert client.get(reverse(name, args=[experiment.pk])).status_code == 404
        assert client.post(reverse(name, args=[experiment.pk])).status_code == 404
    plan = {"indicator": "conversion", "n_per_arm": 400, "before": "2026-04-01"}
    assert client.get(reverse("experiment-plan"), plan).status_code == 404
    assert Experiment.objects.filter(pk=experiment.pk).exists()


# -- the planning partial -------------------------------------------------------------------------


def test_the_plan_of_a_ratio_is_statsmodels_cohens_h_turned_into_percentage_points(
    anna, indicators
):
    response = anna.get(
        reverse("experiment-plan"),
        {"indicator": "conversion", "n_per_arm": "400", "before": "2026-04-01"},
    )
    assert response.status_code == 200
    share = (80 + 104) / (400 + 400)  # every arm's measurements of the 90 days before
    h = NormalIndPower().solve_power(effect_size=None, nobs1=400, alpha=0.05, power=0.8, ratio=1.0)
    mde = 100 * (math.sin((2 * math.asin(math.sqrt(share)) + h) / 2) ** 2 - share)
    page = response.content.decode()
    assert "<html" not in page
    assert (
        f"With 400 per arm you can detect a difference of {mde:.1f} percentage points or more"
        in page
    )
    assert "(80 % power, 5 % significance)" in page
    assert f"the share of {100 * share:.1f} %" in page


def test_the_plan_of_a_mean_is_statsmodels_cohens_d_times_the_spread(anna, indicators):
    response = anna.get(
        reverse("experiment-plan"),
        {"indicator": "fast_quote", "n_per_arm": "50", "before": "2026-01-01"},
    )
    # The 90 days before 1 January 2026 hold the values of November and December 2025.
    window = [v for m, v in zip(MONTHS, QUOTE_SECONDS, strict=True) if m >= date(2025, 10, 3)]
    sd = statistics.stdev(window)
    d = TTestIndPower().solve_power(effect_size=None, nobs1=50, alpha=0.05, power=0.8, ratio=1.0)
    page = response.content.decode()
    assert f"you can detect a difference of {d * sd:.2f} s or more" in page
    assert f"standard deviation {sd:.2f} s" in page


def test_the_plan_accepts_the_experiment_forms_own_field_names(anna, indicators):
    response = anna.get(
        reverse("experiment-plan"),
        {"indicator": "conversion", "planned_n_per_arm": "400", "start": "2026-04-01"},
    )
    assert "percentage points or more" in response.content.decode()


def test_without_n_or_history_the_plan_says_what_it_needs(anna, indicators):
    asks = anna.get(reverse("experiment-plan"), {"indicator": "conversion", "before": "2026-04-01"})
    assert asks.status_code == 200 and "Enter the planned n per arm" in asks.content.decode()
    empty = anna.get(
        reverse("experiment-plan"),
        {"indicator": "conversion", "n_per_arm": "400", "before": "2020-01-01"},
    )
    assert "Not enough measurements" in empty.content.decode()


def test_the_only_or_arm_dimension_is_proposed(anna, hypothesis):
    form = anna.get(create_url(hypothesis)).context["form"]
    assert form["arm_dimension"].value() == "arm"


def test_without_a_start_the_plan_uses_the_days_before_today(anna, organisation, indicators):
    from indicators.selectors import today_of

    response = anna.get(reverse("experiment-plan"), {"indicator": "conversion", "n_per_arm": "400"})
    plan = response.context["plan"]
    assert plan["to"] == (today_of(organisation) - timedelta(days=1)).isoformat()


@pytest.mark.parametrize("n", ["1", "99999999999", "many"])
def test_a_planned_n_out_of_range_is_an_error_on_it(anna, hypothesis, n):
    response = anna.post(create_url(hypothesis), experiment_post(planned_n_per_arm=n))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["planned_n_per_arm"]
