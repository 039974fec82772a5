"""The home page: a manager's Monday starts here.

Panels come from each app's selectors; this app sits on top of the layers, so it may read every
app below it and no app imports it.
"""

from django.utils.translation import gettext_lazy

from accounts.models import Role
from accounts.pages import page, role_required
from indicators import charts, selectors
from indicators.compute.status import AT_RISK, OFF_TRACK, indicator_status

SPARKLINE_PERIODS = 12
STATUS_PILLS = {
    OFF_TRACK: ("worse", gettext_lazy("off track")),
    AT_RISK: ("at-risk", gettext_lazy("at risk")),
}


def _off_target(indicator) -> bool:
    value, target = indicator.latest_value, indicator.latest_target
    if value is None or target is None:
        return False
    if indicator.direction == "higher_is_better":
        return value < target
    if indicator.direction == "lower_is_better":
        return value > target
    return False


def _status(indicator) -> str:
    return indicator_status(
        value=indicator.latest_value,
        assessment=indicator.latest_assessment or None,
        progress=indicator.latest_progress,
    )


def _needs_attention(indicator, status: str) -> bool:
    """Outside the band on either side (its corrective or learning action waits), off track or at
    risk by the shared status rule, or off target where no progress can be computed (a target but
    no baseline)."""
    if indicator.latest_position in ("below", "above") or status in (OFF_TRACK, AT_RISK):
        return True
    return indicator.latest_progress is None and _off_target(indicator)


def _card(indicator, results: list[dict]) -> dict:
    series = [{**row, "period_start": row["period_start"].isoformat()} for row in results]
    status = _status(indicator)
    pill = STATUS_PILLS.get(status)
    if pill is None and indicator.latest_progress is None and _off_target(indicator):
        pill = ("worse", gettext_lazy("off target"))
    return {
        "indicator": indicator,
        "status": status,
        "attention": _needs_attention(indicator, status),
        "pill": pill,
        "figure": charts.figure_json(charts.small_figure(results=series, period=indicator.period))
        if series
        else None,
        "latest_label": charts.period_label(indicator.latest_start, indicator.period)
        if indicator.latest_start
        else "",
    }


@role_required(Role.VIEWER)
def home(request):
    """Dashboard: indicators that need attention first, then the rest, each by name."""
    organisation = request.membership.organisation
    indicators = list(selectors.indicators_with_latest_detail(organisation=organisation))
    recent = selectors.recent_values_with_limits(indicators=indicators, count=SPARKLINE_PERIODS)
    cards = [_card(indicator, recent.get(indicator.pk, [])) for indicator in indicators]
    cards.sort(key=lambda card: card["indicator"].name.lower())
    return page(
        request,
        "dashboard/home.html",
        {
            "attention": [card for card in cards if card["attention"]],
            "rest": [card for card in cards if not card["attention"]],
            "has_indicators": bool(cards),
        },
    )
