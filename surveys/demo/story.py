"""The surveys' demo data as plain values: customers' and staff's responses, a fixed seed.

- Nordic Mutual has ten branch offices; each has a customer focus of its own (`UNITS`, in
  standard units). Units with more customer focus tend to have more promoters and a better
  operating margin, with noise.
- The customer relationship survey: a few hundred customers a month answer NPS, CSAT and CES.
  Each month's promoters and detractors are counted so that the month's NPS is the story's
  monthly NPS (the one `indicators.demo.story` would have pushed itself) to within 50 / n
  points; who is a promoter follows the customer's unit, so every unit has its own NPS.
- The engagement survey: about 200 staff answer in two rounds, the last two complete quarters.
  Staff with customer contact agree more with the customer-focus statements, and the second
  round is a little better than the first (the customer programme).
"""

import calendar
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

TIME_ZONE = zoneinfo.ZoneInfo("Europe/Stockholm")

# (unit, customer focus in standard units, staff, share of the customers)
UNITS = (
    ("Stockholm", 0.6, 30, 0.20),
    ("Gothenburg", 0.2, 24, 0.13),
    ("Malmo", -0.5, 20, 0.10),
    ("Uppsala", 1.1, 16, 0.08),
    ("Umea", -1.2, 14, 0.06),
    ("Helsinki", 0.9, 24, 0.12),
    ("Tampere", -0.3, 16, 0.07),
    ("Oslo", -0.8, 20, 0.10),
    ("Bergen", 1.4, 14, 0.06),
    ("Copenhagen", 0.0, 22, 0.08),
)
UNIT_NAMES = tuple(name for name, *_rest in UNITS)
FOCUS = np.array([focus for _name, focus, *_rest in UNITS])
CUSTOMER_SHARE = np.array([share for *_rest, share in UNITS]) / sum(u[3] for u in UNITS)
SEGMENTS = ("consumer", "business")
CHANNELS = ("web", "phone", "agent")
TENURES = ("<1", "1-3", "3-10", "10+")
ROLES = ("front line", "specialist", "manager", "support")

CUSTOMERS_A_MONTH = (220, 300)
PASSIVE_SHARE = 0.33
UNIT_PULL = 0.35  # how far a unit's customer focus moves its customers' propensity to promote
SKIPPED = 0.02  # answers left empty (null, never counted in n)
CUSTOMER_REASONS = (
    "Quick and friendly help on the phone.",
    "The price came at once on the web.",
    "Had to repeat my story three times.",
    "The claim took far too long.",
    "Clear answers, no small print surprises.",
    "The repair partner left a mess.",
)
STAFF_COMMENTS = (
    "Tell us what customers say about us, every month.",
    "Let front-line staff fix small problems without asking first.",
    "Fewer internal meetings, more time with customers.",
    "Share the customer feedback with the back office too.",
    "Make our goals about customers, not only volumes.",
)


@dataclass(frozen=True)
class Answered:
    """One respondent's response, shaped like an item of the responses API."""

    respondent: str
    submitted_at: datetime
    attributes: dict
    answers: dict


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, 1400 + stream])


def _moment(rng, day: date) -> datetime:
    second = int(rng.integers(8 * 3600, 21 * 3600))
    return datetime(day.year, day.month, day.day, tzinfo=TIME_ZONE) + timedelta(seconds=second)


def _maybe_skipped(rng, value):
    return None if rng.random() < SKIPPED else value


def promoters_and_detractors(nps: float, n: int) -> tuple[int, int]:
    """Counts (P, D) of n answers whose NPS, 100 * (P - D) / n, is `nps` to within 50 / n,
    about a third of them passive."""
    net = int(np.clip(round(nps * n / 100), -n, n))
    decided = max(abs(net), round((1 - PASSIVE_SHARE) * n))  # promoters + detractors
    if (decided - net) % 2:
        decided += 1 if decided < n else -1
    return (decided + net) // 2, (decided - net) // 2


def relationship_month(nps: float, month: date, *, seed: int = 7, end: date) -> list[Answered]:
    """The month's relationship-survey responses, whose NPS is `nps` (see the module)."""
    rng = _rng(seed, month.year * 12 + month.month)
    n = int(rng.integers(*CUSTOMERS_A_MONTH))
    promoters, detractors = promoters_and_detractors(nps, n)
    units = rng.choice(len(UNITS), size=n, p=CUSTOMER_SHARE)
    # The most inclined promote, the least detract: a unit's focus moves its customers up.
    propensity = UNIT_PULL * FOCUS[units] + rng.normal(0, 1, n)
    order = np.argsort(-propensity, kind="stable")
    category = np.zeros(n, dtype=int)  # 0 passive
    category[order[:promoters]] = 1
    category[order[n - detractors :]] = -1
    last = min(calendar.monthrange(month.year, month.month)[1], (end - month).days + 1)
    answered = []
    for i in range(n):
        day = month + timedelta(days=int(rng.integers(0, last)))
        answers = _customer_answers(rng, int(category[i]))
        answered.append(
            Answered(
                respondent=f"c{month:%Y%m}-{i:04d}",
                submitted_at=_moment(rng, day),
                attributes={
                    "unit": UNIT_NAMES[units[i]],
                    "segment": SEGMENTS[int(rng.random() < 0.22)],
                    "channel": CHANNELS[int(rng.choice(3, p=(0.55, 0.3, 0.15)))],
                },
                answers=answers,
            )
        )
    return answered


def _customer_answers(rng, category: int) -> dict:
    """NPS in the category's range; CSAT and CES that go with it, now and then skipped."""
    nps = {1: (9, 11), 0: (7, 9), -1: (0, 7)}[category]
    score = int(rng.integers(*nps)) if category != -1 else int(rng.choice(7, p=_DETRACTOR))
    lean = {1: 0.9, 0: 0.0, -1: -1.1}[category] + rng.normal(0, 0.7)
    answers = {
        "nps": score,  # never skipped: the month's NPS must be the story's
        "csat": _maybe_skipped(rng, int(np.clip(round(3.9 + lean), 1, 5))),
        "ces": _maybe_skipped(rng, int(np.clip(round(5.2 + 1.3 * lean), 1, 7))),
        "reason": None,
    }
    if rng.random() < 0.12:
        answers["reason"] = CUSTOMER_REASONS[int(rng.integers(len(CUSTOMER_REASONS)))]
    return answers


_DETRACTOR = np.array([0.03, 0.03, 0.05, 0.09, 0.14, 0.28, 0.38])


@dataclass(frozen=True)
class Person:
    number: int
    unit: int
    contact: bool
    tenure: str
    role: str
    engagement: float


def staff(seed: int = 7) -> list[Person]:
    """The staff of the ten units; six in ten meet customers."""
    rng = _rng(seed, 1)
    people = []
    for unit, (_name, _focus, headcount, _share) in enumerate(UNITS):
        for _ in range(headcount):
            role = ROLES[int(rng.choice(4, p=(0.5, 0.25, 0.1, 0.15)))]
            contact = role == "front line" or (role != "support" and rng.random() < 0.4)
            people.append(
                Person(
                    number=len(people) + 1,
                    unit=unit,
                    contact=bool(contact),
                    tenure=TENURES[int(rng.choice(4, p=(0.15, 0.3, 0.35, 0.2)))],
                    role=role,
                    engagement=float(rng.normal(0, 1)),
                )
            )
    return people


def _agreement(latent: float) -> int:
    """A latent agreement (0 = neutral-ish) on the 1..5 scale."""
    return int(np.searchsorted([-1.6, -0.6, 0.35, 1.35], latent) + 1)


def engagement_round(
    round_index: int, first_day: date, *, people: list[Person], seed: int = 7
) -> list[Answered]:
    """One round's responses over two weeks from `first_day`; about one in twenty skips it."""
    rng = _rng(seed, 100 + round_index)
    label = f"{first_day:%Y}q{(first_day.month - 1) // 3 + 1}"
    answered = []
    for person in people:
        if rng.random() < 0.05:
            continue
        core = 0.35 + 0.75 * person.engagement + 0.2 * FOCUS[person.unit]
        focus = (
            -0.2
            + 0.55 * FOCUS[person.unit]
            + (0.7 if person.contact else 0.0)
            + 0.25 * person.engagement
            + 0.2 * round_index
        )
        answers = {
            code: _maybe_skipped(rng, _agreement(core + rng.normal(0, 0.65)))
            for code in ("pride", "energy", "growth", "manager_support", "would_stay")
        }
        answers["enps"] = _maybe_skipped(
            rng, int(np.clip(round(7.4 + 1.7 * core + rng.normal(0, 1.1)), 0, 10))
        )
        for code in ("customer_central", "know_offer", "own_contribution", "goals_customer_value"):
            answers[code] = _maybe_skipped(rng, _agreement(focus + rng.normal(0, 0.7)))
        answers["customer_focus_comment"] = (
            STAFF_COMMENTS[int(rng.integers(len(STAFF_COMMENTS)))] if rng.random() < 0.15 else None
        )
        answered.append(
            Answered(
                respondent=f"s{person.number:03d}-{label}",
                submitted_at=_moment(rng, first_day + timedelta(days=int(rng.integers(0, 14)))),
                attributes={
                    "unit": UNIT_NAMES[person.unit],
                    "customer_contact": "yes" if person.contact else "no",
                    "tenure": person.tenure,
                    "role": person.role,
                },
                answers=answers,
            )
        )
    return answered


def operating_margins(months: list[date], *, seed: int = 7) -> list[dict]:
    """Monthly operating margin per unit, in %: measurement items of `operating_margin`.
    Higher customer focus, higher margin; a slow rise for all, and noise."""
    rng = _rng(seed, 2)
    items = []
    for m, month in enumerate(months):
        margins = 8.0 + 2.0 * FOCUS + 0.06 * m + rng.normal(0, 0.9, len(UNITS))
        for name, margin in zip(UNIT_NAMES, margins, strict=True):
            items.append(
                {
                    "indicator": "operating_margin",
                    "observed_at": month.isoformat(),
                    "value": round(float(margin), 1),
                    "segment": {"unit": name},
                }
            )
    return items
