"""Every write with rules on indicators and their numbers: the public services.

Other apps, views, the API, admin and commands write through these names only. Period values
are written by the recompute alone; apps that follow them register a values-changed hook
(`indicators.hooks`) rather than calling into the recompute.
"""

from .comments import add_comment
from .definitions import create_indicator, delete_indicator, update_indicator
from .deviations import update_deviation
from .dirty import enqueue_recompute, mark_dirty
from .ingest import IngestError, IngestResult, ingest_measurements
from .measurement_removal import delete_measurements, delete_measurements_with_key_prefix
from .notifications import notify
from .recompute import mark_indicator_dirty, recompute_all, recompute_dirty
from .stale import remind_all_stale, remind_stale

__all__ = [
    "IngestError",
    "IngestResult",
    "add_comment",
    "create_indicator",
    "delete_indicator",
    "delete_measurements",
    "delete_measurements_with_key_prefix",
    "enqueue_recompute",
    "ingest_measurements",
    "mark_dirty",
    "mark_indicator_dirty",
    "notify",
    "recompute_all",
    "recompute_dirty",
    "remind_all_stale",
    "remind_stale",
    "update_deviation",
    "update_indicator",
]
