"""Load the surveys' demo: the relationship survey that feeds the monthly NPS, and the engagement
survey with its customer-focus pack beside the units' NPS and operating margin.

Two entries into `indicators.demo.parts`: the relationship survey claims the story's `nps`
series (the story no longer pushes it; the survey's responses reproduce its monthly values and
feed them per unit), and a part adds the engagement survey and `operating_margin` per unit.
"""

import json
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction

from indicators.compute.periods import next_period_start, period_start, previous_period_start
from indicators.demo.definitions import dated_definition
from indicators.demo.story import MONTHS
from indicators.services import create_indicator, ingest_measurements

from ..models import Response, Survey
from ..services.feed import bind_question, refeed_question
from ..services.templates import create_from_template
from .story import UNITS, engagement_round, operating_margins, relationship_month, staff

DEFINITIONS = Path(__file__).with_name("definitions.json")
RELATIONSHIP = ("relationship", "Customer relationship survey")
ENGAGEMENT = ("engagement", "Engagement survey")
ROUNDS = 2


def load_demo_relationship_survey(
    *, organisation, people: dict, today: date, measurements: list[dict]
) -> str:
    """The story's monthly NPS (`measurements`), as a month of customers' responses each; the
    NPS question feeds the KPI `nps` per unit."""
    survey = create_from_template(
        organisation, "relationship", code=RELATIONSHIP[0], name=RELATIONSHIP[1], language="en"
    )
    end = today - timedelta(days=1)
    answered = [
        response
        for item in measurements
        for response in relationship_month(
            item["value"], date.fromisoformat(item["observed_at"][:10]), end=end
        )
    ]
    _write_responses(survey, answered)
    question = survey.questions.get(code="nps")
    nps = organisation.indicators.get(code="nps")
    bind_question(question, nps, ["unit"], backfill=False)
    refeed_question(question.pk)  # here, in the demo's transaction: one recompute for all
    return (
        f"Surveys: {RELATIONSHIP[1]}: {len(answered)} responses over {len(measurements)} months "
        f"(NPS, CSAT, CES), its NPS feeding the KPI nps per unit ({len(UNITS)} units)."
    )


def load_demo_surveys(*, organisation, people: dict, today: date) -> str:
    """The engagement survey, two rounds in the last two complete quarters, and the units'
    monthly operating margin over the demo's complete months."""
    quarter = period_start(today, "quarter")
    starts = [previous_period_start(quarter, "quarter")]
    while len(starts) < ROUNDS:
        starts.insert(0, previous_period_start(starts[0], "quarter"))
    with transaction.atomic():
        survey = create_from_template(
            organisation, "engagement", code=ENGAGEMENT[0], name=ENGAGEMENT[1], language="en"
        )
        people_of_units = staff()
        answered = [
            response
            for index, start in enumerate(starts)
            # The middle month's second week: after the quarter's first results are in.
            for response in engagement_round(
                index,
                next_period_start(start, "month") + timedelta(days=7),
                people=people_of_units,
            )
        ]
        _write_responses(survey, answered)
        margin = _operating_margin(organisation, people, today)
    rounds = ", ".join(f"{start:%Y} Q{(start.month - 1) // 3 + 1}" for start in starts)
    return (
        f"Surveys: {ENGAGEMENT[1]} with the customer-focus pack: {len(answered)} responses of "
        f"{len(people_of_units)} staff in {ROUNDS} rounds ({rounds}); {margin} measurements of "
        f"the new KPI operating_margin per unit."
    )


def _operating_margin(organisation, people: dict, today: date) -> int:
    months = _complete_months(today)
    (entry,) = json.loads(DEFINITIONS.read_text(encoding="utf-8"))
    data = dated_definition(entry, start=months[0], today=today)
    create_indicator(organisation=organisation, data={**data, "owner_user": people["admin"]})
    items = operating_margins(months)
    ingest_measurements(organisation=organisation, items=items)
    return len(items)


def _complete_months(today: date) -> list[date]:
    """The demo's complete months (all but the one in progress)."""
    months = [previous_period_start(period_start(today, "month"), "month")]
    while len(months) < MONTHS - 1:
        months.insert(0, previous_period_start(months[0], "month"))
    return months


def _write_responses(survey: Survey, answered: list) -> None:
    """Demo responses straight into the table: generated, so valid by construction; the API's
    path (`ingest_responses`) validates what real clients send."""
    tz = survey.organisation.tz
    Response.objects.bulk_create(
        [
            Response(
                survey=survey,
                respondent=a.respondent,
                submitted_at=a.submitted_at,
                local_date=a.submitted_at.astimezone(tz).date(),
                attributes=a.attributes,
                answers=a.answers,
            )
            for a in answered
        ],
        batch_size=2000,
    )
