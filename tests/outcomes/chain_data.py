"""Chain nodes made through the service, and their stored status, for the outcomes tests."""

from outcomes import services
from outcomes.models import ChainNode


def node(organisation, level: str, title: str, initiative=None, **data) -> ChainNode:
    """A node of `level` made by `services.create_node`; `data` adds any other field."""
    data = {"level": level, "title": title, "initiative": initiative, **data}
    return services.create_node(organisation=organisation, data=data)


def stored(node_: ChainNode) -> tuple:
    """The node's status, score and status source as stored."""
    row = ChainNode.objects.get(pk=node_.pk)
    return row.status, row.score, row.status_source
