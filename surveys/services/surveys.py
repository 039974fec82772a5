"""Writes of surveys and their questions, with the rules of their scales and indicator bindings.

`data` is the API's shape (DESIGN section 6) with its extensions:

    {"code", "name", "kind", "description", "min_n", "unit_attribute", "contact_attribute",
     "questions": [{"code", "text", "texts": {language: wording}, "type", "scale_min",
                    "scale_max", "group", "indicator": code | Indicator | None,
                    "segment_by": [attribute names]}]}

Scales: nps is 0..10 only; csat defaults to 1..5 and ces to 1..7 (a missing end from the
default); likert needs both ends; min < max, at most `MAX_POINTS` points; text questions take no
scale and feed no indicator. A bound indicator is of the same organisation, not a formula, and
aggregated as a mean or a ratio: the survey feeds one measurement per answer, so only the mean
(or the share, for a ratio) of a period's measurements is the period's score.

Refused with a ValidationError whose keys name the field (`questions.2.scale_max`), nothing
saved. `update_survey` changes what `data` holds; its `questions` are matched by code: a known
code changes that question, a new one is added after the others, an absent one stays. Once a
survey has responses a question's type and scale stay as they are (the stored answers were given
on that scale). A changed binding re-feeds the question's answers after commit.
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation
from core.instances import restored_on_failure
from indicators import selectors as indicator_selectors
from indicators.models import Aggregation

from ..models import (
    DEFAULT_SCALES,
    LANGUAGES,
    Question,
    QuestionGroup,
    QuestionType,
    Survey,
    SurveyKind,
)
from . import feed

SLUG = re.compile(r"[-a-zA-Z0-9_]+")
CODE_MAX = 50
NAME_MAX = Survey._meta.get_field("name").max_length
TEXT_MAX = Question._meta.get_field("text").max_length
ATTRIBUTE_MAX = 50
MIN_N_MAX = 100_000
MAX_POINTS = 20
SCALE_LIMIT = 1_000_000  # far beyond any scale, well inside the integer column
MAX_QUESTIONS = 200
MAX_SEGMENT_BY = 3
SETTINGS = ("name", "kind", "description", "min_n", "unit_attribute", "contact_attribute")
QUESTION_FIELDS = ("text", "texts", "type", "scale_min", "scale_max", "group")
SCALE_FIELDS = ("type", "scale_min", "scale_max")
NPS_SCALES = ((None, None), (0, None), (None, 10), (0, 10))
RATIO = Aggregation.RATIO


def create_survey(organisation: Organisation, data: dict) -> Survey:
    """A new survey of `organisation` with its questions, in the order given."""
    survey = Survey(organisation=organisation)
    for name in SETTINGS:
        if name in data:
            setattr(survey, name, data[name])
    errors = _code_errors(organisation, data.get("code"))
    errors.update(settings_errors(survey))
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        errors["questions"] = [_("A survey needs at least one question.")]
        questions = []
    indicators = _indicators(organisation, questions)
    planned = _planned_questions(questions, {}, indicators, organisation, False, errors)
    if errors:
        raise ValidationError(errors)
    survey.code = data["code"]
    with restored_on_failure(survey, []), transaction.atomic():
        survey.save()
        for position, (question, _rebound) in enumerate(planned):
            question.survey, question.position = survey, position
            question.save()
    return survey


def update_survey(survey: Survey, data: dict) -> Survey:
    """Change the settings and questions `data` holds (see the module docstring)."""
    fields = [name for name in SETTINGS if name in data]
    with restored_on_failure(survey, fields), transaction.atomic():
        for name in fields:
            setattr(survey, name, data[name])
        errors = settings_errors(survey)
        if "code" in data and data["code"] != survey.code:
            errors["code"] = [_("A survey's code cannot change.")]
        questions = data.get("questions", [])
        if not isinstance(questions, list):
            errors["questions"] = [_("Send a list of questions.")]
            questions = []
        existing = {
            q.code: q for q in Question.objects.filter(survey=survey).select_related("indicator")
        }
        answered = survey.responses.exists()
        indicators = _indicators(survey.organisation, questions)
        planned = _planned_questions(
            questions, existing, indicators, survey.organisation, answered, errors
        )
        if len(existing) + sum(q.pk is None for q, _r in planned) > MAX_QUESTIONS:
            errors["questions"] = [_("At most %(max)s questions.") % {"max": MAX_QUESTIONS}]
        if errors:
            raise ValidationError(errors)
        survey.save()
        position = max((q.position for q in existing.values()), default=-1) + 1
        for question, rebound in planned:
            if question.pk is None:
                question.survey, question.position = survey, position
                position += 1
            question.save()
            if rebound:
                feed.enqueue_refeed(question.pk)
    return survey


def delete_survey(survey: Survey) -> None:
    """Delete it with its questions, responses and their revisions, and the measurements its
    questions fed to indicators."""
    with transaction.atomic():
        feed.unfeed(survey)
        survey.delete()


# -- the survey's settings ---------------------------------------------------------------------


def _code_errors(organisation: Organisation, code) -> dict[str, list[str]]:
    if not _is_slug(code):
        return {"code": [_slug_message(_("A survey code"))]}
    if Survey.objects.filter(organisation=organisation, code=code).exists():
        return {"code": [_("The organisation already has a survey “%(code)s”.") % {"code": code}]}
    return {}


def settings_errors(survey: Survey) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(survey.name, str) or not survey.name.strip() or len(survey.name) > NAME_MAX:
        errors["name"] = [
            _("A survey needs a name of at most %(max)s characters.") % {"max": NAME_MAX}
        ]
    elif "\x00" in survey.name:
        errors["name"] = [_("A name may not contain a NUL character.")]
    if survey.kind not in SurveyKind.values:
        errors["kind"] = [_choices_message(SurveyKind.values)]
    if not isinstance(survey.description, str) or "\x00" in survey.description:
        errors["description"] = [_("The description must be text without NUL characters.")]
    if not _is_int(survey.min_n) or not 1 <= survey.min_n <= MIN_N_MAX:
        errors["min_n"] = [
            _("The minimum n must be a whole number from 1 to %(max)s.") % {"max": MIN_N_MAX}
        ]
    for name in ("unit_attribute", "contact_attribute"):
        if not is_attribute_name(getattr(survey, name)):
            errors[name] = [_slug_message(_("An attribute name"))]
    return errors


# -- questions ---------------------------------------------------------------------------------


def _planned_questions(
    items: list, existing: dict, indicators: dict, organisation, answered: bool, errors: dict
) -> list[tuple[Question, bool]]:
    """(question to save, binding changed) per item, errors added under `questions.N.field`."""
    planned, seen = [], set()
    if len(items) > MAX_QUESTIONS:
        errors["questions"] = [_("At most %(max)s questions.") % {"max": MAX_QUESTIONS}]
        return planned
    for index, item in enumerate(items):
        at = f"questions.{index}"
        if not isinstance(item, dict):
            errors[at] = [_("Each question must be an object.")]
            continue
        code = item.get("code")
        if not _is_slug(code):
            errors[f"{at}.code"] = [_slug_message(_("A question code"))]
            continue
        if code in seen:
            errors[f"{at}.code"] = [_("Two questions have the code “%(code)s”.") % {"code": code}]
            continue
        seen.add(code)
        found = _question_plan(item, existing.get(code), indicators, organisation, answered)
        if isinstance(found, dict):
            errors.update({f"{at}.{name}": messages for name, messages in found.items()})
        else:
            planned.append(found)
    return planned


def _question_plan(item: dict, question, indicators: dict, organisation, answered: bool):
    """(question, binding changed), or {field: [messages]}."""
    new = question is None
    if new:
        question = Question(code=item["code"])
        answered = False  # a new question has no answers yet
    before = (question.type, question.scale_min, question.scale_max)
    binding_before = (question.indicator_id, list(question.segment_by))
    errors: dict[str, list[str]] = {}
    for name in ("text", "type") if new else ():
        if item.get(name) in (None, ""):
            errors[name] = [_("This field is required.")]
    if errors:
        return errors
    changes = {name: item[name] for name in QUESTION_FIELDS if name in item}
    if "type" in changes and changes["type"] != question.type and not new:
        # Another type starts from its own default scale unless the item names one.
        question.scale_min = question.scale_max = None
    for name, value in changes.items():
        setattr(question, name, value)
    errors.update(_wording_errors(question))
    errors.update(_scale_errors(question))
    if (
        answered
        and not errors
        and (question.type, question.scale_min, question.scale_max) != before
    ):
        after = (question.type, question.scale_min, question.scale_max)
        field = next(n for n, b, a in zip(SCALE_FIELDS, before, after, strict=True) if a != b)
        errors[field] = [
            _(
                "This question has answers: its type and scale cannot change. Add a new "
                "question for the new scale."
            )
        ]
    indicator = question.indicator
    if "indicator" in item:
        indicator = _resolved(item["indicator"], indicators)
        if item["indicator"] is None and "segment_by" not in item:
            question.segment_by = []
    if "segment_by" in item:
        question.segment_by = item["segment_by"]
    errors.update(_binding_errors(question, indicator, organisation))
    if errors:
        return errors
    question.indicator = indicator
    rebound = not new and (question.indicator_id, list(question.segment_by)) != binding_before
    return question, rebound


def _wording_errors(question: Question) -> dict[str, list[str]]:
    errors = {}
    text = question.text
    if not isinstance(text, str) or not text.strip() or len(text) > TEXT_MAX or "\x00" in text:
        errors["text"] = [_text_message()]
    texts = question.texts
    if not isinstance(texts, dict):
        errors["texts"] = [_("Send {language: wording} for en, sv and fi.")]
        return errors
    for language, wording in texts.items():
        if language not in LANGUAGES:
            errors[f"texts.{language}"] = [_choices_message(LANGUAGES)]
        elif not isinstance(wording, str) or len(wording) > TEXT_MAX or "\x00" in wording:
            errors[f"texts.{language}"] = [_text_message()]
    if not errors.get("texts"):
        question.texts = {k: v for k, v in texts.items() if v}  # an empty wording: use `text`
    if question.group not in QuestionGroup.values:
        errors["group"] = [_choices_message(QuestionGroup.values)]
    return errors


def _scale_errors(question: Question) -> dict[str, list[str]]:
    """Check the scale and fill a missing end from the type's default."""
    kind = question.type
    if kind not in QuestionType.values:
        return {"type": [_choices_message(QuestionType.values)]}
    low, high = question.scale_min, question.scale_max
    for name, value in (("scale_min", low), ("scale_max", high)):
        if value is not None and (not _is_int(value) or abs(value) > SCALE_LIMIT):
            return {name: [_("A scale end must be a whole number.")]}
    if kind == QuestionType.TEXT:
        if low is not None or high is not None:
            name = "scale_min" if low is not None else "scale_max"
            return {name: [_("A free-text question has no scale.")]}
        return {}
    if kind == QuestionType.NPS and (low, high) not in NPS_SCALES:
        name = "scale_min" if low not in (None, 0) else "scale_max"
        return {name: [_("NPS is always asked on 0..10.")]}
    default = DEFAULT_SCALES.get(kind)
    if default:
        low = default[0] if low is None else low
        high = default[1] if high is None else high
    elif low is None or high is None:
        name = "scale_min" if low is None else "scale_max"
        return {name: [_("A likert question needs both ends of its scale.")]}
    if low >= high:
        return {"scale_max": [_("The scale's maximum must be above its minimum.")]}
    if high - low + 1 > MAX_POINTS:
        return {"scale_max": [_("A scale has at most %(max)s points.") % {"max": MAX_POINTS}]}
    question.scale_min, question.scale_max = low, high
    return {}


# -- indicator bindings --------------------------------------------------------------------------


def _indicators(organisation: Organisation, items: list) -> dict:
    codes = {
        item["indicator"]
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get("indicator"), str)
        and "\x00" not in item["indicator"]
    }
    if not codes:
        return {}
    found = indicator_selectors.indicators_of(organisation=organisation).filter(code__in=codes)
    return {indicator.code: indicator for indicator in found}


_UNKNOWN = object()


def _resolved(value, indicators: dict):
    if value is None:
        return None
    if isinstance(value, str):
        return indicators.get(value, _UNKNOWN)
    return value  # an Indicator, checked in _binding_errors


def _binding_errors(question: Question, indicator, organisation) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    segment_by = question.segment_by
    if not isinstance(segment_by, list) or len(segment_by) > MAX_SEGMENT_BY:
        errors["segment_by"] = [
            _("Send a list of at most %(max)s attribute names.") % {"max": MAX_SEGMENT_BY}
        ]
    elif not all(is_attribute_name(name) for name in segment_by):
        errors["segment_by"] = [_slug_message(_("An attribute name"))]
    elif len(set(segment_by)) != len(segment_by):
        errors["segment_by"] = [_("An attribute is named twice.")]
    if indicator is None:
        if segment_by and not errors:
            errors["segment_by"] = [_("Only a question that feeds an indicator is segmented.")]
        return errors
    problem = _indicator_problem(question, indicator, organisation)
    if problem:
        errors["indicator"] = [problem]
    return errors


def _indicator_problem(question: Question, indicator, organisation) -> str | None:
    if indicator is _UNKNOWN or getattr(indicator, "organisation_id", None) != organisation.pk:
        return _("The organisation has no such indicator.")
    if question.type == QuestionType.TEXT:
        return _("A free-text question is not scored, so it cannot feed an indicator.")
    if indicator.is_formula:
        return _("A formula indicator is computed and takes no measurements.")
    allowed = feed.AGGREGATIONS.get(question.type, ())
    if indicator.aggregation not in allowed:
        if RATIO in allowed:
            message = _(
                "The survey feeds one measurement per answer, so only an indicator aggregated "
                "as a mean or a ratio gives the period's score; this one is aggregated as "
                "%(aggregation)s."
            )
        else:
            message = _(
                "The survey feeds one measurement per answer, so only an indicator aggregated "
                "as a mean gives the period's mean answer; this one is aggregated as "
                "%(aggregation)s."
            )
        return message % {"aggregation": indicator.aggregation}
    return None


# -- small checks ------------------------------------------------------------------------------


def _is_slug(value) -> bool:
    return isinstance(value, str) and len(value) <= CODE_MAX and SLUG.fullmatch(value) is not None


def is_attribute_name(value) -> bool:
    """A background variable's name: a slug of at most 50 characters."""
    return (
        isinstance(value, str) and len(value) <= ATTRIBUTE_MAX and SLUG.fullmatch(value) is not None
    )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _slug_message(what: str) -> str:
    return _("%(what)s is 1-50 letters, digits, hyphens or underscores.") % {"what": what}


def _text_message() -> str:
    return _("A wording is 1-%(max)s characters without NUL characters.") % {"max": TEXT_MAX}


def _choices_message(values) -> str:
    return _("Choose one of: %(values)s.") % {"values": ", ".join(v or '""' for v in values)}
