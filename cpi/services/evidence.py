"""Recompute a hypothesis's evidence, its experiments' results and its status, and store them.

`recompute_evidence(hypotheses)` reads every series it needs in one query, computes (pure code in
`compute/`), and writes only the rows. The values-changed hook marks the hypotheses whose cause or
effect changed at their period, or whose experiments' indicator changed (`wanted_at`), and
enqueues one task per organisation after the commit; the task recomputes every marked hypothesis
once, so a 10,000-item push recomputes each affected hypothesis once, however many recompute
batches it took.
"""

import json
import logging
from datetime import date

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.db import binary_cursor
from indicators import selectors as indicator_selectors
from indicators.hooks import ValuesChanged

from ..compute import correlation, forecast, status
from ..compute.experiments import Arm, experiment_result
from ..compute.series import indexed, period_index
from ..models import Experiment, Hypothesis

logger = logging.getLogger(__name__)


def evidence_blocks_many(requests: list[tuple[dict, dict, str, int]]) -> list[dict]:
    """Every stored block of each (cause, effect, period, max_lag), the series being
    {period start: total}; the correlations of all of them are computed together
    (compute/correlation.py `evidence_many`)."""
    indexed_pairs = [
        (indexed(cause, period), indexed(effect, period), max_lag)
        for cause, effect, period, max_lag in requests
    ]
    answers = []
    for (xs, ys, _lag), (levels, differences), (_c, effect, period, _m) in zip(
        indexed_pairs, correlation.evidence_many(indexed_pairs), requests, strict=True
    ):
        lag = levels["best_lag"]
        blocks = {
            "evidence": levels,
            "evidence_differenced": differences,
            "granger": correlation.granger(xs, ys, lag) if lag is not None else None,
            "forecast": None,
            "backtest": None,
        }
        if lag:
            blocks["forecast"] = _dated(forecast.forecast(xs, ys, lag), effect, period)
            blocks["backtest"] = forecast.backtest(xs, ys, lag)
        answers.append(blocks)
    return answers


def _dated(result: dict | None, effect: dict[date, float], period: str) -> dict | None:
    """The forecast's points with their period start instead of an index."""
    if result is None:
        return None
    from indicators.compute.periods import next_period_start

    starts, start = {}, max(effect)
    last = period_index(start, period)
    for step in range(1, result["lag"] + 1):
        start = next_period_start(start, period)
        starts[last + step] = start.isoformat()
    points = [
        {"period_start": starts[point["t"]], **{k: v for k, v in point.items() if k != "t"}}
        for point in result["points"]
    ]
    return {**result, "points": points}


def experiment_arms(experiment: Experiment, ratio: bool) -> tuple[Arm, Arm]:
    """The control and treatment arms' raw data (one or two queries each)."""
    arms = []
    for member in (experiment.control, experiment.treatment):
        args = {
            "organisation": experiment.organisation,
            "code": experiment.indicator.code,
            "dimension": experiment.arm_dimension,
            "member": member,
            "start": experiment.start,
            "end": experiment.end,
        }
        if ratio:
            parts = indicator_selectors.measurement_ratio_parts(**args)
            arms.append(Arm(numerator=parts.numerator, denominator=parts.denominator, n=parts.n))
        else:
            values = tuple(indicator_selectors.measurement_values(**args))
            arms.append(Arm(values=values, n=len(values)))
    return arms[0], arms[1]


def effect_expected(experiment: Experiment) -> str:
    """The experiment's own expected effect, else derived from its hypothesis and cause: an
    experiment that measures the cause itself expects the cause to improve; one that measures
    the effect (or another indicator) expects the effect to move by the hypothesis's sign."""
    if experiment.expected_effect:
        return experiment.expected_effect
    hypothesis = experiment.hypothesis
    if experiment.indicator_id == hypothesis.cause_id:
        return "negative" if hypothesis.cause.direction == "lower_is_better" else "positive"
    return status.expected_effect(
        expected_sign=hypothesis.expected_sign, cause_direction=hypothesis.cause.direction
    )


def compute_experiment(experiment: Experiment, today: date) -> dict:
    """The experiment's `result`, with `final` (its end is before `today`) and the expectation."""
    ratio = experiment.indicator.aggregation == "ratio"
    control, treatment = experiment_arms(experiment, ratio)
    expected = effect_expected(experiment)
    result = experiment_result(
        ratio=ratio, control=control, treatment=treatment, expected_effect=expected
    )
    return {**result, "expected_effect": expected, "final": experiment.end < today}


def latest_finished_verdict(experiments: list[Experiment], today: date) -> str | None:
    """The verdict of the finished experiment that ended last (ties: the later registered)."""
    finished = [e for e in experiments if e.end < today and e.result and e.result.get("verdict")]
    if not finished:
        return None
    return max(finished, key=lambda e: (e.end, e.pk)).result["verdict"]


def recompute_evidence(hypotheses: list[Hypothesis], *, read_at=None) -> int:
    """Recompute and store the evidence, experiment results and status of `hypotheses`, which
    must share one organisation; answers how many were recomputed. Their marks set up to
    `read_at` (default: now, before the reads) are cleared; a later one stays for the next run."""
    if not hypotheses:
        return 0
    if len({h.organisation_id for h in hypotheses}) > 1:
        raise ValueError("recompute_evidence takes the hypotheses of one organisation")
    organisation = hypotheses[0].organisation
    today = indicator_selectors.today_of(organisation)
    now = timezone.now()  # before the reads: a mark set after this is left for the next run
    read_at = read_at or now
    series = _series_of(hypotheses)
    experiments = _experiments_of(hypotheses)
    every_block = evidence_blocks_many(
        [
            (
                series[h.period].get(h.cause_id, {}),
                series[h.period].get(h.effect_id, {}),
                h.period,
                h.max_lag,
            )
            for h in hypotheses
        ]
    )
    for hypothesis, blocks in zip(hypotheses, every_block, strict=True):
        own = experiments.get(hypothesis.pk, [])
        for experiment in own:
            experiment.result = compute_experiment(experiment, today)
            experiment.computed_at = now
        hypothesis.status, hypothesis.status_source = status.hypothesis_status(
            evidence=blocks["evidence"],
            expected_sign=hypothesis.expected_sign,
            lags_tried=hypothesis.max_lag + 1,
            experiment_verdict=latest_finished_verdict(own, today),
        )
        for name, value in blocks.items():
            setattr(hypothesis, name, value)
        hypothesis.computed_at = now
    _store(hypotheses, [e for own in experiments.values() for e in own], read_at)
    return len(hypotheses)


def _series_of(hypotheses: list[Hypothesis]) -> dict[str, dict]:
    periods: dict[str, set[int]] = {}
    for h in hypotheses:
        periods.setdefault(h.period, set()).update((h.cause_id, h.effect_id))
    return {
        period: indicator_selectors.total_series(indicator_ids=ids, period=period)
        for period, ids in periods.items()
    }


def _experiments_of(hypotheses: list[Hypothesis]) -> dict[int, list[Experiment]]:
    rows = Experiment.objects.filter(hypothesis__in=hypotheses).select_related(
        "indicator", "organisation", "hypothesis__cause"
    )
    found: dict[int, list[Experiment]] = {}
    for experiment in rows:
        found.setdefault(experiment.hypothesis_id, []).append(experiment)
    return found


STORED = [
    "status",
    "status_source",
    "evidence",
    "evidence_differenced",
    "granger",
    "forecast",
    "backtest",
    "computed_at",
]


STORE_SQL = """
UPDATE cpi_hypothesis AS h SET
    status = u.status, status_source = u.status_source, evidence = u.evidence::jsonb,
    evidence_differenced = u.evidence_differenced::jsonb, granger = u.granger::jsonb,
    forecast = u.forecast::jsonb, backtest = u.backtest::jsonb, computed_at = u.computed_at
FROM unnest(%b::bigint[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[],
            %b::text[], %b::text[], %b::timestamptz[])
    AS u(id, status, status_source, evidence, evidence_differenced, granger, forecast,
         backtest, computed_at)
WHERE h.id = u.id
"""
JSON_FIELDS = ("evidence", "evidence_differenced", "granger", "forecast", "backtest")


def _json_text(value) -> str | None:
    return None if value is None else json.dumps(value, allow_nan=False)


def _update_hypotheses(hypotheses: list[Hypothesis]) -> None:
    """One UPDATE from arrays on PostgreSQL (Django's bulk_update builds a CASE per field and
    row, which cost more than the statistics); bulk_update elsewhere."""
    if connection.vendor != "postgresql":
        Hypothesis.objects.bulk_update(hypotheses, STORED, batch_size=200)
        return
    ordered = sorted(hypotheses, key=lambda h: h.pk)  # the lock order of the recompute
    columns = [
        [h.pk for h in ordered],
        [h.status for h in ordered],
        [h.status_source for h in ordered],
        *[[_json_text(getattr(h, name)) for h in ordered] for name in JSON_FIELDS],
        [h.computed_at for h in ordered],
    ]
    with binary_cursor() as cursor:  # binary arrays: no quoting of the JSON text
        cursor.execute(STORE_SQL, columns)


def _store(hypotheses: list[Hypothesis], experiments: list[Experiment], read_at) -> None:
    with transaction.atomic():
        _update_hypotheses(hypotheses)
        if experiments:
            Experiment.objects.bulk_update(experiments, ["result", "computed_at"], batch_size=200)
        # Clear the marks these results answer; a mark set after we read stays for the next run.
        Hypothesis.objects.filter(pk__in=[h.pk for h in hypotheses], wanted_at__lte=read_at).update(
            wanted_at=None
        )


def mark_touched(change: ValuesChanged) -> int:
    """Mark the hypotheses whose cause or effect changed at their period, or whose experiments'
    indicator changed at any period (one SELECT and one UPDATE); answers how many were marked."""
    by_period: dict[str, set[int]] = {}
    for c in change.changed:
        by_period.setdefault(c.period, set()).add(c.indicator_id)
    touched = Q(experiments__indicator_id__in=change.indicator_ids)
    for period, ids in by_period.items():
        touched |= Q(period=period) & (Q(cause_id__in=ids) | Q(effect_id__in=ids))
    rows = Hypothesis.objects.filter(organisation_id=change.organisation_id).filter(touched)
    with transaction.atomic():
        # Lock in pk order, as the recompute does: two marks at once cannot deadlock, and a
        # row a recompute holds is marked after that recompute's commit (so the mark survives).
        pks = set(rows.order_by("pk").select_for_update(of=("self",)).values_list("pk", flat=True))
        if not pks:
            return 0
        return Hypothesis.objects.filter(pk__in=pks).update(wanted_at=timezone.now())


MAX_BATCHES = 100


def recompute_wanted(*, organisation_id: int, limit: int = 500) -> int:
    """Recompute the marked hypotheses of one organisation (the task's body), `limit` at a time
    until none is left; answers how many were recomputed. Rows another run is computing are
    skipped (SKIP LOCKED on PostgreSQL): a mark set meanwhile waits for the lock, lands after
    that run's commit and so survives it, for the task its hook enqueued."""
    done = 0
    for _batch in range(MAX_BATCHES):
        with transaction.atomic():
            rows = list(
                Hypothesis.objects.filter(organisation_id=organisation_id, wanted_at__isnull=False)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("organisation", "cause")
                .defer(*JSON_FIELDS)  # rewritten here: reading the old blocks is wasted
                .order_by("pk")[:limit]
            )
            if not rows:
                break
            # The rows are locked until the commit: no mark can land on them in between, so
            # the marks read are the ones answered, whatever the clocks of the marking process.
            read_at = max([timezone.now(), *(row.wanted_at for row in rows)])
            done += recompute_evidence(rows, read_at=read_at)
        if len(rows) < limit:
            break
    return done


def recompute_all(*, organisation_id: int | None = None) -> int:
    """Mark and recompute every hypothesis (the hourly refresh: experiments finish with the
    calendar, and the status follows them)."""
    rows = Hypothesis.objects.all()
    if organisation_id is not None:
        rows = rows.filter(organisation_id=organisation_id)
    organisations = set(rows.values_list("organisation_id", flat=True))
    rows.update(wanted_at=timezone.now())
    return sum(recompute_wanted(organisation_id=o) for o in sorted(organisations))
