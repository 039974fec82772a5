"""Surveys and responses made straight in the database (no ingest), for the results tests.

`make_survey(organisation, code="rel", questions=[...])` makes a survey and its questions;
`make_responses(survey, rows)` bulk-creates one response per row, where a row is a dict of
`answers` and optionally `attributes`, `local_date` (a date; default 2026-03-02) and
`respondent` (default r<position>). `submitted_at` is noon UTC of `local_date`.
"""

from datetime import UTC, date, datetime, time

from surveys.models import Question, Response, Survey

DAY = date(2026, 3, 2)

# Questions of every scored type, and a free-text one.
QUESTIONS = [
    {"code": "nps", "type": "nps", "text": "How likely are you to recommend us?"},
    {"code": "csat", "type": "csat", "text": "How satisfied are you?", "scale": (1, 5)},
    {"code": "ces", "type": "ces", "text": "How easy was it?", "scale": (1, 7)},
    {"code": "team", "type": "likert", "text": "My team sets goals.", "scale": (1, 5)},
    {"code": "why", "type": "text", "text": "Why?"},
]
DEFAULT_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def make_survey(organisation, code="rel", questions=None, **fields) -> Survey:
    """A survey with `questions`: dicts of code, type, text and optionally scale (min, max),
    group; scored types default to their standard scale (likert needs one)."""
    survey = Survey.objects.create(
        organisation=organisation, code=code, name=fields.pop("name", code.title()), **fields
    )
    for position, spec in enumerate(QUESTIONS if questions is None else questions):
        scale = spec.get("scale", DEFAULT_SCALES.get(spec["type"], (None, None)))
        Question.objects.create(
            survey=survey,
            code=spec["code"],
            type=spec["type"],
            text=spec.get("text", spec["code"]),
            scale_min=scale[0],
            scale_max=scale[1],
            position=position,
            group=spec.get("group", ""),
        )
    return survey


def make_responses(survey: Survey, rows) -> list[Response]:
    """One response per row ({answers, attributes?, local_date?, respondent?}), in bulk."""
    responses = []
    for i, row in enumerate(rows):
        day = row.get("local_date", DAY)
        responses.append(
            Response(
                survey=survey,
                respondent=row.get("respondent", f"r{i}"),
                submitted_at=datetime.combine(day, time(12), tzinfo=UTC),
                local_date=day,
                attributes=row.get("attributes", {}),
                answers=row["answers"],
            )
        )
    return Response.objects.bulk_create(responses, batch_size=2000)


def rows_of(code: str, values, **extra) -> list[dict]:
    """One row per value, answering question `code` (None: skipped), with the same `extra`."""
    return [{"answers": {code: value}, **extra} for value in values]
