"""REST API v1 of the balanced scorecard.

`scorecards` holds the viewset and the nested create, `answers` the whole scorecard in one
period and the list's summaries, `history` the score history; `perspectives` and `objectives`
one part at a time; `fields` what they share (the indicator library's
endpoint is `library`). Serializers check the shape of a request; the services decide what it
means (a ValidationError naming the field, nested items by dotted path).
"""

from .objectives import ObjectiveViewSet
from .perspectives import PerspectiveViewSet
from .scorecards import ScorecardViewSet

__all__ = ["ObjectiveViewSet", "PerspectiveViewSet", "ScorecardViewSet"]
