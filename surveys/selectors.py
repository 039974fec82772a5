"""STUB of part A's selectors (only what the API of part B reads): drop on merge, keep part A's."""

from django.db.models import Count, Max, Prefetch, QuerySet
from django.http import Http404

from .models import Question, Response, Survey


def _questions():
    return Prefetch("questions", queryset=Question.objects.select_related("indicator"))


def surveys_of(organisation) -> QuerySet[Survey]:
    return Survey.objects.filter(organisation=organisation).annotate(
        response_count=Count("responses"), last_submitted=Max("responses__submitted_at")
    )


def survey_of(organisation, code) -> Survey:
    survey = (
        Survey.objects.filter(organisation=organisation, code=code)
        .select_related("organisation")
        .prefetch_related(_questions())
        .first()
    )
    if survey is None:
        raise Http404
    return survey


def response_page_queryset(
    survey, *, attribute=None, value=None, start=None, end=None, respondent=None
) -> QuerySet[Response]:
    responses = Response.objects.filter(survey=survey)
    if attribute is not None:
        responses = responses.filter(**{f"attributes__{attribute}": value})
    if start is not None:
        responses = responses.filter(local_date__gte=start)
    if end is not None:
        responses = responses.filter(local_date__lte=end)
    if respondent is not None:
        responses = responses.filter(respondent=respondent)
    return responses.order_by("-submitted_at", "-pk")
