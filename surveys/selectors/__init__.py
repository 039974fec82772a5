"""The reads of surveys that pages and the API share, scoped to an organisation.

Results are aggregated in the database: one GROUP BY counts the numeric answers of a question per
scale point (and per segment when cut `by` a background variable), and `compute` turns those
counts into scores. `catalogue` finds surveys, background variables and responses; `answers`
counts; `results` scores overall, per segment and per period.
"""

from .answers import AnswerIsNumber, AnswerNumber, all_answer_counts, answer_counts
from .catalogue import (
    attribute_names,
    attribute_values,
    natural_key,
    response_page_queryset,
    scale_of,
    scored_questions,
    survey_of,
    surveys_of,
)
from .fed import fed_measurements
from .headlines import headline_question, headline_scores, survey_rows
from .results import (
    PeriodComparison,
    QuestionResults,
    difference_dict,
    period_comparison,
    period_difference,
    question_results,
    score_dict,
    survey_results,
)

__all__ = [
    "fed_measurements",
    "AnswerIsNumber",
    "AnswerNumber",
    "PeriodComparison",
    "QuestionResults",
    "all_answer_counts",
    "answer_counts",
    "attribute_names",
    "attribute_values",
    "difference_dict",
    "headline_question",
    "headline_scores",
    "natural_key",
    "period_comparison",
    "period_difference",
    "question_results",
    "response_page_queryset",
    "scale_of",
    "score_dict",
    "scored_questions",
    "survey_of",
    "survey_results",
    "survey_rows",
    "surveys_of",
]
