"""The Django admin lists surveys with their questions inline and shows responses read-only:
responses arrive through the responses service, never typed in the admin."""

import pytest
from django.urls import reverse

from tests.surveys.survey_data import make_responses, make_survey, rows_of

pytestmark = pytest.mark.django_db


def test_a_survey_shows_its_questions_inline_read_only(admin_client, organisation):
    # Questions change through update_survey (the API), which keeps their scales and feeds.
    survey = make_survey(organisation, code="rel")
    url = reverse("admin:surveys_survey_change", args=[survey.pk])
    html = admin_client.get(url).content.decode()
    for code in ("nps", "csat", "ces", "team", "why"):
        assert f"<p>{code}</p>" in html
    assert 'name="questions-0-type"' not in html and 'name="questions-TOTAL_FORMS"' in html
    assert 'name="name"' in html and 'name="min_n"' in html  # the settings stay editable


def test_responses_are_listed_filtered_by_survey_and_read_only(admin_client, organisation):
    first = make_survey(organisation, code="rel")
    other = make_survey(organisation, code="pulse")
    made = make_responses(first, rows_of("nps", [9, 3], attributes={"channel": "web"}))
    make_responses(other, [{"answers": {"nps": 1}, "respondent": "elsewhere"}])
    url = reverse("admin:surveys_response_changelist")
    listed = admin_client.get(url, {"survey__id__exact": first.pk})
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 2
    assert admin_client.get(reverse("admin:surveys_response_add")).status_code == 403
    change = reverse("admin:surveys_response_change", args=[made[0].pk])
    page = admin_client.get(change)
    assert page.status_code == 200 and b'name="respondent"' not in page.content
    admin_client.post(change, {"respondent": "renamed"})
    made[0].refresh_from_db()
    assert made[0].respondent == "r0"
