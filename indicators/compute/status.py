"""One rule for an indicator's status, shared by the dashboard, the results chain and scorecards.

no_data    no value for the period
off_track  the value is outside the band on the worse side, or progress < at_risk
at_risk    progress in [at_risk, on_track)
on_track   progress >= on_track; or, without a target, the value is inside the band or on
           its better side
no_data    also when there is neither a target nor a band to judge the value against
"""

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
NO_DATA = "no_data"
STATUSES = (ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA)
ON_TRACK_FROM = 0.9
AT_RISK_FROM = 0.6


def indicator_status(
    *,
    value: float | None,
    assessment: str | None,
    progress: float | None,
    on_track_from: float = ON_TRACK_FROM,
    at_risk_from: float = AT_RISK_FROM,
) -> str:
    """The status of one period value (see the module docstring for the rule)."""
    if value is None:
        return NO_DATA
    if assessment == "worse":
        return OFF_TRACK
    if progress is not None:
        if progress >= on_track_from:
            return ON_TRACK
        return AT_RISK if progress >= at_risk_from else OFF_TRACK
    return ON_TRACK if assessment in ("expected", "better") else NO_DATA
