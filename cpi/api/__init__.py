"""REST API v1 of the CPI evidence: hypotheses, experiments, CPIs and customer-centricity.

`hypotheses`, `experiments` and `cpis` each hold one resource's serializers, filters and views;
`fields` what they share. Serializers check the shape of a request and resolve codes and ids in
the caller's organisation; the services decide what it means (a ValidationError naming the field).
"""

from .cpis import CpiViewSet, CustomerCentricityView
from .experiments import ExperimentViewSet
from .hypotheses import HypothesisViewSet

__all__ = ["CpiViewSet", "CustomerCentricityView", "ExperimentViewSet", "HypothesisViewSet"]
