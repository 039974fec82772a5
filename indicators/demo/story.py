"""The demo's numbers: 18 months of CPI and KPI measurements of Nordic Mutual Insurance.

`build_demo` generates everything as plain data, with a fixed seed: the indicator definitions
(data in `definitions.json`) and measurement items shaped exactly like the API's. The story:

- Fast Quote (seconds to a price) falls from about 90 s to about 25 s as more quotes are pre-filled
  from public registers, with setbacks, a three-day rating-engine outage and a pilot week;
- new customers of month m follow the mean Fast Quote of month m - 1 (a faster quote wins more
  customers), so the Fast Quote -> new customers hypothesis is strongest at a lag of one month;
- monthly KPIs are reported for complete months only, on the first day of the month they cover;
- the initiatives' own outputs are measured too: agents trained in first-contact resolution lead
  First Time Resolution, until an intake of new agents dilutes the share again; the
  knowledge base's rewritten answers jump when the new knowledge base is released (First Time
  Resolution's great week); the quote engine's availability dips in the months Fast Quote was
  slower than its trend and collapses in the three-day outage; the repair-partner audits stall
  when the auditor leaves and stay behind plan;
- quote turnaround for business buyers hovers under three days with no trend, unrelated to the
  private customers' new business (the demo's inconclusive hypothesis);
- quote conversion (quotes that become policies) is tracked for the last four months; an A/B
  test of an instant price on the web quote form (arms `control` and `fast-quote`) ended a week
  ago with the fast-quote arm clearly ahead, and one in the phone channel is still running;
- some periods fall outside their bands and open corrective and learning deviations.
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from ..compute.periods import next_period_start, period_start, previous_period_start
from .definitions import indicator_definitions

TIME_ZONE = "Europe/Stockholm"
MONTHS = 18
CHANNELS = ("web", "phone", "agent")

_TZ = zoneinfo.ZoneInfo(TIME_ZONE)
# Fast Quote per channel: share of quotes and speed relative to the day's level.
_QUOTE_SHARE = np.array([0.60, 0.25, 0.15])
_QUOTE_SPEED = np.array([0.82, 1.20, 1.45]) / float(np.dot([0.60, 0.25, 0.15], [0.82, 1.20, 1.45]))
_QUOTE_LEVEL_BEFORE_START = 95.0  # seconds, the month before the data starts
_OUTAGE = (9, (10, 11, 12), 2.4)  # month index, days of the month, slow-down factor
_PILOT = (15, 0.6)  # month index (week from its first Monday on/after the 8th), speed-up factor
_KNOWLEDGE_BASE_RELEASE = (13, 15)  # month index, day: the new knowledge base goes live
_AGENTS = 140  # front-line agents at the start
_INTAKE = (15, 24)  # month index, new agents hired for the winter peak (untrained)
_PARTNERS = 48  # repair partners in the network
# Audits completed per month from the careful-delivery programme's start (month index 8); the
# auditor left in month 12 and the audits restarted slowly.
_AUDITS = (3, 4, 4, 3, 0, 0, 1, 2, 3, 3)
# Quote conversion is tracked for the last CONVERSION_DAYS days (since the quote form was
# rebuilt), 18 % of quotes becoming policies; in an A/B test the day's quotes are split between
# the arms. The CPI demo (cpi/demo/evidence.json) registers the same experiments.
CONVERSION_DAYS = 120
_CONVERSION = 0.18
_QUOTES_A_DAY = (400, 180)  # web quotes on a working day, at a weekend
# (first and last day as days before `today`, {arm: share converting}): the instant price on the
# web form, finished a week ago, and in the phone channel, still running.
EXPERIMENTS = (
    (36, 8, {"control": 0.18, "fast-quote": 0.23}),
    (6, -22, {"control": 0.18, "fast-quote-phone": 0.20}),
)


@dataclass(frozen=True)
class Demo:
    """What the demo loads. `start` is the first day with data, `end` the last (yesterday)."""

    today: date
    start: date
    end: date
    indicators: list[dict]
    measurements: list[dict]
    # The measurements of the series a higher app loads instead (`parts.claim_demo_series`),
    # by indicator code; left out of `measurements`.
    withheld: dict[str, list[dict]] = field(default_factory=dict)


def build_demo(*, today: date, seed: int = 7, withhold=frozenset()) -> Demo:
    """Indicators and 18 months of measurements ending `today`, the same for the same inputs.

    Every indicator draws from its own random stream, so the monthly story does not shift with the
    number of days in the range. The measurements of the indicators in `withhold` are set aside
    in `withheld`, for the app that claimed them to load its own way.
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
        *_agents_trained(rng(10), days, start),
        *_knowledge_base_answers(days, start),
        *_quote_engine_availability(rng(11), days, start, quote_means),
        *_repair_partners_audited(rng(12), days, start),
        *_nps(rng(7), complete, quote_means, ftr_levels),
        *_retention(rng(8), complete, ftr_levels, broke_levels),
        *_customers_and_premium(rng(9), complete, customers),
        *_quote_conversion(rng(13), days, today),
    ]
    withheld = {code: [i for i in items if i["indicator"] == code] for code in sorted(withhold)}
    return Demo(
        today=today,
        start=start,
        end=end,
        indicators=indicator_definitions(start=start, today=today),
        measurements=[i for i in items if i["indicator"] not in withhold] if withhold else items,
        withheld=withheld,
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
    """Days from request to quote for business buyers, a few quotes a working day.

    The fast-track desk had brought turnaround down to under three days when the data starts;
    since then it moves with the brokers' workload month by month, with no trend and nothing to
    do with the private customers' side, so its hypothesis on premium revenue is inconclusive."""
    levels = 2.55 + rng.normal(0, 0.22, MONTHS)
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
    """Monday snapshot of the product catalogue: payment plans a customer can choose.

    The catalogue export stopped months ago (a web-shop release broke it), so the indicator
    is stale: its owner is reminded, and every page shows it waiting for data."""
    steps = ((0, 2), (4, 3), (9, 4), (13, 5), (16, 6))  # from month index: options
    last = days[-1]
    month = last.year * 12 + last.month - 1 - 2
    stopped = date(month // 12, month % 12 + 1, 1)
    return [
        {
            "indicator": "payment_plan_options",
            "observed_at": day.isoformat(),
            "value": float([n for month, n in steps if _month_index(day, start) >= month][-1]),
        }
        for day in days
        if day.weekday() == 0 and day < stopped
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


def _agents_trained(rng, days: list[date], start: date) -> list[dict]:
    """Monday snapshot of the learning system: share of front-line agents through the course.

    A pilot team was trained before the data starts; the rest follow, three or four courses a
    month, ahead of First Time Resolution's rise. An intake of new agents arrives untrained and is
    booked on a course one a week, so the share falls back under its target."""
    items, trained = [], round(0.10 * _AGENTS)
    intake_day = _month_day(start, _INTAKE[0], 1)
    new_trained = 0
    for day in days:
        if day.weekday() != 0:
            continue
        month = _month_index(day, start)
        goal = 0.88 - 0.78 * np.exp(-(month + day.day / 31) / 3.5)
        trained = max(trained, min(round(goal * _AGENTS + rng.normal(0, 1)), _AGENTS))
        headcount = _AGENTS + (_INTAKE[1] if day >= intake_day else 0)
        if day >= intake_day + timedelta(days=14):
            new_trained = min(new_trained + 1, _INTAKE[1])  # one a week
        items.append(
            {
                "indicator": "agents_trained",
                "observed_at": day.isoformat(),
                "value": round(100 * (trained + new_trained) / headcount, 1),
            }
        )
    return items


def _knowledge_base_answers(days: list[date], start: date) -> list[dict]:
    """Friday snapshot: how many of the 50 most-asked questions have a rewritten answer.

    Two answers a month from the programme's start (month index 2), eighteen at once when the
    new knowledge base is released, then two a month again."""
    release = _month_day(start, *_KNOWLEDGE_BASE_RELEASE)
    items = []
    for day in days:
        month = _month_index(day, start)
        if day.weekday() != 4 or month < 2:
            continue
        answers = 2 * (month - 2) + (1 if day.day > 15 else 0) + (18 if day >= release else 0)
        items.append(
            {
                "indicator": "knowledge_base_answers",
                "observed_at": day.isoformat(),
                "value": float(min(answers, 50)),
            }
        )
    return items


def _quote_engine_availability(rng, days: list[date], start: date, quote_means) -> list[dict]:
    """Daily monitoring report: minutes the quote engine answered / minutes of the day.

    The engine gets steadier as it is rebuilt, loses a little in the months Fast Quote was
    slower than its trend, and most of three days in the rating-engine outage."""
    outage = dict(zip(_OUTAGE[1], (0.62, 0.55, 0.81), strict=True))
    items = []
    for day in days:
        month = _month_index(day, start)
        slower = max(quote_means[month] - (24 + 66 * np.exp(-month / 5.5)), 0.0)
        share = 0.998 - 0.022 * np.exp(-month / 4) - 0.00025 * slower
        share += rng.normal(0, 0.0008)
        if month == _OUTAGE[0] and day.day in outage:
            share = outage[day.day]
        items.append(
            {
                "indicator": "quote_engine_availability",
                "observed_at": day.isoformat(),
                "numerator": int(round(1440 * min(share, 1.0))),
                "denominator": 1440,
            }
        )
    return items


def _repair_partners_audited(rng, days: list[date], start: date) -> list[dict]:
    """Monday snapshot of the audit plan: share of the repair partners audited once.

    From the careful-delivery programme's start (month index 8); each month's audits fall on
    random working days of that month."""
    first = 8
    audit_days = []
    for offset, count in enumerate(_AUDITS):
        month = first + offset
        month_start = _month_day(start, month, 1)
        month_days = [d for d in days if _month_index(d, start) == month and d.weekday() < 5]
        if month_start > days[-1] or not month_days:
            continue
        picks = rng.choice(len(month_days), size=min(count, len(month_days)), replace=False)
        audit_days += [month_days[int(i)] for i in picks]
    items = []
    for day in days:
        if day.weekday() != 0 or _month_index(day, start) < first:
            continue
        audited = sum(1 for audit in audit_days if audit < day)
        items.append(
            {
                "indicator": "repair_partners_audited",
                "observed_at": day.isoformat(),
                "value": round(100 * audited / _PARTNERS, 1),
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


def _quote_conversion(rng, days: list[date], today: date) -> list[dict]:
    """Daily, at 20:00: web quotes that became a policy / web quotes; split by `arm` on the days
    of an experiment (EXPERIMENTS), else one total."""
    first = today - timedelta(days=CONVERSION_DAYS)
    windows = [
        (today - timedelta(days=begin), today - timedelta(days=end), arms)
        for begin, end, arms in EXPERIMENTS
    ]
    items = []
    for day in days:
        if day < first:
            continue
        quotes_a_day = _QUOTES_A_DAY[1 if day.weekday() >= 5 else 0]
        arms = next((arms for begin, end, arms in windows if begin <= day <= end), None)
        split = arms or {"": _CONVERSION}
        for arm, share in split.items():
            quotes = int(rng.poisson(quotes_a_day / len(split)))
            item = {
                "indicator": "quote_conversion",
                "observed_at": _timestamp(day, 20 * 3600),
                "numerator": int(rng.binomial(quotes, share)),
                "denominator": quotes,
            }
            if arm:
                item["segment"] = {"arm": arm}
            items.append(item)
    return items
