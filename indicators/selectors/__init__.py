"""Reads shared by views, the API and the apps above, always scoped to one organisation.

An object that does not exist, or not in the organisation, raises `core.errors.NotFound`: the API
answers 404 with the error envelope, pages the 404 page, a task or a command its own way.
"""

from .comments import comments_of
from .deviations import (
    deviation_by_id,
    deviation_signals,
    deviations_needing_action,
    deviations_of,
    deviations_with_history,
    open_deviation_counts,
)
from .indicators import (
    band_in_force,
    indicator_by_code,
    indicator_is_stale,
    indicators_by_code,
    indicators_of,
    indicators_with_latest,
    indicators_with_latest_detail,
    is_stale,
    latest_start_of,
    stale_indicators,
    today_of,
)
from .measurements import (
    History,
    RatioParts,
    measurement_history,
    measurement_ratio_parts,
    measurement_values,
)
from .values import (
    indicator_values,
    recent_values_by_indicator,
    recent_values_with_limits,
    segments_of,
    total_series,
)
from .webhooks import webhook_by_id, webhook_deliveries_of, webhook_delivery_by_id, webhooks_of

__all__ = [
    "History",
    "RatioParts",
    "band_in_force",
    "comments_of",
    "deviation_by_id",
    "deviation_signals",
    "deviations_needing_action",
    "deviations_of",
    "deviations_with_history",
    "indicator_by_code",
    "indicators_by_code",
    "indicator_values",
    "indicators_of",
    "indicators_with_latest",
    "indicators_with_latest_detail",
    "indicator_is_stale",
    "is_stale",
    "latest_start_of",
    "measurement_history",
    "measurement_ratio_parts",
    "measurement_values",
    "open_deviation_counts",
    "recent_values_by_indicator",
    "recent_values_with_limits",
    "segments_of",
    "stale_indicators",
    "today_of",
    "total_series",
    "webhook_by_id",
    "webhook_deliveries_of",
    "webhook_delivery_by_id",
    "webhooks_of",
]
