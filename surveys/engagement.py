"""The engagement report's reads: staff with and without customer contact compared question by
question, and the customer-focus index of each unit beside indicators measured per unit.

Counts come from `selectors.all_answer_counts` (one GROUP BY for all questions), indicator values from
`indicators.selectors`, every score, difference and correlation from `compute`.

Customer-focus index of a unit (over one period) = the mean, over the customer-focus questions
(group `customer_focus`, agreement scales: likert and csat) that the unit's staff answered, of
each question's mean answer rescaled to 0..100: 100 * (mean - scale minimum) / (scale maximum -
scale minimum). 0 = everyone at the bottom of the scale, 100 = everyone at the top; every
question weighs the same.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from indicators import selectors as indicator_selectors
from indicators.compute.periods import next_period_start, period_start

from . import compute, selectors
from .models import QuestionGroup, QuestionType, Response, Survey

REPORT_PERIODS = ("quarter", "year")
INDEX_TYPES = (QuestionType.LIKERT, QuestionType.CSAT)  # agreement scales, higher = more
# The values of the contact attribute that mean "has customer contact" and "has none".
CONTACT_YES = {"yes", "y", "true", "1", "ja", "kyllä", "kylla"}
CONTACT_NO = {"no", "n", "false", "0", "nej", "ei"}
PROFITABILITY_WORDS = ("profit", "margin", "lonsam", "kannatt")


@dataclass(frozen=True)
class ReportPeriod:
    period: str  # quarter | year
    start: date
    end: date  # inclusive

    @property
    def key(self) -> str:
        return f"{self.period}:{self.start.isoformat()}"


def report_periods(survey: Survey) -> list[ReportPeriod]:
    """The quarters, then the years, that have responses, latest first (one query)."""
    months = Response.objects.filter(survey=survey).order_by().dates("local_date", "month")
    periods = []
    for period in REPORT_PERIODS:
        starts = sorted({period_start(month, period) for month in months}, reverse=True)
        for start in starts:
            end = next_period_start(start, period) - timedelta(days=1)
            periods.append(ReportPeriod(period, start, end))
    return periods


def chosen_period(periods: list[ReportPeriod], key: str | None) -> ReportPeriod | None:
    """The period named by `key`, else the latest quarter; None without responses."""
    for period in periods:
        if period.key == key:
            return period
    return periods[0] if periods else None


def _counts(survey: Survey, questions: list, by: str, period: ReportPeriod) -> dict:
    """{question code: {segment: counts}} in one GROUP BY."""
    return selectors.all_answer_counts(survey, questions, by=by, start=period.start, end=period.end)


# --- with and without customer contact ---------------------------------------------------------


@dataclass(frozen=True)
class ContactGroups:
    """The values of the contact attribute that mean yes and no, each spelling of them."""

    yes_values: tuple[str, ...]
    no_values: tuple[str, ...]
    values: list[str]  # every value the attribute has

    @property
    def with_contact(self) -> str | None:
        """The values that mean contact, as shown ("yes / Yes"); None when there is none."""
        return " / ".join(self.yes_values) or None

    @property
    def without_contact(self) -> str | None:
        return " / ".join(self.no_values) or None


def contact_groups(survey: Survey) -> ContactGroups:
    """Which values of the survey's contact attribute mean yes and no (one query): every
    spelling counts ("yes", "Yes", "ja"), so no respondent falls out of either group."""
    values = selectors.attribute_values(survey, survey.contact_attribute)
    yes = tuple(v for v in values if v.strip().lower() in CONTACT_YES)
    no = tuple(v for v in values if v.strip().lower() in CONTACT_NO)
    return ContactGroups(yes, no, values)


def _pooled(counts: dict, values: tuple[str, ...]) -> dict[int, int]:
    """The answer counts of all `values` (segments) added up."""
    pooled: dict[int, int] = {}
    for value in values:
        for point, count in counts.get(value, {}).items():
            pooled[point] = pooled.get(point, 0) + count
    return pooled


@dataclass(frozen=True)
class ContactRow:
    question: object
    with_contact: compute.Score
    without_contact: compute.Score
    difference: compute.Difference | None  # with contact minus without


def contact_comparison(
    survey: Survey, groups: ContactGroups, period: ReportPeriod
) -> list[ContactRow]:
    """Each scored question's score for staff with and without customer contact and the
    difference (with - without) with its 95 % interval; one GROUP BY."""
    if not groups.yes_values or not groups.no_values:
        return []
    questions = selectors.scored_questions(survey)
    counted = _counts(survey, questions, survey.contact_attribute, period)
    rows = []
    for question in questions:
        counts = counted[question.code]
        scale = selectors.scale_of(question)
        yes, no = _pooled(counts, groups.yes_values), _pooled(counts, groups.no_values)
        rows.append(
            ContactRow(
                question=question,
                with_contact=compute.score(question.type, scale, yes, survey.min_n),
                without_contact=compute.score(question.type, scale, no, survey.min_n),
                difference=compute.difference(question.type, scale, yes, no),
            )
        )
    return rows


# --- the customer-focus index per unit ---------------------------------------------------------


def focus_questions(survey: Survey) -> list:
    return [
        question
        for question in survey.questions.all()
        if question.group == QuestionGroup.CUSTOMER_FOCUS and question.type in INDEX_TYPES
    ]


def focus_index(means: list[tuple[float, tuple[int, int]]]) -> float | None:
    """The index (module docstring) from each question's (mean, (scale min, scale max))."""
    shares = [100 * (mean - low) / (high - low) for mean, (low, high) in means if mean is not None]
    return sum(shares) / len(shares) if shares else None


@dataclass(frozen=True)
class UnitFocus:
    unit: str
    index: float | None
    n: int  # answers to the unit's most answered customer-focus question
    too_few: bool


def unit_focus(survey: Survey, period: ReportPeriod) -> list[UnitFocus]:
    """The customer-focus index of each unit with answers, by unit name; one GROUP BY."""
    questions = focus_questions(survey)
    counted = _counts(survey, questions, survey.unit_attribute, period) if questions else {}
    by_unit: dict[str, list] = {}
    for question in questions:
        scale = selectors.scale_of(question)
        for unit, counts in counted[question.code].items():
            if unit is None or unit == "":
                continue
            # The mean of the answers, whatever the type's own score (csat scores a share).
            mean = compute.score(compute.LIKERT, scale, counts, survey.min_n)
            if mean.n:
                by_unit.setdefault(unit, []).append((mean, scale))
    units = []
    for unit in sorted(by_unit, key=selectors.natural_key):
        scores = by_unit[unit]
        n = max(s.n for s, _scale in scores)
        index = focus_index([(s.score, scale) for s, scale in scores])
        units.append(UnitFocus(unit, index, n, n < survey.min_n))
    return units


# --- beside indicators measured per unit -------------------------------------------------------


def unit_indicators(survey: Survey) -> list:
    """The organisation's indicators with values per unit (segments `<unit attribute>:...`)."""
    prefix = f"{survey.unit_attribute}:"
    indicators = indicator_selectors.indicators_of(organisation=survey.organisation)
    return [
        indicator
        for indicator in indicators.order_by("name", "code")
        if any(s.startswith(prefix) for s in indicator_selectors.segments_of(indicator=indicator))
    ]


def default_indicators(available: list) -> list:
    """`nps` and the first profitability indicator (by code or name) among those available."""
    chosen = [indicator for indicator in available if indicator.code == "nps"]
    for indicator in available:
        words = f"{indicator.code} {indicator.name}".lower()
        if indicator not in chosen and any(word in words for word in PROFITABILITY_WORDS):
            chosen.append(indicator)
            break
    return chosen or available[:2]


@dataclass(frozen=True)
class UnitPoint:
    unit: str
    focus: float
    value: float
    n: int
    too_few: bool


@dataclass
class Scatter:
    indicator: object
    period: ReportPeriod
    points: list[UnitPoint] = field(default_factory=list)
    without_value: list[str] = field(default_factory=list)  # units with an index, no value
    correlation: compute.Correlation | None = None


def unit_value(indicator, dimension: str, unit: str, period: ReportPeriod) -> float | None:
    """The indicator's value for one unit over the report period (its period value)."""
    answer = indicator_selectors.indicator_values(
        indicator=indicator,
        period=period.period,
        start=period.start,
        end=period.start,
        segment=f"{dimension}:{unit}",
    )
    rows = answer["results"]
    return rows[0]["value"] if rows else None


def scatter(survey: Survey, indicator, units: list[UnitFocus], period: ReportPeriod) -> Scatter:
    """One point per unit with both an index and a value, and Pearson's r over the points."""
    result = Scatter(indicator=indicator, period=period)
    for unit in units:
        if unit.index is None:
            continue
        value = unit_value(indicator, survey.unit_attribute, unit.unit, period)
        if value is None:
            result.without_value.append(unit.unit)
        else:
            result.points.append(UnitPoint(unit.unit, unit.index, value, unit.n, unit.too_few))
    result.correlation = compute.correlation(
        [p.focus for p in result.points], [p.value for p in result.points]
    )
    return result
