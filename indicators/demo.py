"""The demo organisation: Nordic Mutual Insurance with 18 months of CPI and KPI data.

`build_demo` generates everything as plain data, with a fixed seed: indicator definitions in the
shape `create_indicator` takes, and measurement items shaped exactly like the API's. The story:

- Fast Quote (seconds to a price) falls from about 90 s to about 25 s as more quotes are pre-filled
  from public registers, with setbacks, a three-day rating-engine outage and a pilot week;
- new customers of month m follow the mean Fast Quote of month m - 1 (a faster quote wins more
  customers), so the Fast Quote -> new customers hypothesis is strongest at a lag of one month;
- monthly KPIs are reported for complete months only, on the first day of the month they cover;
- some periods fall outside their bands and open corrective and learning deviations.

`load_demo` replaces the organisation `demo` with that data through the same services the API uses.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from time import monotonic

import numpy as np
from django.db import transaction

from accounts.models import Organisation, Role
from accounts.services import create_api_key, create_organisation, create_user

from .compute.periods import next_period_start, period_start, previous_period_start
from .models import Deviation, Measurement, PeriodValue
from .services import create_indicator, ingest_measurements, recompute_dirty

SLUG = "demo"
NAME = "Nordic Mutual Insurance"
TIME_ZONE = "Europe/Stockholm"
LANGUAGE = "en"
PASSWORD = "demo-password"
USERS = (("admin", Role.ADMIN), ("analyst", Role.ANALYST), ("viewer", Role.VIEWER))
API_KEY_NAME = "demo client"
MONTHS = 18
BATCH_SIZE = 10_000  # the API's limit per push
CHANNELS = ("web", "phone", "agent")

_TZ = zoneinfo.ZoneInfo(TIME_ZONE)
# Fast Quote per channel: share of quotes and speed relative to the day's level.
_QUOTE_SHARE = np.array([0.60, 0.25, 0.15])
_QUOTE_SPEED = np.array([0.82, 1.20, 1.45]) / float(np.dot([0.60, 0.25, 0.15], [0.82, 1.20, 1.45]))
_QUOTE_LEVEL_BEFORE_START = 95.0  # seconds, the month before the data starts
_OUTAGE = (9, (10, 11, 12), 2.4)  # month index, days of the month, slow-down factor
_PILOT = (15, 0.6)  # month index (week from its first Monday on/after the 8th), speed-up factor


@dataclass(frozen=True)
class Demo:
    """What the demo loads. `start` is the first day with data, `end` the last (yesterday)."""

    today: date
    start: date
    end: date
    indicators: list[dict]
    measurements: list[dict]


@dataclass(frozen=True)
class LoadedDemo:
    """What `load_demo` did; `api_key` is the only copy of the new key's secret."""

    organisation: Organisation
    api_key: str
    replaced: bool
    demo: Demo
    batches: int
    measurements: int
    period_values: int
    deviations: dict[str, int]
    seconds: float


def build_demo(*, today: date, seed: int = 7) -> Demo:
    """Indicators and 18 months of measurements ending `today`, the same for the same inputs.

    Every indicator draws from its own random stream, so the monthly story does not shift with the
    number of days in the range.
    """
    months = _month_starts(today)
    start, end = months[0], today - timedelta(days=1)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    complete = months[:-1]  # monthly KPIs are reported once a month is over

    def rng(stream: int) -> np.random.Generator:
        return np.random.default_rng([seed, stream])

    ftr_levels = 0.805 - 0.145 * np.exp(-np.arange(MONTHS) / 5)
    broke_levels = 0.975 - 0.045 * np.exp(-np.arange(MONTHS) / 6)
    quotes, quote_means = _fast_quote(rng(1), days, start)
    customers = _new_customers(rng(2), complete, quote_means)
    items = [
        *quotes,
        *_quote_turnaround(rng(3), days, start),
        *_first_time_resolution(rng(4), days, start, ftr_levels),
        *_nothing_broke(rng(5), days, start, broke_levels),
        *_payment_plan_options(days, start),
        *_prefilled_quotes(rng(6), days, start),
        *_nps(rng(7), complete, quote_means, ftr_levels),
        *_retention(rng(8), complete, ftr_levels, broke_levels),
        *_customers_and_premium(rng(9), complete, customers),
    ]
    return Demo(
        today=today,
        start=start,
        end=end,
        indicators=indicator_definitions(start=start, today=today),
        measurements=items,
    )


def load_demo(*, today: date, seed: int = 7) -> LoadedDemo:
    """Delete the organisation `demo` if it exists and create it again with `build_demo` data.

    Users `admin` (also Django staff and superuser), `analyst` and `viewer` are created or reused
    with the password `demo-password`. Everything is written in one transaction, so the in-process
    (or Celery) recompute runs once after commit; `recompute_dirty` then catches anything left.
    """
    began = monotonic()
    demo = build_demo(today=today, seed=seed)
    with transaction.atomic():
        existing = Organisation.objects.filter(slug=SLUG).first()
        if existing is not None:
            existing.delete()
        organisation = create_organisation(
            slug=SLUG, name=NAME, time_zone=TIME_ZONE, language=LANGUAGE
        )
        for username, role in USERS:
            user = create_user(
                organisation=organisation, username=username, role=role, password=PASSWORD
            )
            if role == Role.ADMIN:
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
        _api_key, secret = create_api_key(organisation=organisation, name=API_KEY_NAME)
        for data in demo.indicators:
            create_indicator(organisation=organisation, data=data)
        batches = [
            demo.measurements[i : i + BATCH_SIZE]
            for i in range(0, len(demo.measurements), BATCH_SIZE)
        ]
        for batch in batches:
            ingest_measurements(organisation=organisation, items=batch)
    recompute_dirty()
    deviations = Deviation.objects.filter(indicator__organisation=organisation)
    return LoadedDemo(
        organisation=organisation,
        api_key=secret,
        replaced=existing is not None,
        demo=demo,
        batches=len(batches),
        measurements=Measurement.objects.filter(indicator__organisation=organisation).count(),
        period_values=PeriodValue.objects.filter(indicator__organisation=organisation).count(),
        deviations={
            kind: deviations.filter(kind=kind).count() for kind in ("corrective", "learning")
        },
        seconds=monotonic() - began,
    )


def _month_starts(today: date) -> list[date]:
    """First days of the 18 months ending with the month of `today` (the last is in progress)."""
    months = [period_start(today, "month")]
    while len(months) < MONTHS:
        months.insert(0, previous_period_start(months[0], "month"))
    return months


def _month_index(day: date, start: date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month


def _month_day(start: date, month: int, day: int) -> date:
    first = start
    for _ in range(month):
        first = next_period_start(first, "month")
    return first.replace(day=day)


def _timestamp(day: date, second_of_day: int) -> str:
    """ISO-8601 local time with the offset of that day (DST switches at night, never 08-21)."""
    moment = datetime(day.year, day.month, day.day, tzinfo=_TZ) + timedelta(seconds=second_of_day)
    return moment.isoformat()


def _fast_quote(rng, days: list[date], start: date) -> tuple[list[dict], dict[int, float]]:
    """30-60 quotes a working day (12-25 at weekends), in seconds to a price, and month means."""
    k = np.arange(MONTHS)
    levels = np.maximum(24 + 66 * np.exp(-k / 5.5) + rng.normal(0, 6, MONTHS) + 5 * (-1) ** k, 15)
    outage_days = {_month_day(start, _OUTAGE[0], d) for d in _OUTAGE[1]}
    pilot_day = _month_day(start, _PILOT[0], 8)
    pilot_start = pilot_day + timedelta(days=(7 - pilot_day.weekday()) % 7)
    items, sums, counts = [], np.zeros(MONTHS), np.zeros(MONTHS)
    for day in days:
        month = _month_index(day, start)
        weekend = day.weekday() >= 5
        level = levels[month] * (1.08 if day.weekday() == 0 else 0.92 if weekend else 1.0)
        level *= np.exp(rng.normal(0, 0.05))
        if day in outage_days:
            level *= _OUTAGE[2]
        if pilot_start <= day < pilot_start + timedelta(days=7):
            level *= _PILOT[1]
        n = int(rng.integers(12, 26) if weekend else rng.integers(30, 61))
        seconds = np.sort(rng.choice(13 * 3600, size=n, replace=False)) + 8 * 3600
        channels = rng.choice(len(CHANNELS), size=n, p=_QUOTE_SHARE)
        values = level * _QUOTE_SPEED[channels] * rng.lognormal(-(0.45**2) / 2, 0.45, n)
        values = np.maximum(np.round(values, 1), 3.0)
        for second, channel, value in zip(seconds, channels, values, strict=True):
            items.append(
                {
                    "indicator": "fast_quote",
                    "observed_at": _timestamp(day, int(second)),
                    "value": float(value),
                    "segment": {"channel": CHANNELS[channel]},
                }
            )
        sums[month] += values.sum()
        counts[month] += n
    means = {m: sums[m] / counts[m] for m in range(MONTHS) if counts[m]}
    means[-1] = _QUOTE_LEVEL_BEFORE_START
    return items, means


def _new_customers(rng, complete: list[date], quote_means: dict[int, float]) -> np.ndarray:
    """Monthly new customers, driven by last month's mean Fast Quote (faster -> more)."""
    lagged = np.array([quote_means[m - 1] for m in range(len(complete))])
    return np.round(1800 - 12.5 * lagged + rng.normal(0, 60, len(complete))).astype(int)


def _quote_turnaround(rng, days: list[date], start: date) -> list[dict]:
    """Days from request to quote for business buyers, a few quotes a working day."""
    levels = 2.4 + 4.2 * np.exp(-np.arange(MONTHS) / 6)
    items = []
    for day in days:
        if day.weekday() >= 5:
            continue
        n = int(rng.poisson(1.6))
        level = levels[_month_index(day, start)]
        seconds = np.sort(rng.choice(9 * 3600, size=n, replace=False)) + 8 * 3600
        for second in seconds:
            value = max(round(float(level * rng.lognormal(-(0.35**2) / 2, 0.35)), 1), 0.2)
            items.append(
                {
                    "indicator": "quote_turnaround",
                    "observed_at": _timestamp(day, int(second)),
                    "value": value,
                }
            )
    return items


def _first_time_resolution(rng, days: list[date], start: date, levels: np.ndarray) -> list[dict]:
    """Weekly per channel, each Sunday: contacts resolved at the first contact / contacts."""
    volume = {"web": 420, "phone": 780, "agent": 160}
    offset = {"web": -0.04, "phone": 0.0, "agent": 0.03}
    great_week = period_start(_month_day(start, 13, 15), "week")  # new knowledge base
    items = []
    for day in days:
        if day.weekday() != 6:
            continue
        p = levels[_month_index(day, start)] + rng.normal(0, 0.015)
        p += 0.08 if period_start(day, "week") == great_week else 0.0
        for channel in CHANNELS:
            contacts = int(rng.poisson(volume[channel]))
            resolved = int(rng.binomial(contacts, min(max(p + offset[channel], 0.0), 1.0)))
            items.append(
                {
                    "indicator": "first_time_resolution",
                    "observed_at": day.isoformat(),
                    "numerator": resolved,
                    "denominator": contacts,
                    "segment": {"channel": channel},
                }
            )
    return items


def _nothing_broke(rng, days: list[date], start: date, levels: np.ndarray) -> list[dict]:
    """Weekly repair-partner report, each Friday: deliveries with nothing broken / deliveries."""
    items = []
    for day in days:
        if day.weekday() != 4:
            continue
        deliveries = int(rng.poisson(75))
        p = min(levels[_month_index(day, start)] + rng.normal(0, 0.008), 1.0)
        items.append(
            {
                "indicator": "nothing_broke",
                "observed_at": day.isoformat(),
                "numerator": int(rng.binomial(deliveries, p)),
                "denominator": deliveries,
            }
        )
    return items


def _payment_plan_options(days: list[date], start: date) -> list[dict]:
    """Monday snapshot of the product catalogue: payment plans a customer can choose."""
    steps = ((0, 2), (4, 3), (9, 4), (13, 5), (16, 6))  # from month index: options
    return [
        {
            "indicator": "payment_plan_options",
            "observed_at": day.isoformat(),
            "value": float([n for month, n in steps if _month_index(day, start) >= month][-1]),
        }
        for day in days
        if day.weekday() == 0
    ]


def _prefilled_quotes(rng, days: list[date], start: date) -> list[dict]:
    """Weekly, each Sunday: web quotes pre-filled from public registers / web quotes."""
    items = []
    for day in days:
        if day.weekday() != 6:
            continue
        p = 0.78 - 0.58 * np.exp(-_month_index(day, start) / 5)
        quotes = int(rng.poisson(190))
        items.append(
            {
                "indicator": "prefilled_quotes",
                "observed_at": day.isoformat(),
                "numerator": int(rng.binomial(quotes, p)),
                "denominator": quotes,
            }
        )
    return items


def _nps(rng, complete: list[date], quote_means: dict, ftr_levels: np.ndarray) -> list[dict]:
    """Monthly NPS from the relationship survey, in NPS points."""
    return [
        {
            "indicator": "nps",
            "observed_at": month.isoformat(),
            "value": round(
                float(
                    12
                    + 0.18 * (90 - quote_means[m])
                    + 50 * (ftr_levels[m] - 0.66)
                    + rng.normal(0, 2)
                ),
                1,
            ),
        }
        for m, month in enumerate(complete)
    ]


def _retention(rng, complete: list[date], ftr_levels, broke_levels) -> list[dict]:
    """Monthly per channel: policies renewed / policies due for renewal."""
    due = {"web": 2600, "phone": 2100, "agent": 1500}
    offset = {"web": -0.02, "phone": 0.0, "agent": 0.02}
    items = []
    for m, month in enumerate(complete):
        p = 0.845 + 0.35 * (ftr_levels[m] - 0.66) + 0.3 * (broke_levels[m] - 0.93)
        for channel in CHANNELS:
            policies = int(rng.poisson(due[channel]))
            share = min(p + offset[channel] + rng.normal(0, 0.004), 1.0)
            items.append(
                {
                    "indicator": "retention",
                    "observed_at": month.isoformat(),
                    "numerator": int(rng.binomial(policies, share)),
                    "denominator": policies,
                    "segment": {"channel": channel},
                }
            )
    return items


def _customers_and_premium(rng, complete: list[date], customers: np.ndarray) -> list[dict]:
    """Monthly per channel: new customers and their first-year written premium (SEK)."""
    premium = {"web": 7800, "phone": 9400, "agent": 12600}
    items = []
    for m, month in enumerate(complete):
        web = 0.50 + 0.12 * m / max(len(complete) - 1, 1)
        split = rng.multinomial(customers[m], [web, 0.6 * (1 - web), 0.4 * (1 - web)])
        for channel, count in zip(CHANNELS, split, strict=True):
            segment = {"channel": channel}
            revenue = round(float(count * premium[channel] * rng.lognormal(0, 0.04)))
            items += [
                {
                    "indicator": "new_customers",
                    "observed_at": month.isoformat(),
                    "value": float(count),
                    "segment": segment,
                },
                {
                    "indicator": "premium_revenue",
                    "observed_at": month.isoformat(),
                    "value": float(revenue),
                    "segment": segment,
                },
            ]
    return items


def _indicator(
    *,
    code: str,
    name: str,
    description: str,
    owner: str,
    unit: str,
    kind: str,
    direction: str,
    aggregation: str | None,
    period: str,
    evidence: str | None,
    layer: str,
    leading: bool,
    baseline: float,
    targets: tuple[float, float],
    band: dict,
    benchmark: tuple[float, str],
    start: date,
    today: date,
    formula: str | None = None,
) -> dict:
    """One `create_indicator` data dict; targets are (from the start, from 1 January this year)."""
    return {
        "code": code,
        "name": name,
        "description": description,
        "owner": owner,
        "unit": unit,
        "kind": kind,
        "direction": direction,
        "aggregation": aggregation,
        "period": period,
        "evidence": evidence,
        "layer": layer,
        "leading": leading,
        "formula": formula,
        "baseline": {"value": baseline, "date": start},
        "targets": [
            {"from": start, "value": targets[0]},
            {"from": date(today.year, 1, 1), "value": targets[1]},
        ],
        "band": band,
        "benchmarks": [{"from": start, "value": benchmark[0], "source": benchmark[1]}],
    }


def indicator_definitions(*, start: date, today: date) -> list[dict]:
    """The demo's CPIs and KPIs, inputs before the formula that uses them."""
    survey = f"Industry survey {today.year - 1}"
    common = {"start": start, "today": today}
    cpi = {"kind": "cpi", "leading": True, "evidence": None, **common}
    kpi = {"kind": "kpi", "leading": False, "layer": "impact", **common}
    higher, lower = "higher_is_better", "lower_is_better"
    return [
        _indicator(
            code="fast_quote",
            name="Fast Quote",
            description=(
                "Seconds from a customer opening the quote form (web, phone or agent) to seeing "
                "a price. Customer voice: 'Nordic Mutual gives me a price while I am still on "
                "the page.'"
            ),
            owner="Head of Digital Sales",
            unit="s",
            direction=lower,
            aggregation="mean",
            period="week",
            layer="execution",
            baseline=90,
            targets=(45, 30),
            band={
                "low": 20,
                "high": 50,
                "action_below": (
                    "What made this possible? Find out what made quotes this fast (pre-filled "
                    "data, fewer referrals?) and roll it out to every channel."
                ),
                "action_above": (
                    "Corrective: open an incident with the pricing-engine team, check "
                    "rating-service latency and manual underwriting referrals, and report back "
                    "within two days."
                ),
            },
            benchmark=(40, "Competitor mystery shopping"),
            **cpi,
        ),
        _indicator(
            code="quote_turnaround",
            name="Quote turnaround for business buyers",
            description=(
                "Working days from a business customer's complete quote request to a priced offer "
                "in their inbox. Customer voice: 'I get a firm offer before my board meets.'"
            ),
            owner="Commercial Lines Sales Manager",
            unit="days",
            direction=lower,
            aggregation="mean",
            period="month",
            layer="execution",
            baseline=6.5,
            targets=(4, 3),
            band={
                "low": 1,
                "high": 4,
                "action_below": (
                    "What made this possible? Ask the underwriters which requests were fast and "
                    "turn them into a standard fast-track."
                ),
                "action_above": (
                    "Corrective: review every request older than four days with commercial "
                    "underwriting; escalate missing risk data to the broker the same day."
                ),
            },
            benchmark=(3.5, survey),
            **cpi,
        ),
        _indicator(
            code="first_time_resolution",
            name="First Time Resolution",
            description=(
                "Share of customer contacts (phone, chat, agent) resolved in the first contact, "
                "without a call-back or a second contact within seven days."
            ),
            owner="Customer Service Manager",
            unit="%",
            direction=higher,
            aggregation="ratio",
            period="week",
            layer="execution",
            baseline=66,
            targets=(75, 80),
            band={
                "low": 70,
                "high": 86,
                "action_below": (
                    "Corrective: listen to ten unresolved contacts with the team leads, fix the "
                    "top knowledge-base gap this week and coach on it."
                ),
                "action_above": (
                    "What made this possible? Find which answers or tools resolved contacts at "
                    "once and share them with every team."
                ),
            },
            benchmark=(74, survey),
            **cpi,
        ),
        _indicator(
            code="nothing_broke",
            name="Nothing Broke",
            description=(
                "Share of claims-repair deliveries (home and motor) where the customer reports "
                "nothing broken or damaged by the repair partner. Weekly partner report."
            ),
            owner="Claims Operations Manager",
            unit="%",
            direction=higher,
            aggregation="ratio",
            period="month",
            layer="execution",
            baseline=93,
            targets=(96, 97.5),
            band={
                "low": 95,
                "high": 99.5,
                "action_below": (
                    "Corrective: review every broken-item report with the repair partner within a "
                    "week and agree a fix; repeat offenders go on partner probation."
                ),
                "action_above": (
                    "What made this possible? Ask the best partners what they did differently and "
                    "add it to the partner handbook."
                ),
            },
            benchmark=(96, "Repair partner network audit"),
            **cpi,
        ),
        _indicator(
            code="payment_plan_options",
            name="Payment-plan options",
            description=(
                "Number of payment plans a private customer can choose at purchase (annual, "
                "monthly, quarterly, pay-per-kilometre, seasonal...). Monday catalogue snapshot."
            ),
            owner="Product Manager, Payments",
            unit="count",
            direction=higher,
            aggregation="last",
            period="month",
            layer="choice",
            baseline=2,
            targets=(3, 5),
            band={
                "low": 3,
                "high": 6,
                "action_below": (
                    "Corrective: the product council reviews which payment plan customers ask for "
                    "most and schedules it for the next release."
                ),
                "action_above": (
                    "What made this possible? Check that every plan is still used and understood "
                    "before adding more; more choice is not always better."
                ),
            },
            benchmark=(4, "Competitor mystery shopping"),
            **cpi,
        ),
        _indicator(
            code="prefilled_quotes",
            name="Pre-filled quotes",
            description=(
                "Share of web quotes where vehicle and home data were pre-filled from public "
                "registers, so the customer only confirms. The capability behind Fast Quote."
            ),
            owner="Head of IT Integration",
            unit="%",
            direction=higher,
            aggregation="ratio",
            period="month",
            layer="prerequisite",
            baseline=20,
            targets=(50, 70),
            band={
                "low": 40,
                "high": 95,
                "action_below": (
                    "Corrective: check the register integrations' error logs and the share of "
                    "look-ups that time out; fix the largest source first."
                ),
                "action_above": (
                    "What made this possible? Document the integration changes and reuse them "
                    "for the phone and agent channels."
                ),
            },
            benchmark=(55, survey),
            **cpi,
        ),
        _indicator(
            code="nps",
            name="Net Promoter Score",
            description=(
                "Monthly relationship-survey NPS, in NPS points (-100..100). What customers say; "
                "customers do not care about it, the company does."
            ),
            owner="Chief Customer Officer",
            unit="NPS points",
            direction=higher,
            aggregation="mean",
            period="month",
            evidence="say",
            baseline=12,
            targets=(20, 28),
            band={
                "low": 15,
                "high": 35,
                "action_below": (
                    "Corrective: read the detractors' comments of the month with the management "
                    "team and pick one cause to fix."
                ),
                "action_above": (
                    "What made this possible? Ask promoters what we did right this month and "
                    "tell the teams behind it."
                ),
            },
            benchmark=(18, survey),
            **kpi,
        ),
        _indicator(
            code="retention",
            name="Retention",
            description=(
                "Share of policies due for renewal in the month that were renewed. What "
                "customers do."
            ),
            owner="Head of Retention",
            unit="%",
            direction=higher,
            aggregation="ratio",
            period="month",
            evidence="do",
            baseline=84.5,
            targets=(87, 89),
            band={
                "low": 85,
                "high": 92,
                "action_below": (
                    "Corrective: call a sample of customers who left this month and check which "
                    "CPI let them down."
                ),
                "action_above": (
                    "What made this possible? Compare the renewing cohort with earlier ones and "
                    "keep what changed."
                ),
            },
            benchmark=(86, survey),
            **kpi,
        ),
        _indicator(
            code="new_customers",
            name="New customers",
            description=(
                "Customers buying their first policy with us in the month, by sales channel."
            ),
            owner="Sales Director",
            unit="customers",
            direction=higher,
            aggregation="sum",
            period="month",
            evidence="do",
            baseline=700,
            targets=(1100, 1400),
            band={
                "low": 800,
                "high": 1700,
                "action_below": (
                    "Corrective: check the quote-to-sale funnel by channel for the step where "
                    "customers drop out, starting with the time to a price."
                ),
                "action_above": (
                    "What made this possible? Find the campaign, channel or CPI change behind the "
                    "month and make it repeatable."
                ),
            },
            benchmark=(1200, survey),
            **kpi,
        ),
        _indicator(
            code="premium_revenue",
            name="New-business premium",
            description=(
                "First-year written premium of policies sold to new customers in the month."
            ),
            owner="Chief Financial Officer",
            unit="SEK",
            direction=higher,
            aggregation="sum",
            period="month",
            evidence="do",
            baseline=6_400_000,
            targets=(10_000_000, 13_000_000),
            band={
                "low": 7_000_000,
                "high": 16_000_000,
                "action_below": (
                    "Corrective: check the sales mix and price changes of the month with the "
                    "pricing actuaries."
                ),
                "action_above": (
                    "What made this possible? Check that the growth is profitable before scaling "
                    "the channel that drove it."
                ),
            },
            benchmark=(11_000_000, survey),
            **kpi,
        ),
        _indicator(
            code="revenue_per_new_customer",
            name="Premium per new customer",
            description=(
                "New-business premium divided by new customers: the average first-year premium of "
                "a new customer. Falls as more customers buy smaller policies on the web."
            ),
            owner="Chief Financial Officer",
            unit="SEK",
            direction=higher,
            aggregation=None,
            period="month",
            evidence=None,
            formula="premium_revenue / new_customers",
            baseline=9100,
            targets=(9200, 9400),
            band={
                "low": 8600,
                "high": 9800,
                "action_below": (
                    "Corrective: check whether the web channel sells too few add-on covers and "
                    "review the cross-sell step of the purchase flow."
                ),
                "action_above": (
                    "What made this possible? Find which channel or product lifted the premium and "
                    "share it with sales."
                ),
            },
            benchmark=(8800, survey),
            **kpi,
        ),
    ]
