"""REST API v1 for surveys: the surveys with their questions, and the responses bulk push.

`fields` holds the strict fields, `surveys` the survey serializers and viewset, `responses` the
push and list of a survey's responses; `results` (the results answer) sits beside them.
"""

from .fields import SLUG_PATTERN
from .responses import SurveyResponsesView
from .surveys import SurveyViewSet

__all__ = ["SLUG_PATTERN", "SurveyResponsesView", "SurveyViewSet"]
