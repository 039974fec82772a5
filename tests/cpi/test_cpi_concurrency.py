"""Two recomputes at once on PostgreSQL: `recompute_wanted` skips the rows another run holds, and
a mark that lands while that run holds the row survives its commit."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from cpi.models import Hypothesis
from cpi.services import create_hypothesis, recompute_wanted
from tests.factories import IndicatorFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two(organisation):
    quote = IndicatorFactory(organisation=organisation, code="fast_quote")
    customers = IndicatorFactory(organisation=organisation, code="new_customers", kind="kpi")
    made = [
        create_hypothesis(
            organisation=organisation,
            data={"cause": c, "effect": e, "expected_sign": "negative", "max_lag": 1},
        )
        for c, e in ((quote, customers), (customers, quote))
    ]
    Hypothesis.objects.update(wanted_at=timezone.now())
    return made


def hold(pk, locked: threading.Event, release: threading.Event, then=None):
    """In another connection: lock the row as a running recompute does, until `release`."""

    def run():
        try:
            with transaction.atomic():
                Hypothesis.objects.select_for_update().get(pk=pk)
                locked.set()
                release.wait(timeout=20)
                if then:
                    then()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert locked.wait(timeout=10)
    return thread


def test_rows_locked_by_another_run_are_skipped_and_keep_their_mark(organisation, two):
    held, free = two
    locked, release = threading.Event(), threading.Event()
    thread = hold(held.pk, locked, release)
    try:
        assert recompute_wanted(organisation_id=organisation.pk) == 1
    finally:
        release.set()
        thread.join(timeout=20)
    rows = dict(Hypothesis.objects.values_list("pk", "wanted_at"))
    assert rows[free.pk] is None
    assert rows[held.pk] is not None  # left for its own run (or the next task)
    assert recompute_wanted(organisation_id=organisation.pk) == 1
    assert Hypothesis.objects.filter(wanted_at__isnull=False).count() == 0


def test_a_mark_that_waits_for_a_running_recompute_survives_it(organisation, two, monkeypatch):
    """The hook's UPDATE waits for the row lock of the run that reads the old series, and lands
    after its commit: it is not cleared by the run that missed its values."""
    from cpi.services import evidence

    held, _ = two
    Hypothesis.objects.exclude(pk=held.pk).update(wanted_at=None)
    done, blocked = threading.Event(), []
    original = evidence.evidence_blocks_many

    def mark():
        try:
            Hypothesis.objects.filter(pk=held.pk).update(wanted_at=timezone.now())
        finally:
            done.set()
            connection.close()

    def while_computing(*args, **kwargs):
        if not blocked:
            # New values committed after this run read the series: their hook marks again.
            threading.Thread(target=mark).start()
            blocked.append(not done.wait(timeout=0.5))  # it waits for our row lock
        return original(*args, **kwargs)

    monkeypatch.setattr(evidence, "evidence_blocks_many", while_computing)
    runs = recompute_wanted(organisation_id=organisation.pk)
    assert done.wait(timeout=10)
    assert blocked == [True]
    held.refresh_from_db()
    # The mark landed after the first batch's commit: either the run's next batch took it up
    # (two runs), or it is still there for the task its hook enqueued (one run).
    assert (runs, held.wanted_at is None) in ((2, True), (1, False))
    monkeypatch.setattr(evidence, "evidence_blocks_many", original)
    recompute_wanted(organisation_id=organisation.pk)
    assert Hypothesis.objects.filter(wanted_at__isnull=False).count() == 0
