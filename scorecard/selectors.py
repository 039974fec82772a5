"""Reads of scorecards that the pages, the API and the apps below share, scoped to an
organisation. An object outside the organisation raises `core.errors.NotFound`.

`scorecard_detail` is the one read of a whole scorecard in one period: its structure, the
stored scores of that period and the one before, maturity, customer-centricity and warnings,
in a fixed number of queries whatever the number of objectives and measures.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Organisation
from core.errors import NotFound
from indicators import selectors as indicator_selectors
from indicators.compute.periods import next_period_start, period_start, previous_period_start
from indicators.models import Indicator, PeriodValue, Target

from .compute import maturity as maturity_rule
from .compute import maturity_window, status_of_score
from .compute.maturity import Maturity
from .compute.warnings import MeasureFacts, ObjectiveFacts, ScorecardFacts, Warning, warnings_of
from .models import Measure, Objective, ObjectiveLink, Part, Perspective, Score, Scorecard


def scorecards_of(*, organisation: Organisation) -> QuerySet[Scorecard]:
    return Scorecard.objects.filter(organisation=organisation).order_by("name", "pk")


def scorecard_by_id(*, organisation: Organisation, pk) -> Scorecard:
    scorecard = scorecards_of(organisation=organisation).filter(pk=pk).first()
    if scorecard is None:
        raise NotFound(f"No scorecard {pk}.")
    return scorecard


def objective_by_id(*, organisation: Organisation, pk) -> Objective:
    objective = (
        Objective.objects.filter(perspective__scorecard__organisation=organisation, pk=pk)
        .select_related("perspective__scorecard", "owner")
        .first()
    )
    if objective is None:
        raise NotFound(f"No objective {pk}.")
    return objective


def perspective_by_id(*, organisation: Organisation, pk) -> Perspective:
    perspective = (
        Perspective.objects.filter(scorecard__organisation=organisation, pk=pk)
        .select_related("scorecard")
        .first()
    )
    if perspective is None:
        raise NotFound(f"No perspective {pk}.")
    return perspective


def measure_by_id(*, organisation: Organisation, pk) -> Measure:
    measure = (
        Measure.objects.filter(objective__perspective__scorecard__organisation=organisation, pk=pk)
        .select_related("objective__perspective__scorecard", "indicator")
        .first()
    )
    if measure is None:
        raise NotFound(f"No measure {pk}.")
    return measure


def objectives_of_initiatives(initiative_ids: list[int]) -> dict[int, list[int]]:
    """{initiative id: [ids of the objectives it serves]} (the outcomes registry's source)."""
    through = Objective.initiatives.through
    found: dict[int, list[int]] = defaultdict(list)
    for initiative_id, objective_id in (
        through.objects.filter(initiative_id__in=initiative_ids)
        .order_by("objective_id")
        .values_list("initiative_id", "objective_id")
    ):
        found[initiative_id].append(objective_id)
    return found


def default_period_start(scorecard: Scorecard, today: date | None = None) -> date:
    """The latest complete period of the scorecard's period (what its pages show first)."""
    today = today or indicator_selectors.today_of(scorecard.organisation)
    return previous_period_start(period_start(today, scorecard.period), scorecard.period)


def period_start_of(scorecard: Scorecard, day: date | None, today: date | None = None) -> date:
    """The start of the scorecard period holding `day` (None: the default period)."""
    if day is None:
        return default_period_start(scorecard, today)
    return period_start(day, scorecard.period)


@dataclass
class Row:
    """One part of the scorecard in the asked period: its object, score, previous score, status."""

    obj: object
    score: float | None
    previous: float | None
    status: str
    children: list["Row"] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous is None:
            return None
        return self.score - self.previous


@dataclass
class Detail:
    scorecard: Scorecard
    period_start: date
    previous_start: date
    total: Row
    perspectives: list[Row]
    links: list[tuple[int, int]]
    maturity: Maturity
    customer_centricity: dict[str, int]
    warnings: list[Warning]
    initiatives: dict[int, list[int]]

    def objectives(self) -> list[Row]:
        return [o for p in self.perspectives for o in p.children]


def structure_of(scorecard: Scorecard) -> list[Perspective]:
    """Perspectives -> objectives -> measures (with indicator and `has_target`), objectives with
    their owner and initiatives (four queries)."""
    return structures_of([scorecard]).get(scorecard.pk, [])


# What the scorecard's pages and answers read of a measure's indicator.
MEASURE_INDICATOR_FIELDS = (
    "organisation_id",
    "code",
    "name",
    "unit",
    "kind",
    "direction",
    "aggregation",
    "period",
    "evidence",
    "layer",
    "baseline_value",
)


def structures_of(scorecards: list[Scorecard]) -> dict[int, list[Perspective]]:
    """{scorecard id: its perspectives in order}, each with its objectives, their owner,
    measures (with indicator and `has_target`) and initiatives, in four queries.

    The rows are put together here, not by `prefetch_related`, whose bookkeeping per object was
    most of the time of a scorecard's read: `perspective.objectives.all()`,
    `objective.measures.all()` and `objective.initiatives.all()` answer the lists read here."""
    by_pk = {scorecard.pk: scorecard for scorecard in scorecards}
    perspectives = list(
        Perspective.objects.filter(scorecard_id__in=by_pk).order_by("position", "pk")
    )
    objectives = list(
        Objective.objects.filter(perspective__in=perspectives)
        .select_related("owner")
        .order_by("position", "pk")
    )
    measures = defaultdict(list)
    for measure in (
        Measure.objects.filter(objective__in=objectives)
        .select_related("indicator")
        .only(
            "objective_id",
            "indicator_id",
            "weight",
            "position",
            *(f"indicator__{name}" for name in MEASURE_INDICATOR_FIELDS),
        )
        .annotate(has_target=Exists(Target.objects.filter(indicator=OuterRef("indicator"))))
        .order_by("position", "pk")
    ):
        measures[measure.objective_id].append(measure)
    initiatives = defaultdict(list)
    through = Objective.initiatives.through
    for link in through.objects.filter(objective__in=objectives).select_related("initiative"):
        initiatives[link.objective_id].append(link.initiative)
    initiatives = {
        pk: sorted(found, key=lambda i: (i.title, i.pk)) for pk, found in initiatives.items()
    }
    in_perspective = defaultdict(list)
    for objective in objectives:
        objective._prefetched_objects_cache = {
            "measures": measures.get(objective.pk, []),
            "initiatives": initiatives.get(objective.pk, []),
        }
        in_perspective[objective.perspective_id].append(objective)
    found: dict[int, list[Perspective]] = defaultdict(list)
    for perspective in perspectives:
        perspective.scorecard = by_pk[perspective.scorecard_id]
        perspective._prefetched_objects_cache = {
            "objectives": in_perspective.get(perspective.pk, [])
        }
        for objective in in_perspective.get(perspective.pk, []):
            objective.perspective = perspective
        found[perspective.scorecard_id].append(perspective)
    return found


def scorecard_detail(
    *, scorecard: Scorecard, period_start: date | None = None, today: date | None = None
) -> Detail:
    """The whole scorecard in the period holding `period_start` (None: the latest complete)."""
    today = today or indicator_selectors.today_of(scorecard.organisation)
    start = period_start_of(scorecard, period_start, today)
    previous = previous_period_start(start, scorecard.period)
    perspectives = structure_of(scorecard)
    scores = _scores(scorecard, [start, previous])
    thresholds = {"on_track_from": scorecard.on_track_from, "at_risk_from": scorecard.at_risk_from}

    def row(obj, part: str, children=()) -> Row:
        now, before = scores.get((start, part, obj.pk)), scores.get((previous, part, obj.pk))
        return Row(obj, now, before, status_of_score(now, **thresholds), list(children))

    rows = [
        row(
            perspective,
            Part.PERSPECTIVE,
            [
                row(
                    objective,
                    Part.OBJECTIVE,
                    [row(m, Part.MEASURE) for m in objective.measures.all()],
                )
                for objective in perspective.objectives.all()
            ],
        )
        for perspective in perspectives
    ]
    indicators = _indicators_of(perspectives)
    reference = (
        today if period_start is None else min(today, next_period_start(start, scorecard.period))
    )
    return Detail(
        scorecard=scorecard,
        period_start=start,
        previous_start=previous,
        total=row(scorecard, Part.SCORECARD),
        perspectives=rows,
        links=links_of(scorecard),
        maturity=maturity_rule(_measured_layers(indicators, reference)),
        customer_centricity=customer_centricity_of(indicators),
        warnings=warnings_of(_facts(scorecard, perspectives)),
        initiatives={
            o.pk: [i.pk for i in o.initiatives.all()]
            for p in perspectives
            for o in p.objectives.all()
        },
    )


def _scores(scorecard: Scorecard, starts: list[date]) -> dict[tuple, float]:
    return {
        (s, part, pk): score
        for s, part, pk, score in Score.objects.filter(
            scorecard=scorecard, period_start__in=starts
        ).values_list("period_start", "part", "part_id", "score")
    }


def links_of(scorecard: Scorecard) -> list[tuple[int, int]]:
    """The cause-effect links (source id, target id) of the scorecard's objectives (one query)."""
    return list(
        ObjectiveLink.objects.filter(source__perspective__scorecard=scorecard)
        .order_by("pk")
        .values_list("source_id", "target_id")
    )


def _indicators_of(perspectives: list[Perspective]) -> list[Indicator]:
    seen: dict[int, Indicator] = {}
    for perspective in perspectives:
        for objective in perspective.objectives.all():
            for measure in objective.measures.all():
                seen.setdefault(measure.indicator_id, measure.indicator)
    return list(seen.values())


def customer_centricity_of(indicators: list[Indicator]) -> dict[str, int]:
    """{"cpi": n, "kpi": n}: how many distinct CPI and KPI indicators the scorecard measures."""
    return {
        "cpi": sum(1 for i in indicators if i.kind == "cpi"),
        "kpi": sum(1 for i in indicators if i.kind == "kpi"),
    }


def _measured_layers(indicators: list[Indicator], today: date) -> set[str]:
    """The layers with an indicator that has a total value in the latest complete period of its
    own period, or the one before, as of `today` (one query)."""
    measured = _measured_ids(indicators, today)
    return {i.layer for i in indicators if i.layer and i.pk in measured}


def _measured_ids(indicators: list[Indicator], today: date) -> set[int]:
    """The ids of the layered `indicators` with a value in their maturity window (one query)."""
    layered = [i for i in indicators if i.layer]
    if not layered:
        return set()
    by_period: dict[str, set[int]] = defaultdict(set)
    for indicator in layered:
        by_period[indicator.period].add(indicator.pk)
    condition = Q(pk__in=[])
    for period, ids in by_period.items():  # one clause per period, not per indicator
        condition |= Q(
            indicator_id__in=ids, period=period, period_start__in=maturity_window(today, period)
        )
    return set(
        PeriodValue.objects.filter(condition, segment="", value__isnull=False)
        .order_by()
        .values_list("indicator_id", flat=True)
        .distinct()
    )


def _facts(scorecard: Scorecard, perspectives: list[Perspective]) -> ScorecardFacts:
    return ScorecardFacts(
        id=scorecard.pk,
        perspective_kinds=tuple(p.kind for p in perspectives),
        objectives=tuple(
            ObjectiveFacts(
                id=objective.pk,
                title=objective.title,
                perspective_kind=perspective.kind,
                voice=objective.voice,
                initiative_count=len(objective.initiatives.all()),
                measures=tuple(
                    MeasureFacts(
                        id=m.pk,
                        indicator_name=m.indicator.name,
                        evidence=m.indicator.evidence,
                        can_score=bool(m.has_target and m.indicator.baseline_value is not None),
                    )
                    for m in objective.measures.all()
                ),
            )
            for perspective in perspectives
            for objective in perspective.objectives.all()
        ),
        generic_phrases=tuple(scorecard.generic_phrases or ()),
        max_measures=scorecard.max_measures_per_objective,
    )


def score_history(
    *, scorecard: Scorecard, end: date | None = None, count: int = 12
) -> dict[tuple[str, int], list[tuple[date, float]]]:
    """{(part, id): [(period start, score)] oldest first} of the last `count` periods up to
    `end` (default: the latest complete), every part (one query)."""
    end = period_start_of(scorecard, end)
    first = end
    for _step in range(max(count, 1) - 1):
        first = previous_period_start(first, scorecard.period)
    history: dict[tuple[str, int], list[tuple[date, float]]] = defaultdict(list)
    for start, part, pk, score in (
        Score.objects.filter(scorecard=scorecard, period_start__range=(first, end))
        .order_by("period_start")
        .values_list("period_start", "part", "part_id", "score")
    ):
        history[(part, pk)].append((start, score))
    return history


def scored_periods(*, scorecard: Scorecard) -> list[date]:
    """The period starts that have a scorecard score, newest first (one query)."""
    return list(
        Score.objects.filter(scorecard=scorecard, part=Part.SCORECARD)
        .order_by("-period_start")
        .values_list("period_start", flat=True)
    )


@dataclass
class Summary:
    """One scorecard in its latest complete period, for lists and the dashboard: the total and
    each perspective (`Row`s without children), maturity and how many warnings it has."""

    scorecard: Scorecard
    period_start: date
    previous_start: date
    total: Row
    perspectives: list[Row]
    maturity: Maturity
    warnings_count: int


def scorecard_summaries(*, organisation: Organisation, today: date | None = None) -> list[Summary]:
    """Every scorecard of `organisation` (by name) in its latest complete period, in a fixed
    number of queries whatever the number of scorecards, objectives and measures."""
    today = today or indicator_selectors.today_of(organisation)
    scorecards = list(scorecards_of(organisation=organisation))
    if not scorecards:
        return []
    structures = defaultdict(list, structures_of(scorecards))
    starts = {s.pk: default_period_start(s, today) for s in scorecards}
    previous = {s.pk: previous_period_start(starts[s.pk], s.period) for s in scorecards}
    stored = {
        (scorecard_id, start, part, pk): score
        for scorecard_id, start, part, pk, score in Score.objects.filter(
            scorecard__in=scorecards,
            period_start__in={*starts.values(), *previous.values()},
            part__in=[Part.SCORECARD, Part.PERSPECTIVE],
        ).values_list("scorecard_id", "period_start", "part", "part_id", "score")
    }
    indicators = {s.pk: _indicators_of(structures[s.pk]) for s in scorecards}
    measured = _measured_ids([i for found in indicators.values() for i in found], today)
    summaries = []
    for scorecard in scorecards:
        thresholds = {
            "on_track_from": scorecard.on_track_from,
            "at_risk_from": scorecard.at_risk_from,
        }

        def row(obj, part: str, scorecard=scorecard, thresholds=thresholds) -> Row:
            score = stored.get((scorecard.pk, starts[scorecard.pk], part, obj.pk))
            before = stored.get((scorecard.pk, previous[scorecard.pk], part, obj.pk))
            return Row(obj, score, before, status_of_score(score, **thresholds))

        perspectives = structures[scorecard.pk]
        summaries.append(
            Summary(
                scorecard=scorecard,
                period_start=starts[scorecard.pk],
                previous_start=previous[scorecard.pk],
                total=row(scorecard, Part.SCORECARD),
                perspectives=[row(p, Part.PERSPECTIVE) for p in perspectives],
                maturity=maturity_rule(
                    {i.layer for i in indicators[scorecard.pk] if i.layer and i.pk in measured}
                ),
                warnings_count=len(warnings_of(_facts(scorecard, perspectives))),
            )
        )
    return summaries
