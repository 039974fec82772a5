"""Every survey write that has rules: surveys and questions, responses, indicator feeds.

Views, the API, uploads and commands write through these names only.
"""

from core.bulk import BulkResult

from .responses import ResponsesRefused, ingest_responses, validate_responses
from .surveys import create_survey, delete_survey, update_survey

__all__ = [
    "BulkResult",
    "ResponsesRefused",
    "create_survey",
    "delete_survey",
    "ingest_responses",
    "update_survey",
    "validate_responses",
]
