"""A manager reads a survey in Chromium: the list, the NPS with its margin of error, the charts
drawn, and the cut by customer contact with each group's difference in words."""

import math

import pytest

from accounts.models import Role
from accounts.services import create_user
from tests.surveys.survey_data import make_responses, make_survey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "s3cret-pass!"
NPS_ONLY = [{"code": "nps", "type": "nps", "text": "Would you recommend us?"}]
# With contact: 30 promoters, 10 passives, 10 detractors; without: 10 / 10 / 30.
WITH_CONTACT = [10] * 30 + [8] * 10 + [3] * 10
WITHOUT = [9] * 10 + [7] * 10 + [0] * 30


def sign_in(page, live_server, organisation):
    create_user(organisation=organisation, username="mia", role=Role.VIEWER, password=PASSWORD)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "mia")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")


def rows():
    for group, answers in (("yes", WITH_CONTACT), ("no", WITHOUT)):
        for n, answer in enumerate(answers):
            yield {
                "answers": {"nps": answer},
                "attributes": {"customer_contact": group},
                "respondent": f"{group}-{n}",
            }


def drawn_traces(page) -> int:
    return page.evaluate(
        "() => [...document.querySelectorAll('.survey-plot')]"
        ".reduce((n, gd) => n + ((gd.data || []).length), 0)"
    )


def test_a_manager_reads_the_nps_and_cuts_it_by_customer_contact(
    page, live_server, organisation, screenshot
):
    survey = make_survey(organisation, code="rel", questions=NPS_ONLY, name="Relationship")
    make_responses(survey, list(rows()))
    sign_in(page, live_server, organisation)

    page.goto(f"{live_server.url}/surveys/")
    page.click("text=Relationship")
    # 40 promoters, 20 passives, 40 detractors of 100: NPS 0, MoE 1.96 * 100 * sqrt(0.8 / 100).
    moe = 1.96 * 100 * math.sqrt(0.8 / 100)
    assert round(moe) == 18
    page.wait_for_selector(".survey-plot .main-svg")
    assert "NPS 0 ± 18" in page.inner_text(".survey-headline")
    assert drawn_traces(page) > 0

    page.select_option("select[name=by]", "customer_contact")
    page.click("button:has-text('Show')")
    page.wait_for_url("**by=customer_contact**")
    page.wait_for_selector(".survey-plot .main-svg")
    # Each group has 50 answers, so the reference is the first, "no" (NPS -40); "yes" has 40:
    # 80 points higher, 80 +/- 1.96 * sqrt(2 * 100^2 * (0.8 - 0.16) / 50) = 49 to 111.
    half = 100 * math.sqrt((0.8 - 0.16) / 50)
    assert (round(80 - 1.96 * math.sqrt(2) * half), round(80 + 1.96 * math.sqrt(2) * half)) == (
        49,
        111,
    )
    words = page.inner_text(".survey-segments")
    assert "NPS -40 ± 22" in words and "NPS 40 ± 22" in words
    assert "80 points higher than no (95 % interval 49 to 111)" in words
    screenshot(page, "surveys-results-by-contact")
    assert drawn_traces(page) > 0
