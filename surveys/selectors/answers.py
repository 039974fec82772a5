"""Answers counted in the database: one GROUP BY per call, numeric answers only.

A skipped (null), missing, text or boolean answer is not a number and so never counted in n;
answers are counted per scale point, overall (key None) and per segment of a background variable.
"""

from datetime import date

from django.db import connections
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Value,
)
from django.db.models.fields.json import KeyTextTransform

from ..models import Question, Survey
from .catalogue import Counts, json_path, responses_between, scale_of


class _AnswerFunc(Func):
    """An expression over one question's answer in `answers`."""

    def __init__(self, code: str):
        super().__init__(F("answers"))
        self.code = code

    def _compiled(self, compiler, template: str, path: str):
        column, params = compiler.compile(self.source_expressions[0])
        return template.format(column=column), (*params, path) * template.count("%s")


class AnswerIsNumber(_AnswerFunc):
    """Whether the answer is a JSON number (not missing, null, text or a boolean)."""

    output_field = BooleanField()

    def as_postgresql(self, compiler, connection, **extra):
        return self._compiled(compiler, "jsonb_typeof({column} -> %s) = 'number'", self.code)

    def as_sqlite(self, compiler, connection, **extra):
        template = "json_type({column}, %s) IN ('integer', 'real')"
        return self._compiled(compiler, template, json_path(self.code))


class AnswerNumber(_AnswerFunc):
    """The numeric answer to one question: NULL when it is missing, null, text or a boolean."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            "CASE WHEN jsonb_typeof({column} -> %s) = 'number' THEN ({column} -> %s)::float8 END"
        )
        return self._compiled(compiler, template, self.code)

    def as_sqlite(self, compiler, connection, **extra):
        # json_extract gives the number itself, or text, NULL or 0/1 for the others.
        template = (
            "CASE WHEN json_type({column}, %s) IN ('integer', 'real') "
            "THEN json_extract({column}, %s) END"
        )
        return self._compiled(compiler, template, json_path(self.code))


def _segment(by: str | None):
    if by is None:
        return Value(None, output_field=CharField())
    return KeyTextTransform(by, "attributes")


def _add(found: dict, segment, point, count: int, scale: tuple[int, int]) -> None:
    """Count `count` answers of `point` for the segment and for the overall (key None)."""
    number = float(point)
    # An answer off the scale's points (the ingest refuses them) cannot be scored: left out.
    if not number.is_integer() or not scale[0] <= number <= scale[1]:
        return
    keys = [None] if segment is None else [None, str(segment)]
    for key in keys:
        counts = found.setdefault(key, {})
        counts[int(number)] = counts.get(int(number), 0) + count


def answer_counts(
    survey: Survey,
    question: Question,
    *,
    by: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict[str | None, Counts]:
    """{None: overall counts, segment: counts} of the question's numeric answers, per scale
    point, answered between `start` and `end` (local dates, inclusive); one GROUP BY.

    Cut `by` a background variable, each value (as text) is a segment; a response without it
    counts in the overall only.
    """
    rows = (
        responses_between(survey, start, end)
        .filter(AnswerIsNumber(question.code))
        .annotate(point=AnswerNumber(question.code), segment=_segment(by))
        .values_list("segment", "point")
        .annotate(count=Count("*"))
    )
    found: dict[str | None, Counts] = {None: {}}
    scale = scale_of(question)
    for segment, point, count in rows:
        _add(found, segment, point, count, scale)
    return found


# Every numeric answer of every question, from the responses' subquery `r` (answers, segment).
_ALL_ANSWERS = {
    "postgresql": (
        "SELECT answer.key, answer.value::numeric, r.segment, COUNT(*) FROM ({responses}) AS r "
        "CROSS JOIN LATERAL jsonb_each(r.answers) AS answer "
        "WHERE jsonb_typeof(answer.value) = 'number' GROUP BY 1, 2, 3"
    ),
    "sqlite": (
        "SELECT answer.key, answer.value, r.segment, COUNT(*) FROM ({responses}) AS r, "
        "json_each(r.answers) AS answer "
        "WHERE answer.type IN ('integer', 'real') GROUP BY 1, 2, 3"
    ),
}


def all_answer_counts(
    survey: Survey,
    questions: list[Question],
    *,
    by: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, dict[str | None, Counts]]:
    """`answer_counts` of several questions at once, {question code: ...}; one GROUP BY."""
    responses = (
        responses_between(survey, start, end)
        .annotate(segment=_segment(by))
        .values("answers", "segment")
    )
    inner, params = responses.query.sql_with_params()
    connection = connections[responses.db]
    scales = {question.code: scale_of(question) for question in questions}
    found = {code: {None: {}} for code in scales}
    with connection.cursor() as cursor:
        cursor.execute(_ALL_ANSWERS[connection.vendor].format(responses=inner), params)
        for code, point, segment, count in cursor.fetchall():
            if code in scales:
                _add(found[code], segment, point, count, scales[code])
    return found
