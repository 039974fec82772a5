"""Every write with rules on indicators and their numbers."""

from .definitions import create_indicator, update_indicator
from .ingest import IngestError, IngestResult, ingest_measurements
from .recompute import mark_indicator_dirty, recompute_all, recompute_dirty

__all__ = [
    "IngestError",
    "IngestResult",
    "create_indicator",
    "ingest_measurements",
    "mark_indicator_dirty",
    "recompute_all",
    "recompute_dirty",
    "update_indicator",
]
