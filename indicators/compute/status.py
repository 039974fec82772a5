"""One rule for an indicator's status, shared by the dashboard, the results chain and scorecards.

Read from one period value, first match wins:

1. no_data    no value for the period
2. stale      (`stale=True`, see compute/stale.py) the next value is overdue: the latest value is
              old news, so it is never shown as on track (nor at risk or off track). Apps that
              roll statuses up (scorecards, the chain) count a stale indicator as no data
              (`rollup_status`)
3. off_track  the value is outside the band on its worse side (assessment "worse"), whatever
              the progress to target
4. with progress (a target and a baseline, DESIGN section 5):
              on_track when progress >= on_track_from (0.9), at_risk when it is >= at_risk_from
              (0.6), else off_track, even inside the band or beyond it on the better side
5. without progress: on_track when the value is inside the band or on its better side
              (assessment "expected" or "better"); no_data when there is no band either, since
              there is nothing to judge the value against
"""

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
NO_DATA = "no_data"
STATUSES = (ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA)
# A page state, not a rolled-up one: `rollup_status` turns it into NO_DATA.
STALE = "stale"
ON_TRACK_FROM = 0.9
AT_RISK_FROM = 0.6


def indicator_status(
    *,
    value: float | None,
    assessment: str | None,
    progress: float | None,
    on_track_from: float = ON_TRACK_FROM,
    at_risk_from: float = AT_RISK_FROM,
    stale: bool = False,
) -> str:
    """The status of one period value (see the module docstring for the rule)."""
    if value is None:
        return NO_DATA
    if stale:
        return STALE
    if assessment == "worse":
        return OFF_TRACK
    if progress is not None:
        if progress >= on_track_from:
            return ON_TRACK
        return AT_RISK if progress >= at_risk_from else OFF_TRACK
    return ON_TRACK if assessment in ("expected", "better") else NO_DATA


def rollup_status(status: str) -> str:
    """The status an app that rolls indicators up counts: stale data counts as no data."""
    return NO_DATA if status == STALE else status
