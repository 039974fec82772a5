"""Band versions of an indicator (the metric pipe over time): validation and replacement.

A band version holds from its `valid_from` (FROM_THE_START: from the first period) until the next
one; a version with neither limit ends the band from its date. The recompute judges each period by
the version in force at its start, so a change from the current period leaves history alone.

Data keys (the service's): `bands` = all versions, [{from: date|None, low, high, action_below,
action_above, owner: User|None}] (from None = from the start); `band` = the band from the current
period on ({low, high, action_below, action_above, owner}; `owner` absent keeps the one in force),
or None to end it from the current period.
"""

from datetime import date, timedelta
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.selectors import non_members

from ..compute.periods import period_start
from ..compute.scoring import entry_in_force
from ..models import FROM_THE_START, Band, Indicator
from ..selectors import today_of

VERSION_FIELDS = ("valid_from", "low", "high", "action_below", "action_above", "owner_id")
# The sides where values are worse than the band, per direction (the rest are better).
WORSE_SIDES = {
    "higher_is_better": {"below"},
    "lower_is_better": {"above"},
    "in_range": {"below", "above"},
}
# One whole sentence per case, so that a translation need not inflect a pasted-in word.
MISSING_ACTION = {
    ("below", True): _(
        "A band needs an action for each side it bounds: the corrective action where "
        "values are worse, the learning action where they are better. Values below this band are "
        "worse: give the corrective action below the band."
    ),
    ("below", False): _(
        "A band needs an action for each side it bounds: the corrective action where "
        "values are worse, the learning action where they are better. Values below this band are "
        "better: give the learning action below the band."
    ),
    ("above", True): _(
        "A band needs an action for each side it bounds: the corrective action where "
        "values are worse, the learning action where they are better. Values above this band are "
        "worse: give the corrective action above the band."
    ),
    ("above", False): _(
        "A band needs an action for each side it bounds: the corrective action where "
        "values are worse, the learning action where they are better. Values above this band are "
        "better: give the learning action above the band."
    ),
}
LOW_ABOVE_HIGH = _("The low limit is above the high limit.")
NO_LIMIT = _("A band needs a low or a high limit (none: no band).")
SAME_DAY = _("Two band versions from the same day (%(day)s).")
NOT_A_MEMBER = _("%(user)s is not a member of the organisation.")
WHERE = _("%(where)s: %(detail)s")
BOTH = _("Send either the band or all band versions (bands), not both.")


def _version(item: dict, valid_from: date) -> dict:
    owner = item.get("owner")
    return {
        "valid_from": valid_from,
        "low": item.get("low"),
        "high": item.get("high"),
        "action_below": item.get("action_below") or "",
        "action_above": item.get("action_above") or "",
        "owner_id": owner.pk if owner is not None else None,
        "owner": owner,
    }


def _key(version: dict) -> tuple:
    return tuple(version[name] for name in VERSION_FIELDS)


def _stored(indicator: Indicator) -> list[dict]:
    """The indicator's versions as stored (a fresh query: a prefetch may be stale)."""
    if indicator.pk is None:
        return []
    rows = Band.objects.filter(indicator=indicator).select_related("owner").order_by("valid_from")
    return [{**{name: getattr(b, name) for name in VERSION_FIELDS}, "owner": b.owner} for b in rows]


def _error(message, where: str, index: int | None, field: str, **params) -> ValidationError:
    """`where: detail`; `params` keep the `detail` alone, the row's `index` and the `field`,
    for a form that shows it on the row itself."""
    detail = message % params if params else str(message)
    return ValidationError(
        WHERE,
        code=field,
        params={"where": where, "detail": detail, "index": index, "field": field},
    )


def _version_errors(indicator, version, where, index, *, single) -> list[ValidationError]:
    low, high = version["low"], version["high"]
    if low is None and high is None:
        return [_error(NO_LIMIT, where, index, "low")] if single else []
    if low is not None and high is not None and low > high:
        return [_error(LOW_ABOVE_HIGH, where, index, "low")]
    errors = []
    worse = WORSE_SIDES.get(indicator.direction, set())
    for side, limit in (("below", low), ("above", high)):
        if limit is not None and not version[f"action_{side}"].strip():
            message = MISSING_ACTION[(side, side in worse)]
            errors.append(_error(message, where, index, f"action_{side}"))
    return errors


def _owner_errors(indicator, versions, wheres) -> list[ValidationError]:
    owners = {v["owner"].pk: v["owner"] for v in versions if v["owner"] is not None}
    if not owners:
        return []
    members = non_members(organisation=indicator.organisation_id, users=owners.values())
    outside = {u.pk for u in members}
    return [
        _error(NOT_A_MEMBER, where, index, "owner", user=v["owner"].get_username())
        for v, (where, index) in zip(versions, wheres, strict=True)
        if v["owner"] is not None and v["owner"].pk in outside
    ]


def check_bands(*, indicator: Indicator, data: dict) -> dict[str, list[ValidationError]]:
    """The errors of `band` / `bands` in `data`, by field (empty: fine). A version equal to a
    stored one is kept as it is, even if stored before actions were required."""
    if "band" in data and "bands" in data:
        return {"band": [ValidationError(BOTH)]}
    if "bands" in data:
        stored = {_key(v) for v in _stored(indicator)}
        versions = [_version(i, i.get("from") or FROM_THE_START) for i in data["bands"] or []]
        wheres = [(f"bands[{n}]", n) for n in range(len(versions))]
        errors, seen = [], set()
        for version, (where, index) in zip(versions, wheres, strict=True):
            if version["valid_from"] in seen:
                day = _day_text(version["valid_from"])
                errors.append(_error(SAME_DAY, where, index, "valid_from", day=day))
            seen.add(version["valid_from"])
            if _key(version) not in stored:
                errors += _version_errors(indicator, version, where, index, single=False)
        new = [(v, w) for v, w in zip(versions, wheres, strict=True) if _key(v) not in stored]
        errors += _owner_errors(indicator, [v for v, _w in new], [w for _v, w in new])
        return {"bands": errors} if errors else {}
    if data.get("band"):
        version = _version(data["band"], FROM_THE_START)
        errors = _version_errors(indicator, version, "band", None, single=True)
        errors += _owner_errors(indicator, [version], [("band", None)])
        return {"band": errors} if errors else {}
    return {}


def _day_text(day: date) -> str:
    return str(_("from the start")) if day == FROM_THE_START else day.isoformat()


def in_force(versions: list[dict], on: date) -> dict | None:
    """The version in force on `on` (the latest dated on or before it), or None."""
    return entry_in_force(versions, on, valid_from=itemgetter("valid_from"))


def _is_band(version: dict | None) -> bool:
    return version is not None and (version["low"] is not None or version["high"] is not None)


def today_in(organisation) -> date:
    """Today in the organisation's time zone (the day a `band` change is made; tests fix it)."""
    return today_of(organisation)


def _from_current_period(indicator: Indicator, stored: list[dict], band: dict | None):
    """The versions after setting `band` from the start of the current period (the indicator's
    own period, today in the organisation's time zone); None when nothing changes."""
    today = today_in(indicator.organisation)
    start = period_start(today, indicator.period)
    current = in_force(stored, today)
    current = current if _is_band(current) else None
    if band is not None:
        if "owner" not in band:
            band = {**band, "owner": current["owner"] if current else None}
        new = _version(band, start)
        if current is not None and _key({**current, "valid_from": start}) == _key(new):
            return None
    elif current is None:
        return None
    else:
        new = _version({}, start)
    versions = [v for v in stored if v["valid_from"] != start]
    before = in_force(versions, start - timedelta(days=1))
    repeats = _key({**before, "valid_from": start}) == _key(new) if before else not _is_band(new)
    return sorted(versions if repeats else [*versions, new], key=lambda v: v["valid_from"])


def replace_bands(*, indicator: Indicator, data: dict, creating: bool) -> bool:
    """Write the band versions `data` asks for; True when they changed. Checked by
    `check_bands` first."""
    stored = _stored(indicator)
    if "bands" in data:
        versions = [_version(i, i.get("from") or FROM_THE_START) for i in data["bands"] or []]
    elif "band" in data:
        band = data["band"]
        if creating or not stored:
            versions = [_version(band, FROM_THE_START)] if band else []
        else:
            versions = _from_current_period(indicator, stored, band)
            if versions is None:
                return False
    else:
        return False
    if sorted(map(_key, versions)) == sorted(map(_key, stored)):
        return False
    Band.objects.filter(indicator=indicator).delete()
    Band.objects.bulk_create(
        Band(indicator=indicator, **{name: v[name] for name in VERSION_FIELDS}) for v in versions
    )
    getattr(indicator, "_prefetched_objects_cache", {}).pop("bands", None)
    return True
