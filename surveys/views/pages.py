"""Reading pages of the surveys: the list, a survey's results, and its response browser.

Views read through `selectors` (scoped to the organisation; another organisation's survey is a
404), draw with `charts` and say the numbers in `words`; templates only place them. Scores come
from `compute` through the selectors; a page computes no statistics of its own.
"""

from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import formats
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.pages import page, role_required
from indicators.charts import figure_json

from .. import charts, compute, selectors
from ..models import QuestionType, SurveyKind
from ..words import HEADLINE_DAYS, difference_words, headline_windows, score_words
from .filters import ResponsesFilter, ResultsFilter

RESPONSES_PER_PAGE = 25
TEXT_ANSWERS_SHOWN = 5
TEXT_RESPONSES_READ = 200  # the latest responses searched for free-text answers


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def headlines(organisation, surveys: list) -> dict:
    """{survey pk: {"question", "words"}} over the last 90 days, for the list and the dashboard."""
    windows = headline_windows(surveys, organisation.tz)
    scores = selectors.headline_scores(surveys, windows=windows)
    return {
        survey.pk: {
            "question": scores[survey.pk][0],
            "words": score_words(scores[survey.pk][1], survey.min_n),
        }
        for survey in surveys
        if survey.pk in scores
    }


# --- the list ---------------------------------------------------------------------------------


@role_required(Role.VIEWER)
def survey_list(request):
    """Every survey: kind, responses, last response, its headline score of the last 90 days."""
    organisation = request.membership.organisation
    surveys = list(selectors.surveys_of(organisation))
    scores = headlines(organisation, surveys)
    for survey in surveys:
        survey.headline = scores.get(survey.pk)
    context = {
        "surveys": surveys,
        "headline_days": HEADLINE_DAYS,
        "has_engagement": any(s.kind == SurveyKind.ENGAGEMENT for s in surveys),
    }
    return page(request, "surveys/survey_list.html", context)


# --- results ----------------------------------------------------------------------------------


def _segment_rows(results, differences: dict, min_n: int) -> list[dict]:
    reference = results.reference
    rows = []
    for label, score in results.segments:
        row = {"label": label, "words": score_words(score, min_n)}
        if label == reference:
            row["is_reference"] = True
        else:
            # A group below the minimum n is not compared: its interval says too little.
            difference = None if score.too_few else differences.get(label)
            differences[label] = difference
            row["difference"] = difference_words(difference, results.question.type, reference)
            row["class"] = charts.difference_class(difference)
        rows.append(row)
    return rows


def _comparison(rows, reference, differences: dict, question_type: str) -> str:
    return figure_json(
        charts.comparison_figure(
            rows,
            reference=reference,
            differences=differences,
            unit=charts.score_unit(question_type),
        )
    )


def _period_block(results, earlier, labels: dict, min_n: int) -> dict:
    """This period against the one to compare with: both scores, their difference in words."""
    question = results.question
    counts = lambda score: dict(score.distribution)  # noqa: E731 - the counts the score came from
    difference = compute.difference(
        question.type,
        selectors.scale_of(question),
        counts(results.overall),
        counts(earlier.overall),
    )
    rows = [(labels["earlier"], earlier.overall), (labels["this"], results.overall)]
    return {
        "earlier": score_words(earlier.overall, min_n),
        "words": difference_words(difference, question.type, labels["earlier"]),
        "class": charts.difference_class(difference),
        "figure": _comparison(rows, labels["earlier"], {labels["this"]: difference}, question.type),
    }


def _question_card(results, min_n: int, *, compared=None, labels=None) -> dict:
    question = results.question
    differences = dict(results.differences)
    segments = _segment_rows(results, differences, min_n)  # drops too-few groups' differences
    card = {
        "question": question,
        "wording": question.wording(),
        "words": score_words(results.overall, min_n),
        "figure": figure_json(charts.results_figure(results, selectors.scale_of(question))),
        "scale": selectors.scale_of(question),
        "segments": segments,
        "reference": results.reference,
    }
    if results.segments:
        card["comparison"] = _comparison(
            results.segments, results.reference, differences, question.type
        )
    if compared is not None:
        card["period"] = _period_block(results, compared, labels, min_n)
    return card


def _text_answers(survey, questions: list, start, end) -> list[dict]:
    """The latest few answers to each free-text question, in one read."""
    if not questions:
        return []
    latest = list(
        selectors.response_page_queryset(survey, start=start, end=end).only(
            "respondent", "submitted_at", "answers"
        )[:TEXT_RESPONSES_READ]
    )
    browser = reverse("survey-responses", args=[survey.code])
    blocks = []
    for question in questions:
        answers = []
        for response in latest:
            text = response.answers.get(question.code)
            if isinstance(text, str) and text.strip():
                url = f"{browser}?{urlencode({'respondent': response.respondent})}"
                answers.append({"text": text, "response": response, "url": url})
            if len(answers) == TEXT_ANSWERS_SHOWN:
                break
        blocks.append({"question": question, "wording": question.wording(), "answers": answers})
    return blocks


def _period_words(start, end) -> str:
    if start and end:
        return _("%(start)s to %(end)s") % {"start": _date(start), "end": _date(end)}
    if start:
        return _("from %(start)s") % {"start": _date(start)}
    if end:
        return _("up to %(end)s") % {"end": _date(end)}
    return _("all answers")


@role_required(Role.VIEWER)
def survey_results(request, code: str):
    """A survey's scored questions: each score in words with its interval, the answers'
    distribution, the cut by an attribute against a reference, and a period comparison."""
    organisation = request.membership.organisation
    survey = selectors.survey_of(organisation, code)
    attributes = selectors.attribute_names(survey)
    filters = ResultsFilter(request.GET or None, attributes=attributes)
    valid = filters.is_valid() if request.GET else True
    chosen = filters.cleaned_data if request.GET and valid else {}
    start, end, by = chosen.get("from"), chosen.get("to"), chosen.get("by") or None
    compare = (chosen.get("compare_from"), chosen.get("compare_to"))
    questions = list(survey.questions.all())
    cards = []
    if valid:
        results = selectors.survey_results(survey, by=by, start=start, end=end)
        if by and chosen.get("reference"):
            results = [
                selectors.question_results(
                    survey, r.question, by=by, start=start, end=end, reference=chosen["reference"]
                )
                if any(label == chosen["reference"] for label, _s in r.segments)
                else r
                for r in results
            ]
        earlier = {}
        labels = {
            "this": _("this period (%(period)s)") % {"period": _period_words(start, end)},
            "earlier": _("the period compared with (%(period)s)")
            % {"period": _period_words(*compare)},
        }
        if compare[0]:
            earlier = {
                r.question.pk: r
                for r in selectors.survey_results(survey, start=compare[0], end=compare[1])
            }
        cards = [
            _question_card(r, survey.min_n, compared=earlier.get(r.question.pk), labels=labels)
            for r in results
        ]
    texts = [q for q in questions if q.type == QuestionType.TEXT]
    context = {
        "survey": survey,
        "filters": filters,
        "cards": cards,
        "by": by,
        "period": _period_words(start, end),
        "comparing": bool(compare[0]),
        "text_blocks": _text_answers(survey, texts, start, end) if valid else [],
        "has_questions": bool(questions),
    }
    return page(request, "surveys/survey_results.html", context, status=200 if valid else 400)


# --- the response browser ---------------------------------------------------------------------


@role_required(Role.VIEWER)
def survey_responses(request, code: str):
    """The responses, newest first, 25 a page, filtered by date, one attribute value and
    respondent."""
    organisation = request.membership.organisation
    survey = selectors.survey_of(organisation, code)
    attributes = selectors.attribute_names(survey)
    filters = ResponsesFilter(request.GET or None, attributes=attributes)
    valid = filters.is_valid() if request.GET else True
    chosen = filters.cleaned_data if request.GET and valid else {}
    rows = selectors.response_page_queryset(
        survey,
        attribute=chosen.get("attribute") or None,
        value=chosen.get("value") if chosen.get("attribute") else None,
        start=chosen.get("from"),
        end=chosen.get("to"),
        respondent=chosen.get("respondent") or None,
    )
    responses = Paginator(rows, RESPONSES_PER_PAGE).get_page(request.GET.get("page"))
    questions = list(survey.questions.all())
    for response in responses:
        response.cells = [_cell(response.answers.get(q.code), q) for q in questions]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "survey": survey,
        "filters": filters,
        "responses": responses,
        "questions": questions,
        "filtered": bool(chosen and any(chosen.values())),
        "query": query.urlencode(),
    }
    return page(request, "surveys/survey_responses.html", context, status=200 if valid else 400)


def _cell(answer, question) -> dict:
    if answer is None:
        return {"text": "", "skipped": True}
    return {"text": str(answer), "long": question.type == QuestionType.TEXT}
