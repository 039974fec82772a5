"""Indicators with measured series for the CPI form and admin tests: Fast Quote (a CPI, seconds,
lower is better) leads New customers (a KPI) by one month, and Quote conversion (a ratio KPI) has
measurements in two arms, `control` and `fast-quote`, over March 2026."""

from datetime import date

from indicators.services import ingest_measurements, recompute_dirty
from tests.factories import IndicatorFactory

MONTHS = [date(2024 + (m // 12), m % 12 + 1, 1) for m in range(24)]  # Jan 2024 .. Dec 2025
QUOTE_SECONDS = [30, 28, 35, 22, 40, 18, 33, 25, 45, 20, 27, 38, 24, 31, 19, 42, 26, 36, 21, 29,
                 34, 23, 39, 17]  # fmt: skip
# Conversion per arm in March 2026: control 20 %, fast-quote 26 % (numerator / denominator).
ARMS = {"control": (80, 400), "fast-quote": (104, 400)}


def series(organisation):
    """{"fast_quote", "new_customers", "conversion"}: the indicators, their values stored."""
    fast_quote = IndicatorFactory(
        organisation=organisation, code="fast_quote", name="Fast Quote", kind="cpi",
        direction="lower_is_better", aggregation="mean", unit="s",
    )  # fmt: skip
    new_customers = IndicatorFactory(
        organisation=organisation, code="new_customers", name="New customers", kind="kpi",
        direction="higher_is_better", aggregation="sum", unit="customers",
    )  # fmt: skip
    conversion = IndicatorFactory(
        organisation=organisation, code="conversion", name="Quote conversion", kind="kpi",
        direction="higher_is_better", aggregation="ratio", unit="%",
    )  # fmt: skip
    items = []
    for month, seconds in zip(MONTHS, QUOTE_SECONDS, strict=True):
        items.append(
            {"indicator": "fast_quote", "observed_at": month.isoformat(), "value": seconds}
        )
    for m, (month, seconds) in enumerate(zip(MONTHS[1:], QUOTE_SECONDS, strict=False)):
        # new customers of month m follow the Fast Quote of month m-1 (faster: more customers)
        value = 200 - 3 * seconds + (m * 7) % 5
        items.append(
            {"indicator": "new_customers", "observed_at": month.isoformat(), "value": value}
        )
    for day in range(1, 29):
        for arm, (won, sent) in ARMS.items():
            # Four days of the month carry the rest, so the sums are exact.
            items.append(
                {
                    "indicator": "conversion",
                    "observed_at": date(2026, 3, day).isoformat(),
                    "numerator": won // 4 if day <= 4 else 0,
                    "denominator": sent // 4 if day <= 4 else 0,
                    "segment": {"arm": arm},
                }
            )
    ingest_measurements(organisation=organisation, items=[i for i in items if _kept(i)])
    recompute_dirty()  # a test without transactions never runs the on-commit recompute
    return {"fast_quote": fast_quote, "new_customers": new_customers, "conversion": conversion}


def _kept(item) -> bool:
    return item.get("denominator", 1) != 0
