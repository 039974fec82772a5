"""Two recomputes of the same dirty data at once open one deviation, with one history row."""

import contextlib
import threading
from datetime import date

import pytest
from django.db import connection, transaction

from indicators.models import Deviation, DeviationChange
from indicators.services import ingest_measurements, period_values
from indicators.services.recompute import _recompute_organisation
from tests.factories import IndicatorFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def race(monkeypatch):
    """Hold each recompute for up to 0.5 s between reading the deviations and writing new
    ones, waiting for the other: without the organisation lock both would insert."""
    both_read, waited = threading.Barrier(2), threading.local()
    original = period_values._open_deviation

    def open_and_wait(*args):
        opened = original(*args)
        if not getattr(waited, "done", False):
            waited.done = True
            # Broken after 0.5 s when the other is held at the lock: the order is serial.
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait(timeout=0.5)
        return opened

    return lambda: monkeypatch.setattr(period_values, "_open_deviation", open_and_wait)


def test_two_concurrent_recomputes_open_one_deviation(organisation, race):
    indicator = IndicatorFactory(
        organisation=organisation, code="handling_time", band_low=10.0, band_high=30.0
    )
    days = [date(2026, m, 3) for m in (1, 2, 3)]
    ingest_measurements(
        organisation=organisation,
        items=[
            {"indicator": "handling_time", "observed_at": day.isoformat(), "value": value}
            for day, value in zip(days, (20.0, 42.0, 45.0), strict=True)
        ],
    )
    # The push's own recompute opened them; start again from stored values and no deviation,
    # so both recomputes below find the same out-of-band values and nothing yet recorded.
    Deviation.objects.all().delete()
    race()
    start, errors = threading.Barrier(2), []

    def recompute():
        try:
            start.wait(timeout=10)
            with transaction.atomic():
                _recompute_organisation(organisation.pk, {indicator.pk: set(days)})
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=recompute) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(Deviation.objects.values_list("period_start", "state")) == [
        (date(2026, 2, 1), "open"),
        (date(2026, 3, 1), "open"),
    ]
    assert DeviationChange.objects.count() == 2  # one "opened" each, not one per recompute
