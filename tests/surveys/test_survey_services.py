"""Surveys and questions: scales, codes, bindings and what a change may touch."""

import pytest
from django.core.exceptions import ValidationError

from surveys.models import Question
from surveys.services import create_survey, ingest_responses, update_survey
from surveys.services import feed as feed_module
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


def survey_data(*questions, **settings):
    questions = questions or ({"code": "nps", "text": "Recommend us?", "type": "nps"},)
    return {
        "code": "relationship",
        "name": "Relationship",
        "questions": list(questions),
        **settings,
    }


def refused(call, *args) -> dict:
    with pytest.raises(ValidationError) as caught:
        call(*args)
    return caught.value.message_dict


def test_scales_take_their_type_defaults(organisation):
    survey = create_survey(
        organisation,
        survey_data(
            {"code": "nps", "text": "Recommend?", "type": "nps"},
            {"code": "csat", "text": "Satisfied?", "type": "csat"},
            {"code": "ces", "text": "Easy?", "type": "ces"},
            {"code": "csat7", "text": "Satisfied?", "type": "csat", "scale_max": 7},
            {"code": "agree", "text": "Agree?", "type": "likert", "scale_min": 1, "scale_max": 4},
            {"code": "why", "text": "Why?", "type": "text"},
        ),
    )
    scales = [(q.code, q.scale_min, q.scale_max, q.position) for q in survey.questions.all()]
    assert scales == [
        ("nps", 0, 10, 0),
        ("csat", 1, 5, 1),
        ("ces", 1, 7, 2),
        ("csat7", 1, 7, 3),
        ("agree", 1, 4, 4),
        ("why", None, None, 5),
    ]
    assert survey.min_n == 30 and survey.kind == "customer"


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ({"type": "nps", "scale_min": 1, "scale_max": 10}, "scale_min"),
        ({"type": "nps", "scale_max": 5}, "scale_max"),
        ({"type": "likert", "scale_min": 1}, "scale_max"),
        ({"type": "likert", "scale_max": 5}, "scale_min"),
        ({"type": "likert", "scale_min": 5, "scale_max": 5}, "scale_max"),
        ({"type": "csat", "scale_min": 6}, "scale_max"),
        ({"type": "likert", "scale_min": 0, "scale_max": 20}, "scale_max"),
        ({"type": "text", "scale_min": 1}, "scale_min"),
        ({"type": "likert", "scale_min": 1.5, "scale_max": 5}, "scale_min"),
        ({"type": "smiley"}, "type"),
        ({"type": "nps", "text": ""}, "text"),
        ({"type": "nps", "code": "not a slug"}, "code"),
        ({"type": "nps", "texts": {"de": "Empfehlen?"}}, "texts.de"),
        ({"type": "nps", "group": "nope"}, "group"),
    ],
)
def test_a_bad_question_is_refused_naming_its_index_and_field(organisation, question, field):
    bad = {"code": "q", "text": "Question?", **question}
    errors = refused(
        create_survey, organisation, survey_data({"code": "ok", "text": "Ok?", "type": "nps"}, bad)
    )
    assert list(errors) == [f"questions.1.{field}"]
    assert not organisation.surveys.exists()


def test_a_likert_scale_of_twenty_points_is_accepted(organisation):
    survey = create_survey(
        organisation,
        survey_data({"code": "q", "text": "?", "type": "likert", "scale_min": 1, "scale_max": 20}),
    )
    assert survey.questions.get().scale_max == 20


def test_question_codes_are_unique_in_the_survey_and_survey_codes_in_the_organisation(
    organisation,
):
    twice = {"code": "nps", "text": "Again?", "type": "nps"}
    errors = refused(create_survey, organisation, survey_data(twice, twice))
    assert list(errors) == ["questions.1.code"]
    create_survey(organisation, survey_data())
    assert list(refused(create_survey, organisation, survey_data())) == ["code"]


def test_a_survey_needs_questions_a_name_and_a_sane_minimum_n(organisation):
    errors = refused(
        create_survey, organisation, {"code": "s", "name": " ", "questions": [], "min_n": 0}
    )
    assert set(errors) == {"name", "questions", "min_n"}


def test_a_question_binds_to_a_mean_or_ratio_indicator_of_the_same_organisation(
    organisation, other_organisation
):
    IndicatorFactory(organisation=organisation, code="nps_kpi", aggregation="mean")
    IndicatorFactory(organisation=organisation, code="promoters", aggregation="ratio")
    IndicatorFactory(organisation=organisation, code="total", aggregation="sum")
    IndicatorFactory(
        organisation=organisation, code="formula", aggregation="", formula="nps_kpi * 2"
    )
    theirs = IndicatorFactory(organisation=other_organisation, code="theirs")
    survey = create_survey(
        organisation,
        survey_data(
            {
                "code": "nps",
                "text": "?",
                "type": "nps",
                "indicator": "nps_kpi",
                "segment_by": ["unit"],
            },
            {"code": "csat", "text": "?", "type": "csat", "indicator": "promoters"},
        ),
    )
    bound = {q.code: q.indicator.code for q in survey.questions.select_related("indicator")}
    assert bound == {"nps": "nps_kpi", "csat": "promoters"}
    for code, kind in (
        ("total", "nps"),
        ("formula", "nps"),
        ("nope", "nps"),
        ("nps_kpi", "text"),
        (theirs, "nps"),
        ("promoters", "ces"),  # a ratio of effort answers would be 100 * their mean
        ("promoters", "likert"),
    ):
        question = {"code": "q", "text": "?", "type": kind, "indicator": code}
        if kind == "likert":
            question |= {"scale_min": 1, "scale_max": 5}
        errors = refused(create_survey, organisation, {**survey_data(question), "code": "x"})
        assert list(errors) == ["questions.0.indicator"], code


def test_segment_by_needs_an_indicator(organisation):
    question = {"code": "q", "text": "?", "type": "nps", "segment_by": ["unit"]}
    assert list(refused(create_survey, organisation, survey_data(question))) == [
        "questions.0.segment_by"
    ]


def test_patch_changes_wording_adds_questions_and_keeps_the_others(organisation):
    survey = create_survey(
        organisation,
        survey_data(
            {"code": "nps", "text": "?", "type": "nps"},
            {"code": "why", "text": "Why?", "type": "text"},
        ),
    )
    update_survey(
        survey,
        {
            "name": "Renamed",
            "min_n": 50,
            "questions": [
                {"code": "why", "texts": {"sv": "Varför?"}},
                {"code": "ces", "text": "Easy?", "type": "ces"},
            ],
        },
    )
    survey.refresh_from_db()
    questions = [(q.code, q.position, q.texts) for q in survey.questions.all()]
    assert (survey.name, survey.min_n) == ("Renamed", 50)
    assert questions == [("nps", 0, {}), ("why", 1, {"sv": "Varför?"}), ("ces", 2, {})]


def test_a_new_question_in_patch_needs_text_and_type(organisation):
    survey = create_survey(organisation, survey_data())
    errors = refused(update_survey, survey, {"questions": [{"code": "new"}]})
    assert set(errors) == {"questions.0.text", "questions.0.type"}


def test_type_and_scale_stay_once_there_are_answers(organisation):
    likert = {"code": "q", "text": "?", "type": "likert", "scale_min": 1, "scale_max": 5}
    survey = create_survey(organisation, survey_data(likert))
    update_survey(survey, {"questions": [{"code": "q", "scale_max": 7}]})  # no answers yet
    assert survey.questions.get().scale_max == 7
    ingest_responses(
        survey=survey,
        items=[{"respondent": "r1", "submitted_at": "2026-03-02", "answers": {"q": 6}}],
    )
    for change in ({"scale_max": 5}, {"type": "ces"}, {"scale_min": 0}):
        errors = refused(update_survey, survey, {"questions": [{"code": "q", **change}]})
        assert list(errors)[0].startswith("questions.0."), change
    assert (survey.questions.get().type, survey.questions.get().scale_max) == ("likert", 7)
    update_survey(survey, {"questions": [{"code": "q", "text": "New wording?"}]})
    assert survey.questions.get().text == "New wording?"


def test_a_changed_binding_refeeds_the_question_after_commit(
    organisation, monkeypatch, django_capture_on_commit_callbacks
):
    IndicatorFactory(organisation=organisation, code="nps_kpi", aggregation="mean")
    refed = []
    monkeypatch.setattr(feed_module, "refeed_question", refed.append)
    survey = create_survey(organisation, survey_data())
    question = Question.objects.get(survey=survey)
    with django_capture_on_commit_callbacks(execute=True):
        update_survey(survey, {"name": "Same binding", "questions": [{"code": "nps"}]})
    assert refed == []
    with django_capture_on_commit_callbacks(execute=True):
        update_survey(survey, {"questions": [{"code": "nps", "indicator": "nps_kpi"}]})
    assert refed == [question.pk]
    with django_capture_on_commit_callbacks(execute=True):
        update_survey(survey, {"questions": [{"code": "nps", "indicator": None}]})
    assert refed == [question.pk, question.pk]
    assert Question.objects.get(pk=question.pk).indicator is None


def test_a_refused_patch_changes_nothing(organisation):
    survey = create_survey(organisation, survey_data())
    errors = refused(
        update_survey, survey, {"name": "New", "questions": [{"code": "nps", "scale_max": 5}]}
    )
    assert list(errors) == ["questions.0.scale_max"]
    survey.refresh_from_db()
    assert survey.name == "Relationship"
