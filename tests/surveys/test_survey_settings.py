"""Analysts manage surveys in the app: the settings page (settings, wording, indicator feeds,
a new question), deleting a survey, and new surveys from the ready templates. Every write goes
through the services, whose refusals show on the field they name; viewers get 403 and another
organisation's survey is a 404.

The NPS a binding feeds is counted by hand from the answers written in the test (100 *
(promoters - detractors) / n, promoters 9-10, detractors 0-6)."""

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Role
from accounts.services import create_user
from indicators.models import Measurement, PeriodValue
from surveys.models import Question, Response, Survey
from surveys.services.templates import TEMPLATES
from tests.factories import IndicatorFactory
from tests.surveys.survey_data import make_responses, make_survey

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"code": "nps", "type": "nps", "text": "Would you recommend us?"},
    {"code": "team", "type": "likert", "text": "My team sets goals.", "scale": (1, 5)},
    {"code": "why", "type": "text", "text": "Why?"},
]
# January: 4 promoters (9, 10), 2 passives (7, 8), 3 detractors (0-6): NPS 100 * 1 / 9.
JANUARY = [10, 9, 9, 10, 8, 7, 3, 6, 0]
UNITS = ["north", "south", "north"]


def hand_nps(answers) -> float:
    return 100 * (sum(a >= 9 for a in answers) - sum(a <= 6 for a in answers)) / len(answers)


@pytest.fixture
def survey(organisation):
    return make_survey(organisation, code="rel", questions=QUESTIONS, name="Relationship")


@pytest.fixture
def answered(survey):
    make_responses(
        survey,
        [
            {
                "answers": {"nps": a, "team": 4, "why": "ok"},
                "attributes": {"unit": UNITS[i % 3], "channel": "web"},
                "local_date": date(2026, 1, 5 + i),
            }
            for i, a in enumerate(JANUARY)
        ],
    )
    return survey


def settings_data(survey, **changes) -> dict:
    """The settings form as the page renders it, with `changes` (field name: value)."""
    data = {
        "name": survey.name,
        "description": survey.description,
        "min_n": survey.min_n,
        "unit_attribute": survey.unit_attribute,
        "contact_attribute": survey.contact_attribute,
    }
    for index, question in enumerate(survey.questions.order_by("position")):
        prefix = f"q{index}-"
        data.update(
            {
                prefix + "text": question.text,
                prefix + "text_en": question.texts.get("en", ""),
                prefix + "text_sv": question.texts.get("sv", ""),
                prefix + "text_fi": question.texts.get("fi", ""),
                prefix + "group": question.group,
                prefix + "type": question.type,
                prefix + "scale_min": "" if question.scale_min is None else question.scale_min,
                prefix + "scale_max": "" if question.scale_max is None else question.scale_max,
            }
        )
        if question.scored:
            data[prefix + "indicator"] = question.indicator.code if question.indicator else ""
            data[prefix + "segment_by"] = list(question.segment_by)
    data.update(changes)
    return data


def post_settings(client, user, survey, **changes):
    client.force_login(user)
    return client.post(
        reverse("survey-settings", args=[survey.code]), settings_data(survey, **changes)
    )


# -- settings ----------------------------------------------------------------------------------


def test_the_page_shows_the_settings_and_each_question(client, analyst, survey):
    client.force_login(analyst)
    html = client.get(reverse("survey-settings", args=["rel"])).content.decode()
    assert 'name="min_n"' in html and 'value="30"' in html
    assert 'name="q0-indicator"' in html and 'name="q1-indicator"' in html
    assert 'name="q2-indicator"' not in html  # free text feeds nothing
    assert 'name="q2-text_sv"' in html
    assert reverse("survey-delete", args=["rel"]) in html
    assert reverse("survey-question-add", args=["rel"]) in html


def test_saving_changes_the_settings_and_the_wording(client, analyst, survey):
    response = post_settings(
        client,
        analyst,
        survey,
        name="Customers",
        min_n="50",
        **{"q0-text_sv": "Skulle du rekommendera oss?", "q1-group": "customer_focus"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("survey-settings", args=["rel"])
    survey.refresh_from_db()
    assert (survey.name, survey.min_n) == ("Customers", 50)
    nps = survey.questions.get(code="nps")
    assert nps.texts == {"sv": "Skulle du rekommendera oss?"}
    assert nps.wording("sv") == "Skulle du rekommendera oss?" and nps.wording("fi") == nps.text
    assert survey.questions.get(code="team").group == "customer_focus"


def test_a_refused_setting_shows_the_services_message_and_saves_nothing(client, analyst, survey):
    response = post_settings(client, analyst, survey, name="Other", unit_attribute="my unit")
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["unit_attribute"]
    survey.refresh_from_db()
    assert (survey.name, survey.unit_attribute) == ("Relationship", "unit")


def test_binding_nps_feeds_every_answer_as_a_measurement(
    client, analyst, answered, organisation, django_capture_on_commit_callbacks
):
    nps = IndicatorFactory(organisation=organisation, code="nps", kind="kpi", aggregation="mean")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_settings(
            client, analyst, answered, **{"q0-indicator": "nps", "q0-segment_by": ["unit"]}
        )
    assert response.status_code == 302
    question = answered.questions.get(code="nps")
    assert (question.indicator, question.segment_by) == (nps, ["unit"])
    assert Measurement.objects.filter(indicator=nps).count() == len(JANUARY)
    total = PeriodValue.objects.get(
        indicator=nps, period="month", segment="", period_start=date(2026, 1, 1)
    )
    assert hand_nps(JANUARY) == pytest.approx(100 / 9)
    assert (total.value, total.count) == (pytest.approx(hand_nps(JANUARY)), 9)
    north = [a for i, a in enumerate(JANUARY) if UNITS[i % 3] == "north"]  # 10, 9, 10, 8, 3, 0
    assert hand_nps(north) == pytest.approx(100 * (3 - 2) / 6)
    by_unit = {
        row.segment: (row.value, row.count)
        for row in PeriodValue.objects.filter(indicator=nps, period="month").exclude(segment="")
    }
    assert by_unit["unit:north"] == (pytest.approx(hand_nps(north)), 6)


def test_the_indicator_select_offers_only_what_can_take_the_question(
    client, analyst, survey, organisation
):
    IndicatorFactory(organisation=organisation, code="nps_mean", aggregation="mean")
    IndicatorFactory(organisation=organisation, code="nps_share", aggregation="ratio")
    IndicatorFactory(organisation=organisation, code="calls", aggregation="sum")
    client.force_login(analyst)
    response = client.get(reverse("survey-settings", args=["rel"]))
    forms = response.context["questions"]
    offered = lambda form: [code for code, _label in form.fields["indicator"].choices]  # noqa: E731
    assert offered(forms[0]) == ["", "nps_mean", "nps_share"]  # NPS: mean or ratio
    assert offered(forms[1]) == ["", "nps_mean"]  # likert: mean only


def test_a_sum_indicator_is_refused_on_that_questions_field_and_nothing_changes(
    client, analyst, answered, organisation, django_capture_on_commit_callbacks
):
    calls = IndicatorFactory(organisation=organisation, code="calls", aggregation="sum")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_settings(
            client, analyst, answered, name="Renamed", **{"q0-indicator": "calls"}
        )
    assert response.status_code == 400
    questions = response.context["questions"]
    assert list(questions[0].errors) == ["indicator"]
    # The service's own message (it names the aggregation), not a form's "not a valid choice".
    assert "sum" in questions[0].errors["indicator"][0]
    assert not questions[1].errors and not response.context["form"].errors
    assert 'id="id_q0-indicator"' in response.content.decode()
    assert callbacks == []
    answered.refresh_from_db()
    assert answered.name == "Relationship"
    assert answered.questions.get(code="nps").indicator is None
    assert not Measurement.objects.filter(indicator=calls).exists()


def test_another_organisations_indicator_is_not_a_choice(
    client, analyst, survey, other_organisation
):
    IndicatorFactory(organisation=other_organisation, code="theirs", aggregation="mean")
    response = post_settings(client, analyst, survey, **{"q0-indicator": "theirs"})
    assert response.status_code == 400
    assert list(response.context["questions"][0].errors) == ["indicator"]
    assert survey.questions.get(code="nps").indicator is None


def test_unbinding_removes_what_the_question_fed(
    client, analyst, answered, organisation, django_capture_on_commit_callbacks
):
    nps = IndicatorFactory(organisation=organisation, code="nps", aggregation="mean")
    with django_capture_on_commit_callbacks(execute=True):
        post_settings(client, analyst, answered, **{"q0-indicator": "nps"})
    assert Measurement.objects.filter(indicator=nps).count() == len(JANUARY)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_settings(client, analyst, answered, **{"q0-indicator": ""})
    assert response.status_code == 302
    assert not Measurement.objects.filter(indicator=nps).exists()


# -- type and scale ----------------------------------------------------------------------------


def test_type_and_scale_change_while_there_are_no_responses(client, analyst, survey):
    response = post_settings(client, analyst, survey, **{"q1-scale_max": "7"})
    assert response.status_code == 302
    team = survey.questions.get(code="team")
    assert (team.scale_min, team.scale_max) == (1, 7)
    # Another type starts from its own default scale when the scale is left as it was.
    response = post_settings(client, analyst, survey, **{"q1-type": "ces"})
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.type, team.scale_min, team.scale_max) == ("ces", 1, 7)


def test_type_and_scale_are_read_only_once_there_are_responses(client, analyst, answered):
    client.force_login(analyst)
    html = client.get(reverse("survey-settings", args=["rel"])).content.decode()
    assert 'name="q1-type"' not in html and 'name="q1-scale_max"' not in html
    response = post_settings(client, analyst, answered, **{"q1-type": "nps", "q1-scale_max": "10"})
    assert response.status_code == 302  # what a locked field sends is not read
    team = answered.questions.get(code="team")
    assert (team.type, team.scale_min, team.scale_max) == ("likert", 1, 5)


# -- adding a question ---------------------------------------------------------------------------


def add(client, user, survey, **fields):
    client.force_login(user)
    data = {f"new-{name}": value for name, value in fields.items()}
    return client.post(reverse("survey-question-add", args=[survey.code]), data)


def test_adding_a_question_puts_it_after_the_others(client, analyst, answered):
    response = add(
        client,
        analyst,
        answered,
        code="effort",
        type="likert",
        text="Easy?",
        scale_min=1,
        scale_max=7,
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("survey-settings", args=["rel"]) + "#q-effort"
    codes = list(answered.questions.order_by("position").values_list("code", flat=True))
    assert codes == ["nps", "team", "why", "effort"]
    effort = answered.questions.get(code="effort")
    assert (effort.type, effort.scale_min, effort.scale_max, effort.text) == (
        "likert",
        1,
        7,
        "Easy?",
    )


def test_a_refused_new_question_shows_the_services_message_on_its_field(client, analyst, survey):
    response = add(client, analyst, survey, code="effort", type="likert", text="Easy?")
    assert response.status_code == 400
    assert list(response.context["new_question"].errors) == ["scale_min"]
    response = add(client, analyst, survey, code="nps", type="nps", text="Again?")
    assert response.status_code == 400  # the service would change the known question instead
    assert list(response.context["new_question"].errors) == ["code"]
    assert survey.questions.get(code="nps").text == "Would you recommend us?"
    response = add(client, analyst, survey, code="bad code", type="ces", text="?")
    assert list(response.context["new_question"].errors) == ["code"]
    assert survey.questions.count() == 3


# -- deleting ------------------------------------------------------------------------------------


def test_the_delete_page_says_what_goes_and_deleting_removes_it(
    client, analyst, answered, organisation, django_capture_on_commit_callbacks
):
    nps = IndicatorFactory(
        organisation=organisation, code="nps", name="Net Promoter Score", aggregation="mean"
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_settings(client, analyst, answered, **{"q0-indicator": "nps"})
    response = client.get(reverse("survey-delete", args=["rel"]))
    assert response.status_code == 200
    assert response.context["responses"] == len(JANUARY)
    assert response.context["fed"] == [
        {"code": "nps", "name": "Net Promoter Score", "count": len(JANUARY)}
    ]
    assert "Net Promoter Score" in response.content.decode()
    assert Survey.objects.filter(pk=answered.pk).exists()  # looking deletes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("survey-delete", args=["rel"]))
    assert response.status_code == 302 and response["Location"] == reverse("survey-list")
    assert not Survey.objects.filter(pk=answered.pk).exists()
    assert not Response.objects.filter(survey_id=answered.pk).exists()
    assert not Measurement.objects.filter(indicator=nps).exists()
    assert not PeriodValue.objects.filter(indicator=nps, segment="").exclude(count=0).exists()


# -- templates -----------------------------------------------------------------------------------


def test_the_templates_page_lists_each_templates_questions_in_the_active_language(client, analyst):
    client.force_login(analyst)
    html = client.get(reverse("survey-templates")).content.decode()
    for key, spec in TEMPLATES.items():
        assert reverse("survey-create-from-template", args=[key]) in html
        for question in spec["questions"]:
            assert escape(question["texts"]["en"]) in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    html = client.get(reverse("survey-templates")).content.decode()
    pride = TEMPLATES["engagement"]["questions"][0]["texts"]
    assert escape(pride["sv"]) in html and escape(pride["en"]) not in html


def test_creating_from_a_template_opens_the_new_surveys_settings(client, analyst, organisation):
    client.force_login(analyst)
    response = client.post(
        reverse("survey-create-from-template", args=["relationship"]),
        {
            "relationship-code": "customers",
            "relationship-name": "Customers",
            "relationship-language": "fi",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("survey-settings", args=["customers"])
    survey = Survey.objects.get(organisation=organisation, code="customers")
    spec = TEMPLATES["relationship"]["questions"]
    assert [q.code for q in survey.questions.order_by("position")] == [q["code"] for q in spec]
    assert survey.questions.order_by("position").first().text == spec[0]["texts"]["fi"]


def test_a_taken_code_is_refused_on_the_code_field(client, analyst, organisation, survey):
    client.force_login(analyst)
    response = client.post(
        reverse("survey-create-from-template", args=["engagement"]),
        {"engagement-code": "rel", "engagement-name": "Staff", "engagement-language": "en"},
    )
    assert response.status_code == 400
    form = next(t["form"] for t in response.context["templates"] if t["key"] == "engagement")
    assert list(form.errors) == ["code"]
    assert Survey.objects.filter(organisation=organisation).count() == 1
    # The page offers a free code next time.
    html = client.get(reverse("survey-templates")).content.decode()
    assert 'value="engagement"' in html


def test_the_lists_one_click_button_still_creates_the_engagement_survey(
    client, analyst, organisation
):
    client.force_login(analyst)
    html = client.get(reverse("survey-list")).content.decode()
    assert reverse("survey-templates") in html
    response = client.post(
        reverse("survey-create-engagement"),
        {"engagement-code": "engagement", "engagement-name": "Staff", "engagement-language": "sv"},
    )
    assert response.status_code == 302
    survey = Survey.objects.get(organisation=organisation, code="engagement")
    assert survey.kind == "engagement" and survey.questions.filter(group="customer_focus").exists()


# -- who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("survey-settings", ["rel"], "get"),
        ("survey-settings", ["rel"], "post"),
        ("survey-question-add", ["rel"], "post"),
        ("survey-delete", ["rel"], "get"),
        ("survey-delete", ["rel"], "post"),
        ("survey-templates", [], "get"),
        ("survey-create-from-template", ["relationship"], "post"),
    ],
)
def test_a_viewer_gets_403(client, viewer, survey, name, args, method):
    client.force_login(viewer)
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 403
    assert Survey.objects.filter(pk=survey.pk).exists()


def test_a_viewer_sees_no_settings_tab(client, viewer, analyst, survey):
    client.force_login(viewer)
    html = client.get(reverse("survey-results", args=["rel"])).content.decode()
    assert reverse("survey-settings", args=["rel"]) not in html
    client.force_login(analyst)
    html = client.get(reverse("survey-results", args=["rel"])).content.decode()
    assert reverse("survey-settings", args=["rel"]) in html


def test_another_organisations_survey_is_a_404(client, other_organisation, survey):
    theirs = create_user(
        organisation=other_organisation, username="rita", role=Role.ANALYST, password="pw-123456!"
    )
    client.force_login(theirs)
    for name in ("survey-settings", "survey-delete"):
        assert client.get(reverse(name, args=["rel"])).status_code == 404
        assert client.post(reverse(name, args=["rel"])).status_code == 404
    assert client.post(reverse("survey-question-add", args=["rel"])).status_code == 404
    assert Survey.objects.filter(pk=survey.pk).exists()
    assert Question.objects.filter(survey=survey).count() == 3
