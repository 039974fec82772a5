"""REST API v1 of the results chain: initiatives, chain nodes and the whole chain.

`initiatives` and `nodes` each hold one resource's serializer, filters and viewset; `chain` the
read of the whole chain (`GET /api/v1/chain/`); `links` an arrow and the hypothesis it cites; `fields` what they share. Serializers check the
shape of a request; the services decide what it means (a ValidationError naming the field).
"""

from .chain import ChainView
from .initiatives import InitiativeViewSet
from .links import ChainLinkViewSet
from .nodes import ChainNodeViewSet

__all__ = ["ChainLinkViewSet", "ChainNodeViewSet", "ChainView", "InitiativeViewSet"]
