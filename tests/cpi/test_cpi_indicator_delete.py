"""Deleting an indicator: the hypotheses it is the cause or effect of go with it (cascade); one
that keeps both series but loses an experiment on it is marked and its recompute woken after the
commit (the indicators-changed hook)."""

from datetime import date

import pytest

from cpi.models import Experiment, Hypothesis
from indicators.services import delete_indicator
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


def test_a_hypothesis_that_loses_an_experiment_is_marked_and_recomputed_after_the_commit(
    organisation, monkeypatch, django_capture_on_commit_callbacks
):
    woken = []
    monkeypatch.setattr("cpi.hooks.wake", lambda name, *args: woken.append((name, *args)))
    cause, effect, arms = (IndicatorFactory(organisation=organisation) for _n in range(3))
    kept = Hypothesis.objects.create(
        organisation=organisation, cause=cause, effect=effect, expected_sign="positive"
    )
    gone = Hypothesis.objects.create(
        organisation=organisation, cause=arms, effect=effect, expected_sign="positive"
    )
    Experiment.objects.create(
        organisation=organisation,
        hypothesis=kept,
        name="Quote on the page",
        indicator=arms,
        arm_dimension="variant",
        control="a",
        treatment="b",
        start=date(2026, 1, 1),
        end=date(2026, 2, 1),
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        delete_indicator(indicator=arms)
    assert woken == []  # not before the commit

    for callback in callbacks:
        callback()
    kept.refresh_from_db()
    assert kept.wanted_at is not None
    assert not Hypothesis.objects.filter(pk=gone.pk).exists()
    assert woken == [("cpi.tasks.recompute_wanted_evidence", organisation.pk)]
