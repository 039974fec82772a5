"""Every write of the results chain; views, the API, the admin and the demo call these."""

from .initiatives import create_initiative, delete_initiative, update_initiative
from .links import cite_hypothesis
from .nodes import create_node, delete_node, link_nodes, unlink_nodes, update_node
from .status import indicator_statuses, refresh_chain_status, refresh_every_chain

__all__ = [
    "cite_hypothesis",
    "create_initiative",
    "create_node",
    "delete_initiative",
    "delete_node",
    "indicator_statuses",
    "link_nodes",
    "refresh_chain_status",
    "refresh_every_chain",
    "unlink_nodes",
    "update_initiative",
    "update_node",
]
