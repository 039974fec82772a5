"""The values-changed hook marks the hypotheses a change touches and enqueues one task per
organisation; the task recomputes each marked hypothesis once, and a mark set meanwhile survives."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from cpi import hooks
from cpi.models import Hypothesis
from cpi.services import create_experiment, create_hypothesis, evidence, recompute_wanted
from indicators.hooks import ChangedValue, ValuesChanged
from indicators.services import ingest_measurements
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def woken(monkeypatch):
    """The tasks the hook wakes, by name and arguments (not run)."""
    calls = []
    monkeypatch.setattr(hooks, "wake", lambda name, *args: calls.append((name, *args)))
    return calls


@pytest.fixture
def handle(django_capture_on_commit_callbacks):
    """Call the hook as the platform does, outside a transaction: what it defers runs."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            hooks.evidence_on_values_changed(change)

    return run


@pytest.fixture
def computed(monkeypatch):
    """The hypothesis ids the task recomputed, once per recomputation."""
    ids = []
    original = evidence.recompute_evidence

    def recording(hypotheses, **kwargs):
        ids.extend(h.pk for h in hypotheses)
        return original(hypotheses, **kwargs)

    monkeypatch.setattr(evidence, "recompute_evidence", recording)
    return ids


@pytest.fixture
def indicators(organisation):
    make = lambda code, **kw: IndicatorFactory(organisation=organisation, code=code, **kw)  # noqa: E731
    return {
        "quote": make("fast_quote"),
        "customers": make("new_customers", kind="kpi", aggregation="sum"),
        "resolution": make("first_time_resolution"),
        "churn": make("churn", kind="kpi"),
        "arm_metric": make("quote_by_arm"),
    }


def hypothesis(organisation, cause, effect, **extra):
    return create_hypothesis(
        organisation=organisation,
        data={"cause": cause, "effect": effect, "expected_sign": "negative", "max_lag": 2, **extra},
    )


def change(organisation, *pairs):
    return ValuesChanged(
        organisation.pk, frozenset(ChangedValue(i.pk, period, start) for i, period, start in pairs)
    )


def marked():
    return set(Hypothesis.objects.filter(wanted_at__isnull=False).values_list("pk", flat=True))


def test_the_hook_marks_only_what_changed_at_its_period_and_wakes_once(
    organisation, indicators, woken, handle
):
    i = indicators
    by_month = hypothesis(organisation, i["quote"], i["customers"])
    by_week = hypothesis(organisation, i["quote"], i["customers"], period="week")
    effect_side = hypothesis(organisation, i["resolution"], i["churn"])
    untouched = hypothesis(organisation, i["resolution"], i["customers"])
    with_experiment = hypothesis(organisation, i["resolution"], i["churn"], period="quarter")
    with_experiment.experiments.create(
        organisation=organisation,
        name="pilot",
        indicator=i["arm_metric"],
        arm_dimension="arm",
        control="a",
        treatment="b",
        start=date(2026, 1, 1),
        end=date(2026, 1, 31),
    )
    handle(
        change(
            organisation,
            (i["quote"], "month", date(2026, 1, 1)),
            (i["quote"], "day", date(2026, 1, 5)),  # no hypothesis by day
            (i["churn"], "month", date(2026, 1, 1)),
            (i["arm_metric"], "day", date(2026, 1, 5)),
        )
    )
    assert marked() == {by_month.pk, effect_side.pk, with_experiment.pk}
    assert by_week.pk not in marked() and untouched.pk not in marked()
    assert woken == [("cpi.tasks.recompute_wanted_evidence", organisation.pk)]


def test_a_change_that_touches_no_hypothesis_wakes_nothing(organisation, indicators, woken, handle):
    hypothesis(organisation, indicators["quote"], indicators["customers"])
    handle(change(organisation, (indicators["churn"], "month", date(2026, 1, 1))))
    assert marked() == set() and woken == []


def test_another_organisations_change_marks_nothing_here(
    organisation, other_organisation, indicators, woken, handle
):
    hypothesis(organisation, indicators["quote"], indicators["customers"])
    handle(
        ValuesChanged(
            other_organisation.pk,
            frozenset({ChangedValue(indicators["quote"].pk, "month", date(2026, 1, 1))}),
        )
    )
    assert marked() == set() and woken == []


def test_a_10000_item_push_recomputes_each_affected_hypothesis_once(
    organisation, indicators, computed, django_capture_on_commit_callbacks, monkeypatch
):
    i = indicators
    wakes = []
    original_wake = hooks.wake
    monkeypatch.setattr(hooks, "wake", lambda *args: wakes.append(args) or original_wake(*args))
    by_month = hypothesis(organisation, i["quote"], i["customers"])
    by_quarter = hypothesis(organisation, i["customers"], i["quote"], period="quarter")
    untouched = hypothesis(organisation, i["resolution"], i["churn"])
    computed.clear()
    start = datetime(2022, 1, 1, 9, tzinfo=organisation.tz)
    items = [
        {
            "indicator": code,
            "observed_at": (start + timedelta(hours=9 * n)).isoformat(),
            "value": float(n % 37 + (3 if code == "fast_quote" else 0)),
        }
        for code in ("fast_quote", "new_customers")
        for n in range(5000)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest_measurements(organisation=organisation, items=items)
    assert result.created == 10_000

    assert wakes == [("cpi.tasks.recompute_wanted_evidence", organisation.pk)]  # one task
    assert sorted(computed) == sorted([by_month.pk, by_quarter.pk])  # each exactly once
    assert untouched.pk not in computed
    assert marked() == set()
    by_month.refresh_from_db()
    assert by_month.evidence["n"] >= 60 and by_month.computed_at is not None


def test_a_mark_set_while_a_recompute_runs_survives_it(organisation, indicators, monkeypatch):
    h = hypothesis(organisation, indicators["quote"], indicators["customers"])
    original = evidence.evidence_blocks_many
    marks = []

    def marking(*args, **kwargs):
        if not marks:  # a push's hook marks it again while its evidence is being computed
            marks.append(timezone.now())
            Hypothesis.objects.filter(pk=h.pk).update(wanted_at=timezone.now())
        return original(*args, **kwargs)

    monkeypatch.setattr(evidence, "evidence_blocks_many", marking)
    evidence.recompute_evidence([Hypothesis.objects.select_related("organisation").get(pk=h.pk)])
    assert marked() == {h.pk}

    # The task takes the surviving mark up.
    marks.append("no more")
    assert recompute_wanted(organisation_id=organisation.pk) == 1
    assert marked() == set()


def test_recompute_wanted_works_through_more_marks_than_its_batch(organisation, indicators):
    i = indicators
    pairs = [
        (i["quote"], i["customers"]),
        (i["customers"], i["quote"]),
        (i["resolution"], i["churn"]),
        (i["churn"], i["resolution"]),
        (i["quote"], i["churn"]),
    ]
    for cause, effect in pairs:
        hypothesis(organisation, cause, effect)
    Hypothesis.objects.update(wanted_at=timezone.now() + timedelta(minutes=5))  # a fast clock
    assert recompute_wanted(organisation_id=organisation.pk, limit=2) == 5
    assert marked() == set()


def test_an_experiments_indicator_change_recomputes_its_result(
    organisation, indicators, django_capture_on_commit_callbacks
):
    i = indicators
    h = hypothesis(organisation, i["quote"], i["customers"])
    items = [
        {
            "indicator": "quote_by_arm",
            "observed_at": f"2026-01-{d:02d}",
            "value": v,
            "segment": {"arm": arm},
        }
        for arm, values in (("a", [10.0, 12.0, 11.0]), ("b", [8.0, 7.5, 9.0]))
        for d, v in zip((5, 6, 7), values, strict=True)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        ingest_measurements(organisation=organisation, items=items)
    experiment = create_experiment(
        organisation=organisation,
        data={
            "hypothesis": h,
            "name": "pilot",
            "indicator": i["arm_metric"],
            "arm_dimension": "arm",
            "control": "a",
            "treatment": "b",
            "start": date(2026, 1, 1),
            "end": date(2026, 1, 31),
        },
    )
    assert experiment.result["treatment"]["n"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        ingest_measurements(
            organisation=organisation,
            items=[
                {
                    "indicator": "quote_by_arm",
                    "observed_at": "2026-01-08",
                    "value": 6.0,
                    "segment": {"arm": "b"},
                }
            ],
        )
    experiment.refresh_from_db()
    assert experiment.result["treatment"]["n"] == 4
