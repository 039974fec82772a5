"""Questions that feed indicators: every answer becomes a measurement of the bound indicator.

Part C of the surveys work implements these; the responses service calls `enqueue_feed` after a
write commits, and the survey service calls `refeed_question` after a binding changes.
"""


def enqueue_feed(survey_id: int, respondents: list[str]) -> None:
    """After commit: feed the bound questions' answers of these respondents to their indicators."""


def refeed_question(question_id: int) -> None:
    """After a binding changed: replace the question's measurements with its current answers."""
