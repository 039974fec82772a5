"""REST API v1 for surveys: the surveys with their questions, the responses bulk push, results.

`fields` holds the strict fields, `surveys` the survey serializers and viewset, `responses` the
push and list of a survey's responses, `results` the results of a question.
"""

from .fields import SLUG_PATTERN
from .responses import SurveyResponsesView
from .results import SurveyResultsView
from .surveys import SurveyViewSet

__all__ = ["SLUG_PATTERN", "SurveyResponsesView", "SurveyResultsView", "SurveyViewSet"]
