"""Each survey's headline score, for the survey list and the dashboard: two queries for any
number of surveys (their scored questions, then one GROUP BY over all their answers)."""

from datetime import date
from functools import reduce
from operator import or_

from django.db.models import Case, Count, Q, When

from .. import compute
from ..models import SCORED_TYPES, Question, QuestionType, Response, Survey
from .answers import AnswerNumber
from .catalogue import scale_of

HEADLINE_TYPES = (QuestionType.NPS, QuestionType.CSAT)


def headline_question(questions: list[Question]) -> Question | None:
    """The question a survey is summed up by: its first NPS question, else its first CSAT
    question, else its first scored question (questions in the survey's order)."""
    scored = [question for question in questions if question.type in SCORED_TYPES]
    for kind in HEADLINE_TYPES:
        for question in scored:
            if question.type == kind:
                return question
    return scored[0] if scored else None


def _headline_questions(surveys: list[Survey]) -> dict[int, Question]:
    questions: dict[int, list[Question]] = {}
    for question in Question.objects.filter(
        survey__in=[s.pk for s in surveys], type__in=SCORED_TYPES
    ).order_by("survey", "position", "pk"):
        questions.setdefault(question.survey_id, []).append(question)
    chosen = {pk: headline_question(found) for pk, found in questions.items()}
    return {pk: question for pk, question in chosen.items() if question is not None}


def headline_scores(
    surveys: list[Survey], *, windows: dict[int, tuple[date, date]]
) -> dict[int, tuple[Question, compute.Score]]:
    """{survey pk: (headline question, its Score over its window [start, end])}, `windows` by
    survey pk (a survey without a window has no answers to score); a survey without a scored
    question is left out. Two queries whatever the number of surveys."""
    if not surveys:
        return {}
    questions = _headline_questions(surveys)
    if not questions:
        return {}
    point = Case(
        *(When(survey_id=pk, then=AnswerNumber(q.code)) for pk, q in questions.items()),
        default=None,
    )
    within = [
        Q(survey_id=pk, local_date__gte=windows[pk][0], local_date__lte=windows[pk][1])
        for pk in questions
        if pk in windows
    ]
    responses = Response.objects.filter(reduce(or_, within)) if within else Response.objects.none()
    rows = (
        responses.order_by()
        .annotate(point=point)
        .filter(point__isnull=False)
        .values_list("survey_id", "point")
        .annotate(count=Count("*"))
    )
    counts: dict[int, dict[int, int]] = {pk: {} for pk in questions}
    for survey_id, value, count in rows:
        low, high = scale_of(questions[survey_id])
        number = float(value)
        if number.is_integer() and low <= number <= high:  # off-scale answers are not scored
            counts[survey_id][int(number)] = counts[survey_id].get(int(number), 0) + count
    min_n = {survey.pk: survey.min_n for survey in surveys}
    return {
        pk: (q, compute.score(q.type, scale_of(q), counts[pk], min_n[pk]))
        for pk, q in questions.items()
    }


def survey_rows(organisation):
    """The organisation's surveys without annotations: for an Exists() riding on another query
    (`surveys_of` joins the responses to count them)."""
    return Survey.objects.filter(organisation=organisation)
