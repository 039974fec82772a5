"""The shape of a validated measurement item, and the rules both validators share."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import msgspec
from django.utils.translation import gettext as _

from ..models import Indicator

# The fields of a measurement item, in the order of the API contract and the upload columns.
ITEM_COLUMNS = (
    "indicator",
    "observed_at",
    "value",
    "numerator",
    "denominator",
    "segment",
    "key",
    "comment",
)
ITEM_FIELDS = frozenset(ITEM_COLUMNS)
MAX_MAGNITUDE = 1e300
# Wide enough for any history or plan, narrow enough that every period around it is a valid date.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)
SERIES_KEY_MAX = 200  # "dimension:member" is stored in PeriodValue.segment
SEGMENT_JSON_MAX = 300  # keeps the natural key within Measurement.natural_key (400)


@dataclass(slots=True)
class CleanItem:
    index: int
    indicator: Indicator
    indicator_id: int  # the natural key's first column, read by the bulk path
    natural_key: str
    key: str | None
    segment: dict
    segment_text: str
    observed_at: datetime
    local_date: object
    value: float | None
    numerator: float | None
    denominator: float | None
    comment: str


def segment_json(segment: dict) -> str:
    """Canonical JSON of a segment: keys sorted, no spaces."""
    return msgspec.json.encode(segment, order="sorted").decode() if segment else "{}"


def natural_key(key: str | None, segment_text: str, observed_utc: datetime) -> str:
    """`k:<key>` when the client names the item, else `t:<segment>@<observed_at in UTC>`."""
    if key is not None:
        return f"k:{key}"
    return f"t:{segment_text}@{observed_utc.isoformat()}"


def natural_key_of(key: str | None, segment: dict, observed_at: datetime) -> str:
    return natural_key(key, segment_json(segment), observed_at.astimezone(UTC))


def segment_problem(raw) -> str | None:
    """What is wrong with a non-null segment, or None (in the active language)."""
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in raw.items()
    ):
        return _("'segment' must map dimension names to member names.")
    if any("\x00" in k or "\x00" in v for k, v in raw.items()):
        return _("A segment may not contain a NUL character.")
    if any(":" in k for k in raw):
        return _("A dimension name may not contain ':'.")
    if any(len(k) + 1 + len(v) > SERIES_KEY_MAX for k, v in raw.items()) or (
        len(segment_json(raw)) > SEGMENT_JSON_MAX
    ):
        return _(
            "A segment may take at most %(json_max)s characters as JSON, and each "
            "'dimension:member' at most %(pair_max)s."
        ) % {"json_max": SEGMENT_JSON_MAX, "pair_max": SERIES_KEY_MAX}
    return None
