"""Surveys of an organisation, their questions, background variables and responses."""

import json
import re
from datetime import date

from django.db import connections
from django.db.models import (
    Count,
    Max,
    Prefetch,
    QuerySet,
    TextField,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.http import Http404

from ..models import DEFAULT_SCALES, Question, Response, Survey

Counts = dict[int, int]  # {scale point: number of answers}
Period = tuple[date | None, date | None]


def surveys_of(organisation) -> QuerySet[Survey]:
    """The organisation's surveys with `response_count` and `last_submitted` (None: no answers)."""
    return Survey.objects.filter(organisation=organisation).annotate(
        response_count=Count("responses"), last_submitted=Max("responses__submitted_at")
    )


def survey_of(organisation, code: str) -> Survey:
    """The organisation's survey `code` with its questions (and the indicators they feed)
    prefetched; Http404 when none."""
    questions = Prefetch("questions", queryset=Question.objects.select_related("indicator"))
    survey = (
        Survey.objects.filter(organisation=organisation, code=code)
        .prefetch_related(questions)
        .first()
    )
    if survey is None:
        raise Http404(f"no survey {code!r}")
    return survey


def scale_of(question: Question) -> tuple[int, int]:
    """The question's scale, its type's default where a bound is unset."""
    low, high = DEFAULT_SCALES.get(question.type, (None, None))
    low = question.scale_min if question.scale_min is not None else low
    high = question.scale_max if question.scale_max is not None else high
    return low, high


def scored_questions(survey: Survey) -> list[Question]:
    return [question for question in survey.questions.all() if question.scored]


def json_path(key: str) -> str:
    return "$." + json.dumps(key)


def responses_between(survey: Survey, start: date | None, end: date | None) -> QuerySet[Response]:
    responses = Response.objects.filter(survey=survey)
    if start is not None:
        responses = responses.filter(local_date__gte=start)
    if end is not None:
        responses = responses.filter(local_date__lte=end)
    return responses.order_by()


def natural_key(text: str) -> list:
    """'unit 2' before 'unit 10': digit runs compare as numbers."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", text)
        if part
    ]


_ATTRIBUTE_NAMES = {
    "postgresql": "SELECT DISTINCT jsonb_object_keys(r.attributes) FROM ({responses}) AS r",
    "sqlite": "SELECT DISTINCT key FROM ({responses}) AS r, json_each(r.attributes)",
}


def attribute_names(survey: Survey) -> list[str]:
    """The background variables any response of the survey has, sorted."""
    responses = responses_between(survey, None, None).values("attributes")
    inner, params = responses.query.sql_with_params()
    connection = connections[responses.db]
    with connection.cursor() as cursor:
        cursor.execute(_ATTRIBUTE_NAMES[connection.vendor].format(responses=inner), params)
        return sorted((row[0] for row in cursor.fetchall()), key=natural_key)


def attribute_values(survey: Survey, name: str) -> list[str]:
    """The values (as text) the responses have for background variable `name`, sorted."""
    values = (
        responses_between(survey, None, None)
        .annotate(value=KeyTextTransform(name, "attributes"))
        .filter(value__isnull=False)
        .values_list("value", flat=True)
        .distinct()
    )
    return sorted({str(value) for value in values}, key=natural_key)


def response_page_queryset(
    survey: Survey,
    *,
    attribute: str | None = None,
    value: str | None = None,
    start: date | None = None,
    end: date | None = None,
    respondent: str | None = None,
) -> QuerySet[Response]:
    """The survey's responses, newest first, filtered by one background variable's value, the
    local dates (inclusive) and a part of the respondent id."""
    responses = responses_between(survey, start, end)
    if attribute is not None and value is not None:
        # Cast: compared as text, not by the JSON lookups of a key transform.
        text = Cast(KeyTextTransform(attribute, "attributes"), TextField())
        responses = responses.alias(attribute_value=text)
        responses = responses.filter(attribute_value=value)
    if respondent:
        responses = responses.filter(respondent__icontains=respondent)
    return responses.order_by("-submitted_at", "-pk")
