"""REST API v1 for indicators, measurements, period values and deviations.

`fields` holds the strict JSON fields, `parts` an indicator's nested parts; `indicators`,
`measurements`, `deviations` and `comments` each hold one resource's serializers and views.
"""

from .comments import ValueCommentsView
from .deviations import DeviationViewSet
from .fields import CODE_PATTERN
from .indicators import IndicatorViewSet
from .measurements import MeasurementsView

__all__ = [
    "CODE_PATTERN",
    "DeviationViewSet",
    "IndicatorViewSet",
    "MeasurementsView",
    "ValueCommentsView",
]
