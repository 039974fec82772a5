"""Pages where analysts manage surveys: a survey's settings and questions with their indicator
feeds, adding a question, deleting a survey, and new surveys from the ready templates.

Analysts and admins only (viewers get 403); another organisation's survey is a 404. Every write
is a service call (`update_survey`, `delete_survey`, `create_from_template`); the service's
ValidationError lands on the field it names and the page answers 400 with the form as sent.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.pages import page, role_required
from core.service_forms import add_service_errors
from indicators import selectors as indicator_selectors

from .. import selectors
from ..forms import NewQuestionForm, QuestionForm, SurveySettingsForm, TemplateForm
from ..models import Question, QuestionGroup
from ..services import delete_survey, update_survey
from ..services.templates import TEMPLATES, create_from_template

# -- settings and questions ----------------------------------------------------------------------


def _questions(survey) -> list[Question]:
    questions = list(Question.objects.filter(survey=survey).select_related("indicator"))
    for question in questions:
        question.survey = survey
    return questions


def _question_forms(survey, data=None) -> list[QuestionForm]:
    organisation = survey.organisation
    indicators = list(
        indicator_selectors.indicators_of(organisation=organisation)
        .prefetch_related(None)
        .order_by("name", "code")
    )
    attributes = selectors.attribute_names(survey)
    locked = survey.responses.exists()
    return [
        QuestionForm(
            data,
            prefix=f"q{index}",
            question=question,
            indicators=indicators,
            attributes=attributes,
            locked=locked,
        )
        for index, question in enumerate(_questions(survey))
    ]


def _split_errors(error: ValidationError) -> tuple[dict, dict[int, dict]]:
    """The service's errors as (survey's {field: messages}, {question index: {field: messages}})."""
    own, by_question = {}, {}
    for key, problems in error.message_dict.items():
        parts = key.split(".", 2)
        if parts[0] == "questions" and len(parts) > 1 and parts[1].isdigit():
            field = parts[2] if len(parts) > 2 else None
            by_question.setdefault(int(parts[1]), {})[field] = problems
        else:
            own[key] = problems
    return own, by_question


def _add_question_errors(form, problems: dict) -> None:
    for field, messages_ in problems.items():
        name = form.ALIASES.get(field, field) if field else None
        form.add_error(name if name in form.fields else None, messages_)


def _settings_page(request, survey, form, questions, new_question, status=200):
    context = {
        "survey": survey,
        "form": form,
        "questions": questions,
        "new_question": new_question,
        "locked": survey.responses.exists(),
        "fed": any(q.question.indicator_id for q in questions),
    }
    return page(request, "surveys/survey_settings.html", context, status=status)


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def survey_settings(request, code: str):
    """The survey's settings and, per question, its wording, group and indicator feed."""
    survey = selectors.survey_of(request.membership.organisation, code)
    data = request.POST if request.method == "POST" else None
    form = SurveySettingsForm(data, initial=SurveySettingsForm.initial_for(survey))
    questions = _question_forms(survey, data)
    if data is None:
        return _settings_page(request, survey, form, questions, NewQuestionForm(prefix="new"))
    if form.is_valid() and all([q.is_valid() for q in questions]):
        payload = {**form.service_data(), "questions": [q.service_item() for q in questions]}
        try:
            update_survey(survey, payload)
        except ValidationError as error:
            own, by_question = _split_errors(error)
            if own:
                add_service_errors(form, ValidationError(own))
            for index, problems in by_question.items():
                _add_question_errors(questions[index], problems)
        else:
            messages.success(request, _("The survey “%(name)s” was saved.") % {"name": survey.name})
            return redirect("survey-settings", code=survey.code)
    new = NewQuestionForm(prefix="new")
    return _settings_page(request, survey, form, questions, new, status=400)


@role_required(Role.ANALYST)
@require_POST
def add_question(request, code: str):
    """A new question after the others, through `update_survey` (a new code adds one)."""
    survey = selectors.survey_of(request.membership.organisation, code)
    taken = survey.questions.values_list("code", flat=True)
    new = NewQuestionForm(request.POST, prefix="new", taken=taken)
    if new.is_valid():
        try:
            update_survey(survey, {"questions": [new.service_item()]})
        except ValidationError as error:
            _own, by_question = _split_errors(error)
            _add_question_errors(new, by_question.get(0, {}) or {None: error.messages})
        else:
            messages.success(
                request,
                _("The question “%(code)s” was added.") % {"code": new.cleaned_data["code"]},
            )
            url = reverse("survey-settings", args=[survey.code])
            return redirect(f"{url}#q-{new.cleaned_data['code']}")
    form = SurveySettingsForm(initial=SurveySettingsForm.initial_for(survey))
    return _settings_page(request, survey, form, _question_forms(survey), new, status=400)


# -- deleting ------------------------------------------------------------------------------------


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def survey_delete(request, code: str):
    """Confirm, then delete the survey with its responses and the measurements it fed."""
    survey = selectors.survey_of(request.membership.organisation, code)
    if request.method == "POST":
        delete_survey(survey)
        messages.success(request, _("The survey “%(name)s” was deleted.") % {"name": survey.name})
        return redirect("survey-list")
    context = {
        "survey": survey,
        "responses": survey.responses.count(),
        "questions": len(survey.questions.all()),
        "fed": selectors.fed_measurements(survey),
    }
    return page(request, "surveys/survey_confirm_delete.html", context)


# -- ready templates -----------------------------------------------------------------------------

SURVEY_NAMES = {  # the name a new survey from the template is offered
    "engagement": lambda: _("Engagement survey"),
    "relationship": lambda: _("Customer relationship survey"),
}


def _template_cards(request, forms: dict) -> list[dict]:
    language = (get_language() or "en")[:2]
    return [
        {
            "key": key,
            "label": spec["label"],
            "description": spec["description"].get(language) or spec["description"]["en"],
            "questions": [
                {
                    "code": q["code"],
                    "type": q["type"],
                    "scale": q.get("scale"),
                    "group": QuestionGroup(q.get("group", "")).label if q.get("group") else "",
                    "wording": q["texts"].get(language) or q["texts"]["en"],
                }
                for q in spec["questions"]
            ],
            "attributes": list(spec.get("attributes", {})),
            "form": forms.get(key) or _template_form(request, key),
        }
        for key, spec in TEMPLATES.items()
    ]


def _free_code(organisation, key: str) -> str:
    taken = set(selectors.surveys_of(organisation).values_list("code", flat=True))
    code, number = key, 1
    while code in taken:
        number += 1
        code = f"{key}-{number}"
    return code


def _template_form(request, key: str, data=None) -> TemplateForm:
    organisation = request.membership.organisation
    initial = {
        "code": _free_code(organisation, key),
        "name": SURVEY_NAMES[key]() if key in SURVEY_NAMES else str(TEMPLATES[key]["label"]),
        "language": organisation.language,
    }
    return TemplateForm(data, prefix=key, initial=initial)


@role_required(Role.ANALYST)
@require_http_methods(["GET"])
def survey_templates(request):
    """The ready surveys with their questions, and a form per template to create one."""
    return page(
        request, "surveys/survey_templates.html", {"templates": _template_cards(request, {})}
    )


@role_required(Role.ANALYST)
@require_POST
def create_survey_from_template(request, template: str):
    """A new survey from `template`; then its settings page (to bind its questions' feeds)."""
    if template not in TEMPLATES:
        raise Http404(f"no survey template {template!r}")
    form = _template_form(request, template, request.POST)
    if form.is_valid():
        try:
            survey = create_from_template(
                request.membership.organisation, template, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error, aliases={"__all__": "code"})
        except IntegrityError:  # the same code, created at the same moment
            form.add_error("code", _("The organisation already has a survey with this code."))
        else:
            messages.success(
                request,
                _("The survey “%(name)s” was created. Choose which indicators its questions feed.")
                % {"name": survey.name},
            )
            return redirect("survey-settings", code=survey.code)
    cards = _template_cards(request, {template: form})
    return page(request, "surveys/survey_templates.html", {"templates": cards}, status=400)
