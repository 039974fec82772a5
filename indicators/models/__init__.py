"""Indicators and their numbers.

Numbers are stored as double precision floats, deliberately: measurements come from sensors, surveys
and ratios, the statistics (scipy) work in floats, and JSON numbers are floats on the wire. Fifteen
significant digits is far beyond what any indicator here carries; decimals would cost speed on the
bulk path and conversions everywhere for no gain in meaning.

The models live in `indicators.py` (definitions), `values.py` (numbers) and `pipe.py` (the metric
pipe); Django finds them because this module imports every one.
"""

from .indicators import (
    CODE_VALIDATOR,
    FROM_THE_START,
    Aggregation,
    Band,
    Benchmark,
    Direction,
    Evidence,
    Indicator,
    Kind,
    Layer,
    Period,
    Target,
)
from .pipe import (
    DeliveryState,
    Deviation,
    DeviationChange,
    DeviationKind,
    DeviationState,
    Notification,
    NotificationKind,
    ValueComment,
    Webhook,
    WebhookDelivery,
)
from .values import DirtyMark, Measurement, MeasurementRevision, PeriodValue

__all__ = [
    "CODE_VALIDATOR",
    "FROM_THE_START",
    "Aggregation",
    "Band",
    "Benchmark",
    "DeliveryState",
    "Deviation",
    "DeviationChange",
    "DeviationKind",
    "DeviationState",
    "Direction",
    "DirtyMark",
    "Evidence",
    "Indicator",
    "Kind",
    "Layer",
    "Measurement",
    "MeasurementRevision",
    "Notification",
    "NotificationKind",
    "Period",
    "PeriodValue",
    "Target",
    "ValueComment",
    "Webhook",
    "WebhookDelivery",
]
