"""Test data of the CPI reading pages, built through cpi.services and pushed measurements.

A CPI (Fast Quote, seconds, lower is better) and a KPI (new customers) where new customers copy
the fast quotes one month later with the sign turned (fewer seconds, more customers), so the
hypothesis Fast Quote -> new customers (negative) is supported at lag 1; and an experiment on a
mean-type conversion indicator whose arms clearly differ.
"""

from datetime import date, timedelta

from cpi import services
from indicators.services import recompute_dirty
from tests.factories import IndicatorFactory, push

FAST_QUOTES = [60, 52, 58, 45, 50, 41, 44, 38, 40, 33, 36, 30, 34, 28, 31, 26, 29, 24, 22]


def months(count: int) -> list[date]:
    """The first days of the last `count` months, this month last (nothing is stale)."""
    today = date.today()
    year, month, found = today.year, today.month, []
    for _ in range(count):
        found.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def pushed(api, code: str, values: list[float], starts: list[date]) -> None:
    items = [
        {"indicator": code, "observed_at": f"{start.isoformat()}T12:00:00+02:00", "value": v}
        for start, v in zip(starts, values, strict=True)
    ]
    response = push(api, items)
    assert response.status_code in (200, 201, 202), response.content
    recompute_dirty()  # a test without transactions never runs the on-commit recompute


def evidence_data(organisation, api, *, team: str = "Online sales") -> dict:
    """Fast Quote (CPI) leading new customers (KPI) by a month, a profile and a note."""
    starts = months(len(FAST_QUOTES))
    fast_quote = IndicatorFactory(
        organisation=organisation, code="fast_quote", name="Fast Quote", unit="s", team=team
    )
    new_customers = IndicatorFactory(
        organisation=organisation,
        code="new_customers",
        name="New customers",
        unit="customers",
        kind="kpi",
        direction="higher_is_better",
        aggregation="sum",
    )
    pushed(api, "fast_quote", FAST_QUOTES, starts)
    # customers of month m follow the fast quote of month m - 1: 2000 - 10 x seconds, plus a
    # little noise (a perfect fit leaves the Granger test nothing to test)
    noise = [7, -4, 2, -9, 5, 0, -3, 8, -6, 3, -1, 6, -8, 4, -2, 9, -5]
    customers = [1500.0] + [
        2000.0 - 10 * v + e for v, e in zip(FAST_QUOTES[:-2], noise, strict=True)
    ]
    pushed(api, "new_customers", customers, starts[:-1])  # this month's is not known yet
    services.save_profile(
        indicator=fast_quote,
        data={
            "desired_outcome": "I want a price while I am still on the page.",
            "expectation": "within 30 seconds",
            "value_unit": "time",
            "customer_segment": "consumers",
        },
    )
    note = services.add_evidence_note(
        indicator=fast_quote,
        data={
            "kind": "interview",
            "noted_on": date(2026, 3, 4),
            "source": "Eight customer interviews",
            "text": "Six left a competitor because the price took too long.",
        },
    )
    hypothesis = services.create_hypothesis(
        organisation=organisation,
        data={
            "cause": fast_quote,
            "effect": new_customers,
            "expected_sign": "negative",
            "max_lag": 3,
            "statement": "Faster quotes bring more new customers a month later.",
        },
    )
    return {
        "fast_quote": fast_quote,
        "new_customers": new_customers,
        "hypothesis": hypothesis,
        "note": note,
    }


def experiment_data(organisation, api, hypothesis, *, ended: bool = True):
    """A finished (or running) experiment: treatment converts about 6 points better."""
    IndicatorFactory(
        organisation=organisation,
        code="conversion",
        name="Conversion",
        unit="%",
        kind="kpi",
        direction="higher_is_better",
    )
    today = date.today()
    start = today - timedelta(days=40)
    end = today - timedelta(days=10) if ended else today + timedelta(days=10)
    items = []
    for day in range(20):
        stamp = (start + timedelta(days=day)).isoformat() + "T12:00:00+02:00"
        for arm, base in (("control", 20.0), ("fast-quote", 26.0)):
            items.append(
                {
                    "indicator": "conversion",
                    "observed_at": stamp,
                    "value": base + (day % 5) - 2,
                    "segment": {"arm": arm},
                }
            )
    assert push(api, items).status_code in (200, 201, 202)
    recompute_dirty()
    from indicators.models import Indicator

    return services.create_experiment(
        organisation=organisation,
        data={
            "hypothesis": hypothesis,
            "name": "Fast quote on the web",
            "indicator": Indicator.objects.get(organisation=organisation, code="conversion"),
            "arm_dimension": "arm",
            "control": "control",
            "treatment": "fast-quote",
            "start": start,
            "end": end,
            "expected_effect": "positive",
            "planned_n_per_arm": 20,
        },
    )
