"""Every write of the results chain; views, the API, the admin and the demo call these."""

from .initiatives import (
    InitiativeDeletion,
    create_initiative,
    delete_initiative,
    initiative_deletion,
    objective_title,
    update_initiative,
)
from .links import cite_hypothesis
from .nodes import create_node, delete_node, link_nodes, unlink_nodes, update_node
from .status import indicator_statuses, refresh_chain_status, refresh_every_chain

__all__ = [
    "InitiativeDeletion",
    "cite_hypothesis",
    "create_initiative",
    "create_node",
    "delete_initiative",
    "delete_node",
    "indicator_statuses",
    "initiative_deletion",
    "link_nodes",
    "objective_title",
    "refresh_chain_status",
    "refresh_every_chain",
    "unlink_nodes",
    "update_initiative",
    "update_node",
]
