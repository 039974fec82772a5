"""Thin Celery wrappers around surveys.services. Idempotent: safe to run twice or late."""

import logging

from celery import shared_task

from .services import feed

logger = logging.getLogger(__name__)

RETRY = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 10,
}


@shared_task(name=feed.FEED_TASK, **RETRY)
def feed_indicators(survey_id: int, respondents: list[str]) -> int:
    """Feed these respondents' answers of the survey's bound questions to their indicators."""
    pushed = feed.feed_indicators(survey_id, respondents)
    logger.info("survey feed done survey=%s respondents=%d", survey_id, len(respondents))
    return pushed


@shared_task(name=feed.REFEED_TASK, **RETRY)
def refeed_question(question_id: int) -> int:
    """Replace what a question fed with its current answers (its binding changed)."""
    return feed.refeed_question(question_id)
