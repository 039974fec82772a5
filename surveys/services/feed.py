"""Questions that feed indicators: every numeric answer becomes one measurement of the bound one.

The measurement's key is `survey:<survey>:<question>:<respondent>` (the respondent hashed when the
key would pass 200 characters), its time the response's `submitted_at`, its segment the
response's values of the question's `segment_by` attributes. Its value is chosen so that the
indicator's ordinary aggregation of a period gives the period's score, with n as its count:

- NPS: +100 promoter (9-10), 0 passive, -100 detractor for a `mean` indicator, whose mean is
  then exactly 100 * (promoters - detractors) / n; or numerator +1 / 0 / -1 over denominator 1
  for a `ratio` indicator (100 * sum / n, the same NPS);
- CSAT: 100 / 0 (mean) or 1 / 0 over 1 (ratio) for an answer in the top two boxes: the share;
- CES and likert: the answer itself (mean only).

Writes go through `indicators.services` (ingest, delete), so the recompute follows as for any
measurement. Services never import the Celery tasks: they wake them by name, after commit.
"""

import hashlib
import json
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.wake import wake
from indicators.services import (
    delete_measurements,
    delete_measurements_with_key_prefix,
    ingest_measurements,
)

from ..compute import DETRACTOR_UP_TO, PROMOTER_FROM, TOP_BOXES
from ..models import DEFAULT_SCALES, Question, QuestionType, Response, Survey

logger = logging.getLogger(__name__)

FEED_TASK = "surveys.tasks.feed_indicators"
REFEED_TASK = "surveys.tasks.refeed_question"
BATCH_SIZE = 10_000  # the measurements API's limit per push
RESPONDENTS_PER_QUERY = 900  # under SQLite's default parameter limit
KEY_MAX = 200  # Measurement.key
SERIES_KEY_MAX = 200  # "dimension:member" of a segment, as indicators stores it
SEGMENT_JSON_MAX = 300
MEAN, RATIO = "mean", "ratio"
# What each question type may feed; CES and likert answers have no ratio form.
AGGREGATIONS = {
    QuestionType.NPS: (MEAN, RATIO),
    QuestionType.CSAT: (MEAN, RATIO),
    QuestionType.CES: (MEAN,),
    QuestionType.LIKERT: (MEAN,),
}


# -- keys and values (pure) -------------------------------------------------------------------


def key_prefix(survey_code: str, question_code: str | None = None) -> str:
    """The prefix of the keys a survey (or one of its questions) fed."""
    if question_code is None:
        return f"survey:{survey_code}:"
    return f"survey:{survey_code}:{question_code}:"


def measurement_key(survey_code: str, question_code: str, respondent: str) -> str:
    """`survey:<survey>:<question>:<respondent>`; a respondent that would make the key longer
    than 200 characters (or holds a NUL) is replaced by `#` and its SHA-256 in hex."""
    key = key_prefix(survey_code, question_code) + respondent
    if len(key) <= KEY_MAX and "\x00" not in key:
        return key
    digest = hashlib.sha256(respondent.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key_prefix(survey_code, question_code)}#{digest}"


def is_answer(raw) -> bool:
    """A numeric answer (JSON number, not a bool): the only ones that are scored and fed."""
    return isinstance(raw, int | float) and not isinstance(raw, bool)


def scale_of(question: Question) -> tuple[int, int]:
    default = DEFAULT_SCALES.get(question.type, (None, None))
    low = question.scale_min if question.scale_min is not None else default[0]
    high = question.scale_max if question.scale_max is not None else default[1]
    return low, high


def measurement_values(question_type: str, scale: tuple, aggregation: str, answer) -> dict:
    """The value fields of one answer's measurement (see the module docstring)."""
    if question_type == QuestionType.NPS:
        unit = 1 if answer >= PROMOTER_FROM else -1 if answer <= DETRACTOR_UP_TO else 0
    elif question_type == QuestionType.CSAT:
        unit = 1 if answer > scale[1] - TOP_BOXES else 0
    else:
        return {"value": float(answer)}
    if aggregation == RATIO:
        return {"numerator": float(unit), "denominator": 1.0}
    return {"value": 100.0 * unit}


def segment_of(attributes: dict, segment_by) -> dict:
    """{attribute: value as text} for the `segment_by` attributes a response has; a value too
    long for a series name is left out rather than refusing the whole feed."""
    segment = {}
    for name in segment_by:
        raw = attributes.get(name)
        if raw is None or isinstance(raw, bool | dict | list):
            continue
        value = str(raw)
        if not value or "\x00" in value or len(name) + 1 + len(value) > SERIES_KEY_MAX:
            continue
        segment[name] = value
        if len(json.dumps(segment, separators=(",", ":"))) > SEGMENT_JSON_MAX:
            del segment[name]
    return segment


# -- binding ----------------------------------------------------------------------------------


def binding_problems(question: Question, indicator, segment_by) -> dict[str, list[str]]:
    """What keeps `question` from feeding `indicator` (None: unbinding), by field."""
    errors: dict[str, list[str]] = {}
    if indicator is not None:
        allowed = AGGREGATIONS.get(question.type)
        if allowed is None:
            errors["indicator"] = [_("A free-text question cannot feed an indicator.")]
        elif indicator.organisation_id != question.survey.organisation_id:
            errors["indicator"] = [_("The indicator belongs to another organisation.")]
        elif indicator.is_formula:
            errors["indicator"] = [_("A formula indicator is computed and takes no measurements.")]
        elif indicator.aggregation not in allowed:
            message = _("A %(type)s question can feed an indicator aggregated by %(allowed)s only.")
            errors["indicator"] = [
                message % {"type": question.type, "allowed": " / ".join(allowed)}
            ]
    if not isinstance(segment_by, list | tuple) or not all(
        isinstance(name, str) and name and ":" not in name and len(name) <= 50
        for name in segment_by
    ):
        errors["segment_by"] = [_("Name background variables, without ':' in a name.")]
    elif len(set(segment_by)) != len(segment_by):
        errors["segment_by"] = [_("Name each background variable once.")]
    return errors


def bind_question(question: Question, indicator, segment_by=(), *, backfill=True) -> Question:
    """Let `question` feed `indicator` (None: feed nothing), segmented by `segment_by`.

    Refuses (ValidationError by field) a text question, an indicator of another organisation,
    a formula, or an aggregation other than mean (or ratio, for NPS and CSAT). After commit the
    measurements the question fed before are replaced by those of its current answers (unless
    `backfill` is false: a caller that runs `refeed_question` itself, in its transaction).
    """
    errors = binding_problems(question, indicator, segment_by)
    if errors:
        raise ValidationError(errors)
    segment_by = list(segment_by)
    question.indicator = indicator
    question.segment_by = segment_by if indicator is not None else []
    question.save(update_fields=["indicator", "segment_by"])
    if backfill:
        enqueue_refeed(question.pk)
    return question


# -- feeding ----------------------------------------------------------------------------------


def _fed_questions(survey: Survey) -> list[Question]:
    """The survey's questions whose indicator can take their answers now; a binding that an
    indicator's later change made unusable (say, aggregation `last`) is skipped and logged."""
    fed = []
    for question in survey.questions.filter(indicator__isnull=False).select_related("indicator"):
        if question.indicator.is_formula or question.indicator.aggregation not in AGGREGATIONS.get(
            question.type, ()
        ):
            logger.warning("survey question %s cannot feed %s", question, question.indicator.code)
            continue
        fed.append(question)
    return fed


def _item(survey: Survey, question: Question, response: Response) -> dict | None:
    answer = response.answers.get(question.code)
    if not is_answer(answer):
        return None
    item = {
        "indicator": question.indicator.code,
        "observed_at": response.submitted_at.isoformat(),
        "key": measurement_key(survey.code, question.code, response.respondent),
        **measurement_values(
            question.type, scale_of(question), question.indicator.aggregation, answer
        ),
    }
    segment = segment_of(response.attributes, question.segment_by)
    if segment:
        item["segment"] = segment
    return item


def _push(survey: Survey, items: list[dict]) -> None:
    for i in range(0, len(items), BATCH_SIZE):
        ingest_measurements(organisation=survey.organisation, items=items[i : i + BATCH_SIZE])


def feed_indicators(survey_id: int, respondents) -> int:
    """Feed the bound questions' answers of `respondents` to their indicators: an answer is
    created or updated as a measurement, a missing or null one removes its measurement.
    Idempotent: a second run changes nothing. The number of measurements pushed."""
    survey = Survey.objects.select_related("organisation").filter(pk=survey_id).first()
    if survey is None:
        return 0
    questions = _fed_questions(survey)
    respondents = sorted(set(respondents))
    if not questions or not respondents:
        return 0
    items, gone = [], {question.pk: [] for question in questions}
    for i in range(0, len(respondents), RESPONDENTS_PER_QUERY):
        chunk = respondents[i : i + RESPONDENTS_PER_QUERY]
        found = {r.respondent: r for r in survey.responses.filter(respondent__in=chunk)}
        for respondent in chunk:
            for question in questions:
                response = found.get(respondent)
                item = _item(survey, question, response) if response else None
                if item is None:
                    gone[question.pk].append(
                        measurement_key(survey.code, question.code, respondent)
                    )
                else:
                    items.append(item)
    with transaction.atomic():
        _push(survey, items)
        for question in questions:
            delete_measurements(
                organisation=survey.organisation,
                indicator=question.indicator,
                keys=gone[question.pk],
            )
    return len(items)


def refeed_question(question_id: int) -> int:
    """After a binding changed: remove every measurement the question fed (whatever indicator
    it fed then) and feed its current answers, 10,000 at a time, in one transaction. The
    number of measurements pushed."""
    question = (
        Question.objects.select_related("survey__organisation", "indicator")
        .filter(pk=question_id)
        .first()
    )
    if question is None:
        return 0
    survey = question.survey
    pushed = 0
    with transaction.atomic():
        delete_measurements_with_key_prefix(
            organisation=survey.organisation, prefix=key_prefix(survey.code, question.code)
        )
        if question not in _fed_questions(survey):
            return 0
        items = []
        for response in survey.responses.order_by("pk").iterator(chunk_size=BATCH_SIZE):
            item = _item(survey, question, response)
            if item is not None:
                items.append(item)
            if len(items) == BATCH_SIZE:
                _push(survey, items)
                pushed, items = pushed + len(items), []
        _push(survey, items)
    return pushed + len(items)


def unfeed(survey: Survey, question_code: str | None = None) -> int:
    """Remove what the survey (or one question of it) fed: call before deleting either, in the
    same transaction. The number of measurements removed."""
    return delete_measurements_with_key_prefix(
        organisation=survey.organisation, prefix=key_prefix(survey.code, question_code)
    )


# -- after commit -----------------------------------------------------------------------------


def enqueue_feed(survey_id: int, respondents) -> None:
    """After commit: feed the bound questions' answers of these respondents to their indicators.

    Only when the survey has a bound question. When the broker refuses the wake-up the feed runs
    here instead: nothing in the database would remind a periodic sweep of it.
    """
    respondents = sorted(set(respondents))
    if not respondents:
        return
    if not Question.objects.filter(survey_id=survey_id, indicator__isnull=False).exists():
        return
    transaction.on_commit(lambda: _wake_or_run(FEED_TASK, feed_indicators, survey_id, respondents))


def enqueue_refeed(question_id: int) -> None:
    """After commit: replace the question's measurements with its current answers."""
    transaction.on_commit(lambda: _wake_or_run(REFEED_TASK, refeed_question, question_id))


def _wake_or_run(task_name: str, run, *args) -> None:
    if wake(task_name, *args):
        return
    try:
        run(*args)
    except Exception:
        logger.exception("%s failed in process after the broker refused it", task_name)
