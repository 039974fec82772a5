"""Test data of the scorecard, built through the services and pushed measurements.

`small_scorecard(organisation, api)` builds, at month period, with values in the last
`MONTHS` months (this month last, the latest complete one before it):

- financial "Premium grows": premium_revenue (do, impact; baseline 100, target 200)
- customer "I get a price while I am still on the page" (voice set): fast_quote (CPI,
  execution; baseline 90 s, target 30 s, lower is better) and nps (say, impact; baseline 0,
  target 50), weights 2 and 1
- internal "Quote engine always up": engine_up (KPI, prerequisite; baseline 90, target 100)
- learning "Agents know the offer": no measures

and links learning -> internal -> customer -> financial. `LATEST` holds the values of the
latest complete month, `progress_of` the hand-worked progress of each.
"""

from datetime import date

from indicators.models import Target
from indicators.services import recompute_dirty
from scorecard import services
from tests.factories import IndicatorFactory, push

MONTHS = 4
# indicator code -> values, oldest first (the last is this month's, incomplete)
VALUES = {
    "premium_revenue": [110.0, 130.0, 150.0, 190.0],
    "fast_quote": [80.0, 70.0, 60.0, 40.0],
    "nps": [10.0, 20.0, 25.0, 45.0],
    "engine_up": [95.0, 97.0, 99.0, 100.0],
}
DEFINITIONS = {
    "premium_revenue": dict(
        kind="kpi",
        direction="higher_is_better",
        aggregation="sum",
        evidence="do",
        layer="impact",
        unit="kEUR",
        baseline_value=100.0,
        target=200.0,
    ),
    "fast_quote": dict(
        kind="cpi",
        direction="lower_is_better",
        aggregation="mean",
        evidence="",
        layer="execution",
        baseline_value=90.0,
        target=30.0,
    ),
    "nps": dict(
        kind="kpi",
        direction="higher_is_better",
        aggregation="mean",
        evidence="say",
        layer="impact",
        name="NPS",
        unit="points",
        baseline_value=0.0,
        target=50.0,
    ),
    "engine_up": dict(
        kind="kpi",
        direction="higher_is_better",
        aggregation="mean",
        evidence="",
        layer="prerequisite",
        name="Quote engine availability",
        unit="%",
        baseline_value=90.0,
        target=100.0,
    ),
}


def months(count: int, today: date | None = None) -> list[date]:
    """The first days of the last `count` months, this month last."""
    today = today or date.today()
    year, month, found = today.year, today.month, []
    for _ in range(count):
        found.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def progress_of(code: str, value: float) -> float:
    """clamp((v - baseline) / (target - baseline), 0, 1), worked by hand."""
    spec = DEFINITIONS[code]
    raw = (value - spec["baseline_value"]) / (spec["target"] - spec["baseline_value"])
    return min(1.0, max(0.0, raw))


def indicators(organisation) -> dict:
    found = {}
    for code, spec in DEFINITIONS.items():
        spec = dict(spec)
        target = spec.pop("target")
        indicator = IndicatorFactory(organisation=organisation, code=code, period="month", **spec)
        Target.objects.create(indicator=indicator, valid_from=date(2000, 1, 1), value=target)
        found[code] = indicator
    return found


def push_values(api, codes=None, starts=None) -> None:
    starts = starts or months(MONTHS)
    items = [
        {"indicator": code, "observed_at": f"{start.isoformat()}T12:00:00+02:00", "value": v}
        for code, values in VALUES.items()
        if codes is None or code in codes
        for start, v in zip(starts, values, strict=True)
    ]
    response = push(api, items)
    assert response.status_code == 200, response.content
    recompute_dirty()  # a test without transactions never runs the on-commit recompute


def small_scorecard(organisation, api, *, push_data: bool = True):
    """The scorecard of the module docstring; returns (scorecard, {code: indicator})."""
    found = indicators(organisation)
    if push_data:
        push_values(api)
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Company scorecard",
            "perspectives": [
                {
                    "kind": "financial",
                    "objectives": [
                        {
                            "key": "premium",
                            "title": "Premium grows",
                            "measures": [{"indicator": found["premium_revenue"]}],
                        }
                    ],
                },
                {
                    "kind": "customer",
                    "objectives": [
                        {
                            "key": "price",
                            "title": "Price while still on the page",
                            "voice": "I get a price while I am still on the page",
                            "measures": [
                                {"indicator": found["fast_quote"], "weight": 2.0},
                                {"indicator": found["nps"], "weight": 1.0},
                            ],
                            "contributes_to": ["premium"],
                        }
                    ],
                },
                {
                    "kind": "internal",
                    "objectives": [
                        {
                            "key": "engine",
                            "title": "Quote engine always up",
                            "measures": [{"indicator": found["engine_up"]}],
                            "contributes_to": ["price"],
                        }
                    ],
                },
                {
                    "kind": "learning",
                    "objectives": [
                        {
                            "key": "agents",
                            "title": "Agents know the offer",
                            "contributes_to": ["engine"],
                        }
                    ],
                },
            ],
        },
    )
    return scorecard, found
