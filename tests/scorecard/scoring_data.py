"""Builders for the scoring tests: indicators with a baseline and a target, values pushed on
fixed dates through the real ingest and recompute, and a `TODAY` to read them against.

The months are January to June 2026; on `TODAY` (10 July 2026) June is the latest complete
month and May the one before.
"""

from datetime import date

from indicators.models import Target
from indicators.services import ingest_measurements, recompute_dirty
from tests.factories import IndicatorFactory

TODAY = date(2026, 7, 10)
JAN, FEB, MAR, APR, MAY, JUN, JUL = (date(2026, month, 1) for month in range(1, 8))


def indicator(organisation, code, *, baseline=0.0, target=100.0, **fields):
    """A monthly mean indicator, higher is better unless told, with one target from 2000 on
    (`target=None`: none)."""
    fields.setdefault("direction", "higher_is_better")
    fields.setdefault("period", "month")
    fields.setdefault("aggregation", "mean")
    made = IndicatorFactory(organisation=organisation, code=code, baseline_value=baseline, **fields)
    if target is not None:
        Target.objects.create(indicator=made, valid_from=date(2000, 1, 1), value=target)
    return made


def item(code, day: date, value: float, key: str | None = None) -> dict:
    found = {"indicator": code, "observed_at": f"{day.isoformat()}T12:00:00+03:00", "value": value}
    if key is not None:
        found["key"] = key
    return found


def push(organisation, values: dict) -> None:
    """{code: {day: value}} ingested and recomputed (a test without transactions never runs
    the on-commit recompute, nor the hooks: `create_scorecard` scores what is there)."""
    items = [
        item(code, day, value, key=f"{code}-{day.isoformat()}")
        for code, series in values.items()
        for day, value in series.items()
    ]
    ingest_measurements(organisation=organisation, items=items)
    recompute_dirty()


def objective(title, *measures, weight=1.0, **more) -> dict:
    """An objective of the nested create, measured by (indicator, weight) pairs."""
    return {
        "title": title,
        "weight": weight,
        "measures": [{"indicator": i, "weight": w} for i, w in measures],
        **more,
    }
