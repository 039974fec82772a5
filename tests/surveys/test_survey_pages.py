"""The survey pages a manager reads: the list with headline scores, the results with their
intervals and differences in words, the response browser; "too few answers" instead of a number
below the minimum n; another organisation's survey is a 404."""

import json
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from indicators.selectors import today_of
from surveys import compute
from tests.surveys.survey_data import make_responses, make_survey, rows_of

pytestmark = pytest.mark.django_db

TOO_FEW = 'class="survey-score too-few"'  # where a score would be, the words instead
NPS_ONLY = [{"code": "nps", "type": "nps", "text": "Would you recommend us?"}]


def figure(html: str, figure_id: str) -> dict:
    found = re.search(
        rf'<script type="application/json" id="{figure_id}">(.*?)</script>', html, re.S
    )
    assert found, figure_id
    return json.loads(found.group(1))


def page(client, user, name, *args, **query):
    client.force_login(user)
    return client.get(reverse(name, args=args), query)


def nps_survey(organisation, *, web=(10,) * 30 + (3,) * 10, shop=(9,) * 10 + (5,) * 30, **extra):
    survey = make_survey(organisation, code="rel", questions=NPS_ONLY, name="Relationship")
    make_responses(
        survey,
        [
            *rows_of("nps", web, attributes={"channel": "web"}, **extra),
            *rows_of("nps", shop, attributes={"channel": "shop"}, **extra),
        ],
    )
    return survey


def test_results_say_the_nps_with_its_margin_of_error(client, viewer, organisation):
    nps_survey(organisation)
    html = page(client, viewer, "survey-results", "rel").content.decode()
    expected = compute.score(
        "nps", (0, 10), {10: 30, 3: 10, 9: 10, 5: 30}, 30
    )  # 40 promoters, 40 detractors of 80: NPS 0
    assert expected.score == pytest.approx(0.0)
    assert f"NPS 0 ± {round(expected.moe95)}" in html
    bars = figure(html, "dist-nps")
    promoters = next(t for t in bars["data"] if t["name"] == "Promoters (9-10)")
    assert promoters["x"] == pytest.approx([50.0])


def test_cut_by_an_attribute_says_each_difference_to_the_reference(client, viewer, organisation):
    nps_survey(organisation)
    html = page(client, viewer, "survey-results", "rel", by="channel").content.decode()
    # web: 30 promoters, 10 detractors of 40 -> NPS 50; shop: 10 of 40 promoters, 30 detractors
    # -> NPS -50. Equal sizes: the reference is the first in order, shop.
    difference = compute.difference("nps", (0, 10), {10: 30, 3: 10}, {9: 10, 5: 30})
    assert difference.estimate == pytest.approx(100.0) and difference.distinguishable
    text = (
        f"100 points higher than shop (95 % interval {round(difference.ci_low)} to "
        f"{round(difference.ci_high)}): a real difference"
    )
    assert text in html
    points = figure(html, "cmp-nps")["data"][0]
    assert points["x"] == pytest.approx([-50.0, 50.0])


def test_a_difference_within_noise_says_so(client, viewer, organisation):
    nps_survey(organisation, web=(10,) * 20 + (3,) * 20, shop=(10,) * 19 + (3,) * 21)
    html = page(client, viewer, "survey-results", "rel", by="channel").content.decode()
    assert "cannot be told apart from noise" in html
    assert "a real difference" not in html


def test_too_few_answers_shows_the_words_not_the_number(client, viewer, organisation):
    survey = make_survey(organisation, code="rel", questions=NPS_ONLY)
    make_responses(survey, rows_of("nps", [10] * 20 + [0] * 9))  # 29 answers, NPS 38
    html = page(client, viewer, "survey-results", "rel").content.decode()
    assert TOO_FEW in html and "29 of the 30 answers needed" in html
    assert "NPS 38" not in html and "NPS 37" not in html
    make_responses(survey, [{"answers": {"nps": 10}, "respondent": "the-30th"}])
    html = page(client, viewer, "survey-results", "rel").content.decode()
    assert TOO_FEW not in html
    assert "NPS 40 ±" in html  # 21 promoters, 9 detractors of 30


def test_a_segment_with_too_few_answers_is_not_compared(client, viewer, organisation):
    nps_survey(organisation, web=(10,) * 40, shop=(0,) * 5)
    html = page(client, viewer, "survey-results", "rel", by="channel").content.decode()
    assert "too few answers to compare with web" in html


def test_csat_and_ces_scores_come_with_their_intervals(client, viewer, organisation):
    survey = make_survey(
        organisation,
        code="care",
        questions=[
            {"code": "csat", "type": "csat", "text": "Satisfied?", "scale": (1, 5)},
            {"code": "ces", "type": "ces", "text": "Easy?", "scale": (1, 7)},
        ],
    )
    answers = [{"answers": {"csat": 5 if i % 4 else 2, "ces": 3 + i % 3}} for i in range(40)]
    make_responses(survey, answers)
    html = page(client, viewer, "survey-results", "care").content.decode()
    csat = compute.score("csat", (1, 5), {5: 30, 2: 10}, 30)
    ces = compute.score("ces", (1, 7), {3: 14, 4: 13, 5: 13}, 30)
    assert f"CSAT 75 % ({round(csat.ci_low)}–{round(csat.ci_high)} %)" in html
    assert f"CES {ces.score:.1f} ({ces.ci_low:.1f}–{ces.ci_high:.1f})" in html
    bars = figure(html, "dist-csat")["data"]
    shares = {b["name"]: 0.0 for b in bars}
    for bar in bars:
        shares[bar["name"]] += abs(bar["x"][0])
    assert shares["5"] == pytest.approx(75.0) and shares["2"] == pytest.approx(25.0)


def test_the_period_filter_and_the_comparison_of_two_periods(client, viewer, organisation):
    survey = make_survey(organisation, code="rel", questions=NPS_ONLY)
    january, march = date(2026, 1, 15), date(2026, 3, 15)
    make_responses(
        survey,
        [
            *rows_of("nps", [0] * 40, local_date=january),
            *[
                {"answers": {"nps": 10}, "local_date": march, "respondent": f"m{i}"}
                for i in range(40)
            ],
        ],
    )
    query = {"from": "2026-03-01", "to": "2026-03-31"}
    html = page(client, viewer, "survey-results", "rel", **query).content.decode()
    assert "NPS 100 ± 0" in html
    query |= {"compare_from": "2026-01-01", "compare_to": "2026-01-31"}
    html = page(client, viewer, "survey-results", "rel", **query).content.decode()
    assert "NPS -100 ± 0" in html or "NPS −100 ± 0" in html
    assert "200 points higher than the period compared with" in html


def test_filters_that_make_no_sense_answer_400_naming_the_field(client, viewer, organisation):
    nps_survey(organisation)
    response = page(
        client, viewer, "survey-results", "rel", **{"from": "2026-05-01", "to": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "The end date comes before the start date." in response.content.decode()


def test_free_text_answers_are_listed_and_linked_to_the_browser(client, viewer, organisation):
    survey = make_survey(
        organisation,
        code="rel",
        questions=[*NPS_ONLY, {"code": "why", "type": "text", "text": "Why?"}],
    )
    make_responses(
        survey, [{"answers": {"nps": 9, "why": "Quick answer on the phone."}, "respondent": "c-1"}]
    )
    html = page(client, viewer, "survey-results", "rel").content.decode()
    assert "Quick answer on the phone." in html
    assert reverse("survey-responses", args=["rel"]) + "?respondent=c-1" in html


def test_the_list_shows_each_survey_with_its_headline_of_the_90_days_to_its_last_response(
    client, viewer, organisation
):
    # A survey that ran in a round 200 days ago is still summed up by that round: its window is
    # the 90 days up to its own last response (day -200 back to day -289), not up to today.
    today = today_of(organisation)
    last = today - timedelta(days=200)
    survey = make_survey(organisation, code="rel", questions=NPS_ONLY, name="Relationship")
    make_responses(
        survey,
        [
            *rows_of("nps", [10] * 30, local_date=last),
            *[
                {
                    "answers": {"nps": 0},
                    "local_date": last - timedelta(days=90),
                    "respondent": f"o{i}",
                }
                for i in range(30)
            ],
        ],
    )
    small = make_survey(organisation, code="pulse", questions=NPS_ONLY, name="Pulse")
    make_responses(small, rows_of("nps", [9] * 5, local_date=today))
    html = page(client, viewer, "survey-list").content.decode()
    assert "Relationship" in html and "Pulse" in html
    assert "NPS 100 ± 0" in html  # the older 30 detractors fall outside its 90 days
    assert TOO_FEW in html
    assert ">60<" in html  # the response count counts every response


def test_the_empty_list_tells_an_analyst_how_to_start(client, analyst, viewer, organisation):
    html = page(client, analyst, "survey-list").content.decode()
    assert "/api/v1/surveys/" in html
    assert reverse("survey-create-engagement") in html
    html = page(client, viewer, "survey-list").content.decode()
    assert reverse("survey-create-engagement") not in html


def test_a_viewer_may_not_create_the_engagement_survey(client, viewer, organisation):
    client.force_login(viewer)
    assert client.post(reverse("survey-create-engagement")).status_code == 403


def test_the_response_browser_filters_by_date_attribute_and_respondent(
    client, viewer, organisation
):
    survey = make_survey(organisation, code="rel", questions=NPS_ONLY)
    make_responses(
        survey,
        [
            {"answers": {"nps": 9}, "attributes": {"channel": "web"}, "respondent": "alice"},
            {"answers": {"nps": 3}, "attributes": {"channel": "shop"}, "respondent": "bob"},
            {
                "answers": {"nps": None},
                "attributes": {"channel": "web"},
                "respondent": "carol",
                "local_date": date(2026, 1, 5),
            },
        ],
    )

    def shown(**query):
        html = page(client, viewer, "survey-responses", "rel", **query).content.decode()
        return {name for name in ("alice", "bob", "carol") if f"<td>{name}</td>" in html}

    assert shown() == {"alice", "bob", "carol"}
    assert shown(attribute="channel", value="web") == {"alice", "carol"}
    assert shown(respondent="BO") == {"bob"}
    assert shown(**{"from": "2026-03-01"}) == {"alice", "bob"}
    assert shown(attribute="channel", value="none") == set()


def test_the_response_browser_pages_by_25(client, viewer, organisation):
    survey = make_survey(organisation, code="rel", questions=NPS_ONLY)
    make_responses(survey, rows_of("nps", [7] * 30))
    first = page(client, viewer, "survey-responses", "rel")
    assert first.context["responses"].paginator.num_pages == 2
    assert len(first.context["responses"]) == 25
    second = page(client, viewer, "survey-responses", "rel", page=2)
    assert len(second.context["responses"]) == 5


def test_an_empty_survey_says_how_responses_arrive(client, viewer, organisation):
    make_survey(organisation, code="rel", questions=NPS_ONLY)
    html = page(client, viewer, "survey-responses", "rel").content.decode()
    assert "/api/v1/surveys/rel/responses/" in html
    assert "no answers yet" in page(client, viewer, "survey-results", "rel").content.decode()


@pytest.mark.parametrize("name", ["survey-results", "survey-responses"])
def test_another_organisations_survey_is_a_404(client, viewer, other_organisation, name):
    survey = make_survey(other_organisation, code="theirs", questions=NPS_ONLY)
    make_responses(survey, rows_of("nps", [10] * 40))
    assert page(client, viewer, name, "theirs").status_code == 404
    html = page(client, viewer, "survey-list").content.decode()
    assert "theirs" not in html


def test_signed_out_visitors_are_sent_to_sign_in(client, organisation):
    response = client.get(reverse("survey-list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("language", ["sv", "fi"])
def test_the_pages_render_in_every_language(client, viewer, organisation, language):
    nps_survey(organisation)
    client.force_login(viewer)
    with translation.override(language):
        for name, query in (
            ("survey-list", {}),
            ("survey-results", {"by": "channel"}),
            ("survey-responses", {}),
        ):
            args = [] if name == "survey-list" else ["rel"]
            response = client.get(reverse(name, args=args), query, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200


def test_results_cost_a_fixed_number_of_queries(
    client, viewer, organisation, django_assert_max_num_queries
):
    nps_survey(organisation)
    client.force_login(viewer)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("survey-results", args=["rel"]), {"by": "channel"})
    survey = make_survey(organisation, code="big", questions=NPS_ONLY)
    make_responses(
        survey,
        [{"answers": {"nps": i % 11}, "attributes": {"channel": f"c{i % 9}"}} for i in range(3000)],
    )
    with django_assert_max_num_queries(12) as many:
        client.get(reverse("survey-results", args=["big"]), {"by": "channel"})
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_question_that_feeds_an_indicator_links_it(client, viewer, organisation):
    from tests.factories import IndicatorFactory

    nps = IndicatorFactory(organisation=organisation, code="nps", name="Net Promoter Score")
    survey = make_survey(organisation, code="rel", questions=NPS_ONLY)
    make_responses(survey, rows_of("nps", [10] * 3))
    html = page(client, viewer, "survey-results", "rel").content.decode()
    assert reverse("indicator-detail", args=["nps"]) not in html
    survey.questions.filter(code="nps").update(indicator=nps)
    html = page(client, viewer, "survey-results", "rel").content.decode()
    assert f'<a href="{reverse("indicator-detail", args=["nps"])}">Net Promoter Score</a>' in html
