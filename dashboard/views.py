"""The home page: a manager's Monday starts here.

Panels come from each app's selectors; this app sits on top of the layers, so it may read every
app below it and no app imports it.
"""

from accounts.models import Role
from accounts.pages import page, role_required
from indicators import charts, selectors

SPARKLINE_PERIODS = 12


def _off_target(indicator) -> bool:
    value, target = indicator.latest_value, indicator.latest_target
    if value is None or target is None:
        return False
    if indicator.direction == "higher_is_better":
        return value < target
    if indicator.direction == "lower_is_better":
        return value > target
    return False


def _needs_attention(indicator) -> bool:
    return indicator.latest_position in ("below", "above") or _off_target(indicator)


@role_required(Role.VIEWER)
def home(request):
    """Dashboard: indicators outside their band or off target first, then the rest."""
    organisation = request.membership.organisation
    indicators = list(selectors.indicators_with_latest_detail(organisation=organisation))
    recent = selectors.recent_values_by_indicator(indicators=indicators, count=SPARKLINE_PERIODS)
    cards = []
    for indicator in indicators:
        results = recent.get(indicator.pk, [])
        series = [{**row, "period_start": row["period_start"].isoformat()} for row in results]
        figure = (
            charts.figure_json(charts.small_figure(results=series, period=indicator.period))
            if series
            else None
        )
        cards.append(
            {
                "indicator": indicator,
                "attention": _needs_attention(indicator),
                "off_target": _off_target(indicator),
                "figure": figure,
                "latest_label": charts.period_label(indicator.latest_start, indicator.period)
                if indicator.latest_start
                else "",
            }
        )
    cards.sort(key=lambda card: (not card["attention"], card["indicator"].name.lower()))
    attention = [card for card in cards if card["attention"]]
    rest = [card for card in cards if not card["attention"]]
    return page(
        request,
        "dashboard/home.html",
        {"attention": attention, "rest": rest, "has_indicators": bool(cards)},
    )
