"""Bulk ingest of survey responses: validate the whole batch, then upsert it on (survey, respondent).

The mechanics (one transaction, created / updated / unchanged per item, revisions, the retry of a
write conflict, a fixed number of statements) are `core.bulk`'s, as for measurements; this module
owns the rules of a response item:

    {"respondent": "r-1042",                       # required, 1-200 characters
     "submitted_at": "2026-03-02T10:15:00+02:00",  # or a bare date: that day's start, local
     "attributes": {"unit": "north", "tenure": 3},  # flat: strings or numbers (kept as text)
     "answers": {"nps": 9, "effort": null, "why": "Quick answer"}}

A scored answer is a whole number on its question's scale, a text answer a string; null is a
skipped answer, stored as null and never counted. A null attribute is not given and is dropped.
Refused, with nothing written: unknown fields or question codes, answers off the scale or not
whole numbers (numeric strings and booleans too), attributes that are not flat strings or finite
numbers, a respondent twice in one batch, a time more than a day in the future.

Error messages are in the active language: the request's, so the API answers in the caller's.
"""

import functools
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import msgspec
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import BatchRefused, BulkResult, ItemErrors, bulk_upsert
from indicators.compute.periods import parse_observed_at
from indicators.services.ingest_fast import full_timestamp
from indicators.services.items import EARLIEST_DAY

from ..models import QuestionType, Survey
from . import feed
from .response_store import RESPONSES
from .surveys import ATTRIBUTE_MAX, is_attribute_name

ITEM_FIELDS = frozenset({"respondent", "submitted_at", "attributes", "answers"})
RESPONDENT_MAX = 200
ATTRIBUTE_VALUE_MAX = 200
MAX_ATTRIBUTES = 50
TEXT_ANSWER_MAX = 5000
FUTURE_GRACE = timedelta(days=1)


class ResponsesRefused(BatchRefused):
    """The batch was refused; `errors` names every bad item and field. Nothing was written."""


@dataclass(slots=True)
class CleanResponse:
    index: int
    survey_id: int
    respondent: str
    submitted_at: datetime
    local_date: date
    attributes: dict
    attributes_text: str
    answers: dict
    answers_text: str


def ingest_responses(*, survey: Survey, items: list, dry_run: bool = False) -> BulkResult:
    """Validate all `items`, then create, update or leave each response; all or nothing.

    Raises ResponsesRefused (and writes nothing) if any item is bad. After commit the written
    respondents' answers are fed to the indicators their questions are bound to.
    """
    written: list[str] = []

    def remember(*, created, updated, now):
        written[:] = [item.respondent for item in created] + [new.respondent for _o, new in updated]

    return bulk_upsert(
        table=RESPONSES,
        items=items,
        validate=lambda raw: validate_responses(survey=survey, items=raw),
        dry_run=dry_run,
        on_write=remember,
        after_commit=lambda: feed.enqueue_feed(survey.pk, list(written)),
    )


def validate_responses(*, survey: Survey, items: list) -> list[CleanResponse]:
    """Check every item; raise ResponsesRefused naming all bad items and fields."""
    questions = {q.code: q for q in survey.questions.all()}
    checks = _answer_checks(questions)
    tz = survey.organisation.tz
    latest = timezone.now() + FUTURE_GRACE
    errors = ItemErrors()
    clean: list[CleanResponse] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(items):
        item = _fast_item(raw, index, survey.pk, checks, tz, latest) or _clean_item(
            raw, index, survey.pk, questions, tz, latest, errors
        )
        if item is None:
            _note_respondent(raw, index, seen)
            continue
        if item.respondent in seen:
            message = _("Same respondent as item %(index)s in this batch.")
            errors.add(index, "respondent", message % {"index": seen[item.respondent]})
            continue
        seen[item.respondent] = index
        clean.append(item)
    for found in errors.items:
        # A field or message may quote the client's input; a NUL in it could not be stored
        # (jsonb) when the answer is remembered for an Idempotency-Key.
        found["field"] = found["field"].replace("\x00", "\\u0000")
        found["message"] = found["message"].replace("\x00", "\\u0000")
    errors.raise_if_any(ResponsesRefused)
    return clean


# -- the fast path: a well-formed item in one pass ----------------------------------------------


def _answer_checks(questions: dict) -> frozenset:
    """Every (code, answer) the fast path takes: each point of each scored scale, and null."""
    pairs = {(code, None) for code in questions}
    for code, question in questions.items():
        if question.type != QuestionType.TEXT:
            pairs.update(
                (code, point) for point in range(question.scale_min, question.scale_max + 1)
            )
    return frozenset(pairs)


FAST_ANSWER_TYPES = frozenset({int, type(None)})  # not bool: type(True) is bool, not int
# Whole numbers are kept as their text (3 as "3"), as the full checker keeps them.
FAST_ATTRIBUTE_TYPES = frozenset({str, int})


def _fast_item(
    raw, index: int, survey_id: int, checks: frozenset, tz, latest
) -> CleanResponse | None:
    """The clean item for a plain well-formed `raw`, or None to send it to the full checker."""
    if type(raw) is not dict or not raw.keys() <= ITEM_FIELDS:
        return None
    respondent = raw.get("respondent")
    if type(respondent) is not str or not 0 < len(respondent) <= RESPONDENT_MAX:
        return None
    if "\x00" in respondent:
        return None
    submitted = _fast_timestamp(raw.get("submitted_at"), tz, latest)
    attributes = raw.get("attributes")
    answers = raw.get("answers")
    if submitted is None or (attributes is not None and type(attributes) is not dict):
        return None
    if answers is None:
        answers = {}
    elif type(answers) is not dict:
        return None
    # Two set operations in C instead of a loop: types first, since True == 1 in a set.
    if not set(map(type, answers.values())) <= FAST_ANSWER_TYPES:
        return None
    if not answers.items() <= checks:
        return None
    attributes_text = _fast_attributes_text(attributes)
    if attributes_text is None:
        return None
    return CleanResponse(
        index=index,
        survey_id=survey_id,
        respondent=respondent,
        submitted_at=submitted[0],
        local_date=submitted[1],
        attributes=_decoded_attributes(attributes_text),
        attributes_text=attributes_text,
        answers=answers,
        answers_text=json_text(answers),
    )


def _note_respondent(raw, index: int, seen: dict) -> None:
    """Remember the respondent of a refused item, so a later item with the same one is named
    as a duplicate too."""
    respondent = raw.get("respondent") if isinstance(raw, dict) else None
    if isinstance(respondent, str) and respondent not in seen:
        seen[respondent] = index


def _fast_timestamp(text, tz, latest):
    found = full_timestamp(text, tz)
    return None if found is None or found[0] > latest else found


def _fast_attributes_text(attributes) -> str | None:
    if not attributes:
        return "{}"
    kinds = set(map(type, attributes.values()))
    if not kinds <= FAST_ATTRIBUTE_TYPES:
        return None  # fractions, nulls and the rest are normalised by the full checker
    try:
        pairs = tuple(
            (name, value if type(value) is str else str(value))
            for name, value in attributes.items()
        )
        return _checked_attributes_text(pairs)
    except (TypeError, ValueError):  # unhashable, or an integer too long to write as text
        return None


@functools.lru_cache(maxsize=4096)
def _checked_attributes_text(pairs: tuple) -> str | None:
    """Attributes repeat (a few units, tenures): check and encode each distinct set once."""
    attributes = dict(pairs)
    if _attributes_problem(attributes) is not None:
        return None
    return json_text(attributes)


@functools.lru_cache(maxsize=4096)
def _decoded_attributes(text: str) -> dict:
    # Shared between the items with the same attributes: nothing mutates them.
    return msgspec.json.decode(text)


def json_text(value: dict) -> str:
    """Canonical JSON: keys sorted, no spaces (as jsonb gives it back, compared as values)."""
    return msgspec.json.encode(value, order="sorted").decode()


# -- the full checker: every rule, with its message ----------------------------------------------


def _clean_item(
    raw, index: int, survey_id: int, questions: dict, tz, latest, errors: ItemErrors
) -> CleanResponse | None:
    if not isinstance(raw, dict):
        errors.add(index, "", _("Each response must be a JSON object."))
        return None
    before = len(errors.items)
    for name in sorted(raw.keys() - ITEM_FIELDS):
        errors.add(index, name, _("Unknown field '%(name)s'.") % {"name": name})
    respondent = _respondent(raw.get("respondent"), index, errors)
    submitted = _submitted_at(raw.get("submitted_at"), index, tz, latest, errors)
    attributes = _attributes(raw.get("attributes"), index, errors)
    answers = _answers(raw.get("answers"), index, questions, errors)
    if len(errors.items) > before:
        return None
    return CleanResponse(
        index=index,
        survey_id=survey_id,
        respondent=respondent,
        submitted_at=submitted.astimezone(UTC),
        local_date=submitted.date(),  # parse_observed_at answers in the organisation's zone
        attributes=attributes,
        attributes_text=json_text(attributes),
        answers=answers,
        answers_text=json_text(answers),
    )


def _respondent(raw, index: int, errors: ItemErrors) -> str | None:
    if not isinstance(raw, str) or not 0 < len(raw) <= RESPONDENT_MAX:
        message = _("'respondent' is required: a string of 1-%(max)s characters.")
        errors.add(index, "respondent", message % {"max": RESPONDENT_MAX})
        return None
    if "\x00" in raw:  # PostgreSQL text cannot hold it
        errors.add(index, "respondent", _("'respondent' may not contain a NUL character."))
        return None
    return raw


def _submitted_at(raw, index: int, tz, latest, errors: ItemErrors) -> datetime | None:
    if not isinstance(raw, str) or not raw.strip():
        message = _("'submitted_at' must be an ISO-8601 date or timestamp, e.g. 2026-03-01.")
        errors.add(index, "submitted_at", message)
        return None
    try:
        submitted = parse_observed_at(raw, tz)
    except ValueError:
        errors.add(index, "submitted_at", _timestamp_problem(raw))
        return None
    if submitted.date() < EARLIEST_DAY:
        message = _("'%(text)s' is before %(year)s.")
        errors.add(index, "submitted_at", message % {"text": raw, "year": EARLIEST_DAY.year})
        return None
    if submitted > latest:
        message = _("'%(text)s' is more than a day in the future.")
        errors.add(index, "submitted_at", message % {"text": raw})
        return None
    return submitted


def _timestamp_problem(text: str) -> str:
    """Why `text` is no submitted_at, in the request's language."""
    try:
        naive = datetime.fromisoformat(text.strip()).utcoffset() is None
    except ValueError:
        naive = False
    if naive:
        return _("A timestamp needs a time zone offset, e.g. 2026-03-01T12:00:00+02:00.")
    message = _(
        "'%(text)s' is not an ISO-8601 date or timestamp in the supported years, "
        "e.g. 2026-03-01 or 2026-03-01T12:00:00+02:00."
    )
    return message % {"text": text[:100]}


def _attributes(raw, index: int, errors: ItemErrors) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        message = _("'attributes' must be an object of {name: string or number}.")
        errors.add(index, "attributes", message)
        return {}
    if len(raw) > MAX_ATTRIBUTES:
        message = _("At most %(max)s attributes per response.")
        errors.add(index, "attributes", message % {"max": MAX_ATTRIBUTES})
        return {}
    clean = {}
    for name, value in raw.items():
        field_name = f"attributes.{name}"
        if not is_attribute_name(name):
            message = _("An attribute name is 1-%(max)s letters, digits, hyphens or underscores.")
            errors.add(index, field_name, message % {"max": ATTRIBUTE_MAX})
            continue
        if value is None:
            continue  # not given
        text = attribute_text(value)
        if text is None:
            message = _(
                "An attribute is a string of 1-%(max)s characters or a finite number "
                '(for yes/no send "yes" or "no"), got %(got)s.'
            )
            errors.add(
                index, field_name, message % {"max": ATTRIBUTE_VALUE_MAX, "got": _got(value)}
            )
            continue
        clean[name] = text
    return clean


def attribute_text(value) -> str | None:
    """An attribute's value as stored: strings as they are, numbers as text (3 -> "3",
    2.5 -> "2.5"); None when it is neither."""
    if isinstance(value, str):
        if 0 < len(value) <= ATTRIBUTE_VALUE_MAX and "\x00" not in value:
            return value
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= ATTRIBUTE_VALUE_MAX else None
    if not math.isfinite(value):
        return None
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _attributes_problem(attributes: dict) -> str | None:
    for name, value in attributes.items():
        if not is_attribute_name(name) or attribute_text(value) != value:
            return name
    return None


def _answers(raw, index: int, questions: dict, errors: ItemErrors) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.add(index, "answers", _("'answers' must be an object of {question code: answer}."))
        return {}
    clean = {}
    for code, value in raw.items():
        field_name = f"answers.{code}"
        question = questions.get(code)
        if question is None:
            errors.add(
                index, field_name, _("The survey has no question '%(code)s'.") % {"code": code}
            )
            continue
        problem, answer = _answer(question, value)
        if problem:
            errors.add(index, field_name, problem)
        else:
            clean[code] = answer
    return clean


def _answer(question, value) -> tuple[str | None, object]:
    """(problem, the answer as stored)."""
    if value is None:
        return None, None  # skipped: stored as null, never counted
    if question.type == QuestionType.TEXT:
        if not isinstance(value, str) or len(value) > TEXT_ANSWER_MAX or "\x00" in value:
            message = _("A free-text answer is a string of at most %(max)s characters, or null.")
            return message % {"max": TEXT_ANSWER_MAX}, None
        return None, value or None  # an empty text is a skipped answer
    low, high = question.scale_min, question.scale_max
    whole = isinstance(value, int) and not isinstance(value, bool)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value, whole = int(value), True  # 3.0 is the point 3
    if not whole:
        message = _("An answer is a whole number from %(low)s to %(high)s, or null; got %(got)s.")
        return message % {"low": low, "high": high, "got": _got(value)}, None
    if not low <= value <= high:
        message = _("%(got)s is off the scale %(low)s..%(high)s.")
        return message % {"got": value, "low": low, "high": high}, None
    return None, value


def _got(value) -> str:
    try:
        return json.dumps(value)[:60]
    except (TypeError, ValueError):
        return repr(value)[:60]
