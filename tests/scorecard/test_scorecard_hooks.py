"""The stored score history follows the values: a push, through the real ingest, recompute and
values-changed hook, re-scores only the period starts it changed; the hourly task re-scores
everything; on PostgreSQL the rebuild path does the same and two refreshes at once both finish."""

import logging
import threading
from datetime import date, datetime, time, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.db import connection

from indicators.hooks import ChangedValue, ValuesChanged
from indicators.selectors import today_of
from indicators.services import ingest_measurements
from scorecard import services
from scorecard.models import Measure, Score, Scorecard
from scorecard.services import scores as scores_module
from scorecard.services.scores import scores_on_values_changed
from scorecard.tasks import refresh_scores as refresh_task
from tests.scorecard.scoring_data import APR, FEB, JAN, MAR, MAY, indicator, item, objective, push


def total(scorecard, start):
    row = Score.objects.filter(scorecard=scorecard, period_start=start, part="scorecard").first()
    return None if row is None else row.score


def measure_score(scorecard, code, start):
    measure = Measure.objects.get(objective__perspective__scorecard=scorecard, indicator__code=code)
    row = Score.objects.filter(
        scorecard=scorecard, period_start=start, part="measure", part_id=measure.pk
    ).first()
    return None if row is None else row.score


@pytest.fixture
def pushed(organisation, django_capture_on_commit_callbacks):
    """Ingest items and run what commits enqueue: the recompute, then the values-changed hooks."""

    def run(*items):
        with django_capture_on_commit_callbacks(execute=True):
            ingest_measurements(organisation=organisation, items=list(items))

    return run


@pytest.fixture
def two(organisation):
    """quote (baseline 90, target 30, lower is better) and nps (0 -> 50) on one objective,
    weights 1 and 1; revenue on another scorecard's... no: revenue measured nowhere."""
    return {
        "quote": indicator(
            organisation, "quote", baseline=90.0, target=30.0, direction="lower_is_better"
        ),
        "nps": indicator(organisation, "nps", baseline=0.0, target=50.0),
        "revenue": indicator(organisation, "revenue", baseline=0.0, target=10.0),
    }


@pytest.fixture
def scorecard(organisation, two):
    # January: quote 60 -> 0.5, nps 25 -> 0.5; February: quote 45 -> 0.75, nps 40 -> 0.8
    push(organisation, {"quote": {JAN: 60.0, FEB: 45.0}, "nps": {JAN: 25.0, FEB: 40.0}})
    return services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Hooked",
            "perspectives": [
                {
                    "kind": "customer",
                    "objectives": [objective("Price", (two["quote"], 1.0), (two["nps"], 1.0))],
                }
            ],
        },
    )


pytestmark = pytest.mark.django_db


def test_the_scorecard_starts_with_its_hand_worked_history(scorecard):
    assert total(scorecard, JAN) == pytest.approx(0.5)
    assert total(scorecard, FEB) == pytest.approx((0.75 + 0.8) / 2)


def test_a_corrected_value_re_scores_its_period_and_no_other(scorecard, pushed):
    # Tamper with January: only a refresh of January would put it right.
    Score.objects.filter(scorecard=scorecard, period_start=JAN).update(score=0.123)

    pushed(item("quote", FEB, 30.0, key=f"quote-{FEB.isoformat()}"))  # 45 -> 30: progress 1

    assert measure_score(scorecard, "quote", FEB) == 1.0
    assert total(scorecard, FEB) == pytest.approx((1.0 + 0.8) / 2)
    assert total(scorecard, JAN) == 0.123  # not changed, not re-scored


def test_a_value_in_a_new_period_starts_its_scores(scorecard, pushed):
    assert total(scorecard, MAR) is None

    pushed(item("nps", MAR, 50.0))

    assert total(scorecard, MAR) == 1.0  # nps alone: quote has no March value
    assert measure_score(scorecard, "quote", MAR) is None


def test_a_push_of_an_indicator_the_scorecard_does_not_measure_writes_nothing(scorecard, pushed):
    before = Scorecard.objects.get(pk=scorecard.pk).scores_at

    pushed(item("revenue", FEB, 5.0))

    assert Scorecard.objects.get(pk=scorecard.pk).scores_at == before


def test_a_replayed_push_writes_no_score(scorecard, pushed):
    same = item("quote", FEB, 45.0, key=f"quote-{FEB.isoformat()}")
    before = list(Score.objects.values_list("pk", "score"))
    scored_at = Scorecard.objects.get(pk=scorecard.pk).scores_at

    pushed(same)

    assert list(Score.objects.values_list("pk", "score")) == before
    assert Scorecard.objects.get(pk=scorecard.pk).scores_at == scored_at


def test_a_quarterly_scorecard_re_scores_the_quarter_of_a_monthly_push(
    organisation, scorecard, pushed
):
    services.update_scorecard(scorecard=scorecard, data={"period": "quarter"})
    # Q1 means: quote (60 + 45) / 2 = 52.5 -> 0.625, nps 32.5 -> 0.65
    assert total(scorecard, JAN) == pytest.approx((0.625 + 0.65) / 2)

    pushed(item("quote", MAR, 30.0))  # quote Q1 mean (60 + 45 + 30) / 3 = 45 -> 0.75

    assert total(scorecard, JAN) == pytest.approx((0.75 + 0.65) / 2)
    assert not Score.objects.filter(scorecard=scorecard, period_start__in=[FEB, MAR]).exists()


def test_the_handler_reads_only_the_scorecards_period(scorecard, two):
    Score.objects.filter(scorecard=scorecard).update(score=0.123)
    weekly = ValuesChanged(
        scorecard.organisation_id,
        frozenset({ChangedValue(two["quote"].pk, "week", date(2026, 2, 2))}),
    )
    elsewhere = ValuesChanged(
        scorecard.organisation_id + 1000, frozenset({ChangedValue(two["quote"].pk, "month", FEB)})
    )

    scores_on_values_changed(weekly)
    scores_on_values_changed(elsewhere)

    assert set(Score.objects.values_list("score", flat=True)) == {0.123}
    scores_on_values_changed(
        ValuesChanged(
            scorecard.organisation_id, frozenset({ChangedValue(two["quote"].pk, "month", FEB)})
        )
    )
    assert total(scorecard, FEB) == pytest.approx((0.75 + 0.8) / 2)
    assert total(scorecard, JAN) == 0.123


def test_a_changed_period_that_lost_its_values_loses_its_scores(scorecard, two):
    from indicators.models import PeriodValue

    PeriodValue.objects.filter(indicator=two["nps"], period_start=FEB).delete()

    scores_on_values_changed(
        ValuesChanged(
            scorecard.organisation_id, frozenset({ChangedValue(two["nps"].pk, "month", FEB)})
        )
    )

    assert measure_score(scorecard, "nps", FEB) is None
    assert total(scorecard, FEB) == 0.75


def test_every_scorecard_measuring_the_indicator_is_re_scored(organisation, scorecard, two, pushed):
    second = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Second",
            "perspectives": [
                {"kind": "customer", "objectives": [objective("Q", (two["quote"], 1.0))]}
            ],
        },
    )

    pushed(item("quote", APR, 60.0))

    assert total(scorecard, APR) == 0.5
    assert total(second, APR) == 0.5


def test_the_handler_costs_the_same_queries_whatever_the_number_of_measures(
    organisation, django_assert_max_num_queries
):
    def card(name, count):
        made = [indicator(organisation, f"{name}_{n}") for n in range(count)]
        push(organisation, {i.code: {JAN: 10.0} for i in made})
        scorecard = services.create_scorecard(
            organisation=organisation,
            data={
                "name": name,
                "max_measures_per_objective": 50,
                "perspectives": [
                    {"kind": "customer", "objectives": [objective("O", *((i, 1.0) for i in made))]}
                ],
            },
        )
        Score.objects.filter(scorecard=scorecard).delete()
        return ValuesChanged(
            organisation.pk, frozenset(ChangedValue(i.pk, "month", JAN) for i in made)
        )

    small, big = card("small", 1), card("big", 15)
    with django_assert_max_num_queries(12) as queries:
        scores_on_values_changed(small)
    with django_assert_max_num_queries(len(queries)):
        scores_on_values_changed(big)
    assert Score.objects.filter(part="measure").count() == 16


# --- the hourly task --------------------------------------------------------------------------


def test_the_hourly_task_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-scorecard-scores"]

    assert entry["task"] == refresh_task.name
    assert entry["schedule"] == crontab(minute=29)


def test_the_hourly_task_puts_the_whole_history_right(scorecard):
    Score.objects.filter(scorecard=scorecard, period_start=JAN).update(score=0.123)
    Score.objects.filter(scorecard=scorecard, period_start=FEB, part="measure").delete()
    Score.objects.create(
        scorecard=scorecard, period_start=MAY, part="scorecard", part_id=scorecard.pk, score=1
    )

    changed = refresh_task.delay().get()

    # January: two measures, the objective, the perspective, the scorecard; February: two
    # measures; May: a score of a period without values
    assert changed == 5 + 2 + 1
    assert total(scorecard, JAN) == pytest.approx(0.5)
    assert measure_score(scorecard, "nps", FEB) == 0.8
    assert total(scorecard, MAY) is None


def test_one_scorecard_whose_refresh_fails_holds_back_no_other(
    organisation, scorecard, two, monkeypatch, caplog
):
    second = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Second",
            "perspectives": [
                {"kind": "customer", "objectives": [objective("Q", (two["quote"], 1.0))]}
            ],
        },
    )
    Score.objects.update(score=0.123)
    real = scores_module.refresh_scores

    def broken_for_the_first(*, scorecard, **kwargs):
        if scorecard.name == "Hooked":
            raise RuntimeError("a bad row")
        return real(scorecard=scorecard, **kwargs)

    monkeypatch.setattr(scores_module, "refresh_scores", broken_for_the_first)
    with caplog.at_level(logging.ERROR, logger="scorecard.services.scores"):
        services.refresh_every_scorecard()

    assert total(second, JAN) == 0.5
    assert total(scorecard, JAN) == 0.123
    [record] = caplog.records
    assert f"scorecard={scorecard.pk}" in record.getMessage()


# --- PostgreSQL ---------------------------------------------------------------------------------


def noon(organisation, days_ago):
    day = today_of(organisation) - timedelta(days=days_ago)
    return datetime.combine(day, time(12), tzinfo=organisation.tz).isoformat()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_push_re_scores_on_commit_through_the_rebuild_path_too(organisation, monkeypatch):
    """No captured callbacks: the push commits, the recompute runs after it (eager Celery) and
    its hook after that, as in production; 84 dirty days take the set-based rebuild."""
    from indicators.services import recompute as recompute_module

    rebuilds = []
    real_rebuild = recompute_module.rebuild

    def recording_rebuild(indicators, now, **kwargs):
        rebuilds.append(sorted(i.code for i in indicators))
        return real_rebuild(indicators, now, **kwargs)

    monkeypatch.setattr(recompute_module, "rebuild", recording_rebuild)
    quote = indicator(
        organisation, "quote", baseline=90.0, target=30.0, direction="lower_is_better"
    )
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Live",
            "perspectives": [{"kind": "customer", "objectives": [objective("P", (quote, 1.0))]}],
        },
    )

    def days_of(value):
        return [
            {
                "indicator": "quote",
                "key": f"d{n}",
                "observed_at": noon(organisation, n),
                "value": value,
            }
            for n in range(84)
        ]

    ingest_measurements(organisation=organisation, items=days_of(60.0))

    assert rebuilds == [["quote"]]
    months = set(
        Score.objects.filter(scorecard=scorecard, part="scorecard").values_list(
            "period_start", flat=True
        )
    )
    assert len(months) >= 3  # 84 days span three or four months
    assert set(Score.objects.filter(part="scorecard").values_list("score", flat=True)) == {0.5}

    ingest_measurements(organisation=organisation, items=days_of(45.0))

    assert rebuilds == [["quote"], ["quote"]]
    assert set(Score.objects.filter(part="scorecard").values_list("score", flat=True)) == {0.75}

    ingest_measurements(organisation=organisation, items=[days_of(30.0)[0]])  # today only

    this_month = today_of(organisation).replace(day=1)
    # the incremental path: this month's mean moves, the older months stay
    assert Score.objects.get(part="scorecard", period_start=this_month).score > 0.75
    assert set(
        Score.objects.filter(part="scorecard")
        .exclude(period_start=this_month)
        .values_list("score", flat=True)
    ) == {0.75}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_both_finish_with_one_history(organisation):
    quote = indicator(
        organisation, "quote", baseline=90.0, target=30.0, direction="lower_is_better"
    )
    push(organisation, {"quote": {JAN: 60.0, FEB: 45.0, MAR: 30.0}})
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Race",
            "perspectives": [{"kind": "customer", "objectives": [objective("P", (quote, 1.0))]}],
        },
    )
    expected = sorted(Score.objects.values_list("period_start", "part", "part_id", "score"))
    errors, barrier = [], threading.Barrier(2)

    def refresh():
        try:
            barrier.wait(timeout=10)
            services.refresh_scores(scorecard=Scorecard.objects.get(pk=scorecard.pk))
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)
        finally:
            connection.close()

    for _round in range(3):
        Score.objects.all().delete()  # both would insert every row
        threads = [threading.Thread(target=refresh) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert (
            sorted(Score.objects.values_list("period_start", "part", "part_id", "score"))
            == expected
        )
