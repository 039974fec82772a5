"""Scores overall and per segment, differences to a reference segment and between periods."""

from dataclasses import dataclass
from datetime import date

from .. import compute
from ..models import Question, Survey
from .answers import Counts, all_answer_counts, answer_counts
from .catalogue import Period, natural_key, scale_of, scored_questions


@dataclass(frozen=True)
class QuestionResults:
    question: Question
    overall: compute.Score
    segments: list[tuple[str, compute.Score]]
    differences: list[tuple[str, compute.Difference | None]]  # segment minus the reference
    reference: str | None
    min_n: int

    def as_dict(self) -> dict:
        """The results API's answer (DESIGN section 6)."""
        differences = dict(self.differences)
        return {
            "question": self.question.code,
            "type": self.question.type,
            "overall": score_dict(self.overall),
            "segments": [
                {
                    "segment": segment,
                    **score_dict(score),
                    "difference": difference_dict(differences.get(segment)),
                }
                for segment, score in self.segments
            ],
            "reference": self.reference,
            "min_n": self.min_n,
        }


def score_dict(score: compute.Score) -> dict:
    """A score as the API gives it (the question's type is said once, beside it)."""
    answer = score.as_dict()
    del answer["type"]
    return answer


def difference_dict(difference: compute.Difference | None) -> dict | None:
    return None if difference is None else difference.as_dict()


def _results(
    survey: Survey, question: Question, counts: dict[str | None, Counts], reference: str | None
) -> QuestionResults:
    scale = scale_of(question)
    overall = compute.score(question.type, scale, counts[None], survey.min_n)
    names = sorted((key for key in counts if key is not None), key=natural_key)
    if reference not in names:  # none asked for, or no answer in the range has it
        reference = None
    if reference is None and names:
        # The largest segment (ties: the first in order) is the steadiest to compare against.
        reference = max(names, key=lambda name: (sum(counts[name].values()), -names.index(name)))
    segments = [
        (name, compute.score(question.type, scale, counts[name], survey.min_n)) for name in names
    ]
    differences = [
        (
            name,
            None
            if name == reference
            else compute.difference(question.type, scale, counts[name], counts[reference]),
        )
        for name in names
    ]
    return QuestionResults(question, overall, segments, differences, reference, survey.min_n)


def question_results(
    survey: Survey,
    question: Question,
    *,
    by: str | None = None,
    start: date | None = None,
    end: date | None = None,
    reference: str | None = None,
) -> QuestionResults:
    """The question's score overall and per segment of `by`, each segment's difference to the
    `reference` segment (default, and when no answer in the range has the one asked for: the
    segment with the most answers; the answer's `reference` says which); one query.
    """
    counts = answer_counts(survey, question, by=by, start=start, end=end)
    return _results(survey, question, counts, reference)


def survey_results(
    survey: Survey,
    *,
    by: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[QuestionResults]:
    """`question_results` of every scored question, in the survey's order; one query in all."""
    questions = scored_questions(survey)
    counts = all_answer_counts(survey, questions, by=by, start=start, end=end)
    return [_results(survey, question, counts[question.code], None) for question in questions]


@dataclass(frozen=True)
class PeriodComparison:
    first: compute.Score
    second: compute.Score
    difference: compute.Difference | None  # first minus second


def period_comparison(
    survey: Survey,
    question: Question,
    *,
    first: Period,
    second: Period,
    by: str | None = None,
    segment: str | None = None,
) -> PeriodComparison:
    """The question's score in two date ranges and the first's minus the second's (two queries).

    With `by` and `segment`, of that segment's answers only; else of all answers.
    """
    scale = scale_of(question)
    key = segment if by is not None else None
    counts = [
        answer_counts(survey, question, by=by, start=start, end=end).get(key, {})
        for start, end in (first, second)
    ]
    scores = [compute.score(question.type, scale, c, survey.min_n) for c in counts]
    difference = compute.difference(question.type, scale, counts[0], counts[1])
    return PeriodComparison(scores[0], scores[1], difference)


def period_difference(
    survey: Survey,
    question: Question,
    *,
    first: Period,
    second: Period,
    by: str | None = None,
    segment: str | None = None,
) -> compute.Difference | None:
    """The question's score in `first` minus its score in `second` (date ranges, inclusive),
    with its interval; None when either has fewer than 2 answers."""
    return period_comparison(
        survey, question, first=first, second=second, by=by, segment=segment
    ).difference
