"""The ready surveys: the engagement survey with its customer-focus pack, in three languages."""

import pytest
from django.core.exceptions import ValidationError

from surveys.models import LANGUAGES
from surveys.services.templates import TEMPLATES, create_from_template

pytestmark = pytest.mark.django_db

CUSTOMER_FOCUS = ["customer_central", "know_offer", "own_contribution", "goals_customer_value"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_engagement_template_makes_the_core_and_the_customer_focus_pack(organisation, language):
    survey = create_from_template(
        organisation, "engagement", code="staff-2026", name="Staff 2026", language=language
    )
    questions = list(survey.questions.all())
    assert survey.kind == "engagement" and survey.contact_attribute == "customer_contact"
    engagement = [q for q in questions if q.group == "engagement"]
    focus = [q for q in questions if q.group == "customer_focus"]
    assert len(engagement) == 6 and [q.code for q in focus if q.scored] == CUSTOMER_FOCUS
    assert [q.type for q in focus] == ["likert"] * 4 + ["text"]
    assert all((q.scale_min, q.scale_max) == (1, 5) for q in questions if q.type == "likert")
    enps = next(q for q in engagement if q.type == "nps")
    assert (enps.scale_min, enps.scale_max) == (0, 10)
    assert [q.position for q in questions] == list(range(len(questions)))
    for question in questions:
        assert set(question.texts) == set(LANGUAGES)
        assert question.text == question.texts[language]
        assert len(set(question.texts.values())) == 3  # really translated


def test_each_template_names_its_background_variables_and_has_unique_codes():
    engagement = TEMPLATES["engagement"]
    assert engagement["attributes"]["customer_contact"] == ("yes", "no")
    assert {"unit", "tenure", "role"} <= set(engagement["attributes"])
    for spec in TEMPLATES.values():
        codes = [q["code"] for q in spec["questions"]]
        assert len(codes) == len(set(codes))
        assert set(spec["description"]) == set(LANGUAGES)
    relationship = [q["type"] for q in TEMPLATES["relationship"]["questions"]]
    assert relationship == ["nps", "csat", "ces", "text"]


def test_a_taken_code_an_unknown_template_or_language_is_refused(organisation):
    create_from_template(organisation, "relationship", code="rel", name="R", language="sv")
    with pytest.raises(ValidationError) as refused:
        create_from_template(organisation, "relationship", code="rel", name="Again")
    assert "__all__" in refused.value.message_dict or "code" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        create_from_template(organisation, "pulse", code="p", name="P", language="de")
    assert set(refused.value.message_dict) == {"template", "language"}
    assert organisation.surveys.count() == 1
