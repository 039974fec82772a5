"""The hypothesis forms: indicator choices grouped by kind from the analyst's organisation, the
evidence computed when saved, the services' refusals on the field they name."""

from datetime import date

import pytest
from django.urls import reverse

from cpi.models import Experiment, Hypothesis
from cpi.services import create_experiment, create_hypothesis
from tests.cpi.cpi_edit_data import series
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def indicators(organisation):
    return series(organisation)


def hypothesis_post(**fields) -> dict:
    data = {
        "cause": "fast_quote",
        "effect": "new_customers",
        "expected_sign": "negative",
        "max_lag": "3",
        "period": "month",
        "statement": "Faster quotes win more new customers a month later.",
    }
    return data | fields


@pytest.fixture
def hypothesis(organisation, indicators, analyst):
    data = {"cause": indicators["fast_quote"], "effect": indicators["new_customers"],
            "expected_sign": "negative", "max_lag": 3}  # fmt: skip
    return create_hypothesis(organisation=organisation, data=data, created_by=analyst)


def test_creating_a_hypothesis_stores_it_computes_its_evidence_and_opens_its_page(
    anna, analyst, indicators
):
    response = anna.post(reverse("hypothesis-create"), hypothesis_post())
    assert response.status_code == 302
    hypothesis = Hypothesis.objects.get()
    assert response["Location"] == reverse("hypothesis-detail", args=[hypothesis.pk])
    assert (hypothesis.cause, hypothesis.effect) == (
        indicators["fast_quote"],
        indicators["new_customers"],
    )
    assert (hypothesis.expected_sign, hypothesis.max_lag, hypothesis.period) == (
        "negative",
        3,
        "month",
    )
    assert hypothesis.statement == "Faster quotes win more new customers a month later."
    assert hypothesis.created_by == analyst
    # The evidence was computed at once: new customers follow the Fast Quote a month later.
    assert hypothesis.computed_at is not None
    assert [lag["lag"] for lag in hypothesis.evidence["lags"]] == [0, 1, 2, 3]
    assert hypothesis.evidence["best_lag"] == 1 and hypothesis.evidence["r"] < -0.9
    assert (hypothesis.status, hypothesis.status_source) == ("supported", "correlation")


def test_the_form_offers_cpis_first_as_causes_and_kpis_first_as_effects(anna, indicators):
    form = anna.get(reverse("hypothesis-create")).context["form"]
    cause_groups = [label for label, _options in form.fields["cause"].choices[1:]]
    effect_groups = [label for label, _options in form.fields["effect"].choices[1:]]
    assert [str(g)[:4] for g in cause_groups] == ["CPIs", "KPIs"]
    assert [str(g)[:4] for g in effect_groups] == ["KPIs", "CPIs"]
    assert form.initial.get("period", form.fields["period"].initial) == "month"


def test_the_cause_is_preselected_from_the_query(anna, indicators):
    page = anna.get(reverse("hypothesis-create"), {"cause": "fast_quote"}).content.decode()
    assert '<option value="fast_quote" selected>' in page


def test_the_sign_is_explained_in_plain_words(anna, indicators):
    page = anna.get(reverse("hypothesis-create")).content.decode()
    assert "when the cause rises, the effect rises" in page
    assert "when the cause rises, the effect falls" in page


def test_cause_equal_to_effect_is_an_error_on_the_effect(anna, indicators):
    response = anna.post(reverse("hypothesis-create"), hypothesis_post(effect="fast_quote"))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["effect"]
    assert "another indicator than the cause" in response.content.decode()
    assert not Hypothesis.objects.exists()


@pytest.mark.parametrize("lag", ["25", "-1"])
def test_a_max_lag_outside_0_to_24_is_an_error_on_the_max_lag(anna, indicators, lag):
    response = anna.post(reverse("hypothesis-create"), hypothesis_post(max_lag=lag))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["max_lag"]
    assert "from 0 to 24" in response.content.decode()
    assert not Hypothesis.objects.exists()


def test_the_same_arrow_twice_is_an_error_on_the_effect(anna, hypothesis):
    response = anna.post(reverse("hypothesis-create"), hypothesis_post())
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["effect"]
    assert Hypothesis.objects.count() == 1


def test_another_organisations_indicator_is_not_a_choice(anna, indicators, other_organisation):
    IndicatorFactory(organisation=other_organisation, code="their_kpi", kind="kpi")
    page = anna.get(reverse("hypothesis-create")).content.decode()
    assert "their_kpi" not in page
    response = anna.post(reverse("hypothesis-create"), hypothesis_post(effect="their_kpi"))
    assert response.status_code == 400 and list(response.context["form"].errors) == ["effect"]


def test_editing_recomputes_the_evidence_on_the_new_definition(anna, hypothesis):
    url = reverse("hypothesis-edit", args=[hypothesis.pk])
    page = anna.get(url).content.decode()
    assert '<option value="fast_quote" selected>' in page
    response = anna.post(url, hypothesis_post(max_lag="6", statement="Sooner is better."))
    assert response.status_code == 302
    assert response["Location"] == reverse("hypothesis-detail", args=[hypothesis.pk])
    hypothesis.refresh_from_db()
    assert hypothesis.max_lag == 6 and hypothesis.statement == "Sooner is better."
    assert len(hypothesis.evidence["lags"]) == 7


def test_a_refused_edit_changes_nothing(anna, hypothesis):
    response = anna.post(
        reverse("hypothesis-edit", args=[hypothesis.pk]), hypothesis_post(max_lag="25")
    )
    assert response.status_code == 400
    hypothesis.refresh_from_db()
    assert hypothesis.max_lag == 3


def test_deleting_says_what_goes_with_it_and_deletes_its_experiments(
    anna, organisation, indicators, hypothesis
):
    conversion = indicators["conversion"]
    create_experiment(
        organisation=organisation,
        data={"hypothesis": hypothesis, "name": "Instant quote", "indicator": conversion,
              "arm_dimension": "arm", "control": "control", "treatment": "fast-quote",
              "start": date(2026, 3, 1), "end": date(2026, 3, 31)},
    )  # fmt: skip
    url = reverse("hypothesis-delete", args=[hypothesis.pk])
    page = anna.get(url).content.decode()
    assert "Instant quote" in page and "deleted with it" in page
    assert "will cite nothing" in page or "No arrow of the results chain cites it" in page
    response = anna.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("arrows")
    assert not Hypothesis.objects.exists() and not Experiment.objects.exists()


def test_viewers_get_403_on_every_hypothesis_form(client, viewer, hypothesis):
    client.force_login(viewer)
    assert client.get(reverse("hypothesis-create")).status_code == 403
    assert client.post(reverse("hypothesis-create"), hypothesis_post()).status_code == 403
    for name in ("hypothesis-edit", "hypothesis-delete"):
        assert client.get(reverse(name, args=[hypothesis.pk])).status_code == 403
        assert client.post(reverse(name, args=[hypothesis.pk])).status_code == 403
    assert Hypothesis.objects.filter(pk=hypothesis.pk).exists()


def test_another_organisations_hypothesis_is_not_found(client, other_organisation, hypothesis):
    from accounts.models import Role
    from accounts.services import create_user

    rival = create_user(organisation=other_organisation, username="rita", role=Role.ANALYST)
    client.force_login(rival)
    for name in ("hypothesis-edit", "hypothesis-delete", "experiment-create"):
        assert client.get(reverse(name, args=[hypothesis.pk])).status_code == 404
        assert client.post(reverse(name, args=[hypothesis.pk])).status_code == 404
    assert Hypothesis.objects.filter(pk=hypothesis.pk).exists()


def test_the_signs_are_put_in_words_of_the_chosen_cause_with_htmx(anna, indicators):
    response = anna.get(
        reverse("hypothesis-create"),
        {"cause": "fast_quote", "effect": "new_customers"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "negative — when Fast Quote improves (falls), New customers rises" in page
    assert "positive — when Fast Quote improves (falls), New customers falls" in page
