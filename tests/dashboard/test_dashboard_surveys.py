"""The dashboard's surveys panel: each survey's headline score with its interval or "too few
answers", a hint for analysts when there is none, and a fixed, small number of queries."""

import pytest
from django.urls import reverse

from indicators.selectors import today_of
from tests.factories import IndicatorFactory
from tests.surveys.survey_data import make_responses, make_survey, rows_of

pytestmark = pytest.mark.django_db

NPS_ONLY = [{"code": "nps", "type": "nps", "text": "Would you recommend us?"}]


def home(client, user):
    client.force_login(user)
    return client.get(reverse("home"))


def test_the_panel_shows_each_surveys_headline_with_its_interval(client, viewer, organisation):
    IndicatorFactory(organisation=organisation, code="nps_kpi")
    today = today_of(organisation)
    survey = make_survey(organisation, code="rel", questions=NPS_ONLY, name="Relationship")
    make_responses(survey, rows_of("nps", [10] * 30 + [0] * 10, local_date=today))
    few = make_survey(organisation, code="pulse", questions=NPS_ONLY, name="Pulse")
    make_responses(few, rows_of("nps", [10] * 3, local_date=today))
    response = home(client, viewer)
    panel = response.context["surveys"]
    assert panel["total"] == 2
    html = response.content.decode()
    assert 'id="survey-panel-title"' in html
    # 30 promoters, 10 detractors of 40: NPS 50, MoE 1.96*100*sqrt((1 - 0.25)/40) = 26.8.
    assert "NPS 50 ± 27" in html
    assert 'class="survey-score too-few"' in html
    assert reverse("survey-results", args=["rel"]) in html


def test_without_surveys_a_viewer_sees_no_panel_and_an_analyst_a_hint(
    client, viewer, analyst, organisation
):
    IndicatorFactory(organisation=organisation, code="nps_kpi")
    assert 'id="survey-panel-title"' not in home(client, viewer).content.decode()
    html = home(client, analyst).content.decode()
    assert 'id="survey-panel-title"' in html and reverse("survey-list") in html


def test_the_panel_shows_at_most_four_surveys(client, viewer, organisation):
    for n in range(6):
        make_survey(organisation, code=f"s{n}", questions=NPS_ONLY)
    panel = home(client, viewer).context["surveys"]
    assert panel["total"] == 6 and len(panel["rows"]) == 4 and panel["more"]


def test_surveys_cost_no_query_when_there_are_none_and_three_when_there_are(
    client, viewer, organisation, django_assert_max_num_queries
):
    IndicatorFactory(organisation=organisation, code="nps_kpi")
    client.force_login(viewer)
    with django_assert_max_num_queries(20) as without:
        client.get(reverse("home"))
    for n in range(5):
        survey = make_survey(organisation, code=f"s{n}", questions=NPS_ONLY)
        make_responses(survey, rows_of("nps", [n, 10] * 40, local_date=today_of(organisation)))
    with django_assert_max_num_queries(23) as with_surveys:
        client.get(reverse("home"))
    assert len(with_surveys.captured_queries) == len(without.captured_queries) + 3
