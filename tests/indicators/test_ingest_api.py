import pytest

from indicators.models import Measurement, MeasurementRevision
from tests.factories import IndicatorFactory, push, values

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_quote(organisation):
    return IndicatorFactory(organisation=organisation, code="fast_quote", period="day")


@pytest.fixture
def resolution(organisation):
    return IndicatorFactory(
        organisation=organisation,
        code="ftr",
        aggregation="ratio",
        unit="%",
        direction="higher_is_better",
        period="month",
    )


def test_push_becomes_a_period_value(api, fast_quote):
    response = push(
        api,
        [
            {"indicator": "fast_quote", "observed_at": "2026-03-02T09:00:00+02:00", "value": 30},
            {"indicator": "fast_quote", "observed_at": "2026-03-02T15:00:00+02:00", "value": 50},
        ],
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    body = values(api, "fast_quote")
    assert body["indicator"] == "fast_quote"
    assert [(r["period_start"], r["value"], r["count"]) for r in body["results"]] == [
        ("2026-03-02", 40.0, 2)
    ]


def test_replaying_a_batch_changes_nothing(api, fast_quote):
    batch = [
        {"indicator": "fast_quote", "observed_at": f"2026-03-0{d}", "value": d} for d in range(1, 6)
    ]
    assert push(api, batch).json() == {"created": 5, "updated": 0, "unchanged": 0}
    assert push(api, batch).json() == {"created": 0, "updated": 0, "unchanged": 5}
    assert Measurement.objects.count() == 5
    assert MeasurementRevision.objects.count() == 0


def test_a_changed_value_updates_and_keeps_history(api, fast_quote):
    batch = [
        {"indicator": "fast_quote", "observed_at": f"2026-03-0{d}", "value": d} for d in range(1, 6)
    ]
    push(api, batch)
    batch[2] = {**batch[2], "value": 99}
    assert push(api, batch).json() == {"created": 0, "updated": 1, "unchanged": 4}
    revision = MeasurementRevision.objects.get()
    assert revision.value == 3
    assert revision.measurement.value == 99
    by_day = {r["period_start"]: r["value"] for r in values(api, "fast_quote")["results"]}
    assert by_day["2026-03-03"] == 99


def test_dry_run_writes_nothing(api, fast_quote):
    response = api.post(
        "/api/v1/measurements/",
        {
            "measurements": [{"indicator": "fast_quote", "observed_at": "2026-03-01", "value": 1}],
            "dry_run": True,
        },
        format="json",
    )
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert Measurement.objects.count() == 0


def test_ratio_is_sum_of_numerators_over_sum_of_denominators(api, resolution):
    push(
        api,
        [
            {"indicator": "ftr", "observed_at": "2026-03-01", "numerator": 1, "denominator": 2},
            {"indicator": "ftr", "observed_at": "2026-03-02", "numerator": 99, "denominator": 100},
        ],
    )
    [row] = values(api, "ftr")["results"]
    assert row["value"] == pytest.approx(100 * 100 / 102)  # not (50 + 99) / 2
    assert (row["numerator"], row["denominator"]) == (100, 102)


def test_keyed_measurement_is_updated_by_key(api, fast_quote):
    push(api, [{"indicator": "fast_quote", "observed_at": "2026-03-01", "value": 1, "key": "q-1"}])
    response = push(
        api, [{"indicator": "fast_quote", "observed_at": "2026-03-05", "value": 2, "key": "q-1"}]
    )
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0}
    results = values(api, "fast_quote")["results"]
    assert [(r["period_start"], r["value"]) for r in results] == [("2026-03-05", 2.0)]


def test_replaying_a_time_in_the_repeated_dst_hour_changes_nothing(api, fast_quote):
    # 2025-10-26 00:30Z is 03:30 local in Helsinki, inside the hour that repeats (fold=1).
    batch = [{"indicator": "fast_quote", "observed_at": "2025-10-26T00:30:00+00:00", "value": 1}]
    assert push(api, batch).json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert push(api, batch).json() == {"created": 0, "updated": 0, "unchanged": 1}


def test_a_deadlock_with_a_concurrent_push_is_retried(api, fast_quote, monkeypatch):
    import psycopg
    from django.db import OperationalError

    from core import bulk

    real_write, failures = bulk._write, []

    def deadlock_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            try:
                raise psycopg.errors.DeadlockDetected("deadlock detected")
            except psycopg.errors.DeadlockDetected as cause:
                raise OperationalError("deadlock detected") from cause
        return real_write(*args, **kwargs)

    monkeypatch.setattr(bulk, "_write", deadlock_once)
    batch = [{"indicator": "fast_quote", "observed_at": "2026-03-02", "value": 1}]
    assert push(api, batch).json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert failures == [1] and Measurement.objects.count() == 1


def test_a_database_outage_is_not_retried_but_answers_503(api, fast_quote, monkeypatch):
    from django.db import OperationalError

    from core import bulk

    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(bulk, "_write", down)
    response = push(api, [{"indicator": "fast_quote", "observed_at": "2026-03-02", "value": 1}])
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_a_push_that_keeps_colliding_answers_503_and_writes_nothing(api, fast_quote, monkeypatch):
    from django.db import IntegrityError

    from core import bulk

    def collide(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(bulk, "_write", collide)
    monkeypatch.setattr(bulk, "CONFLICT_PAUSE_SECONDS", 0.0)
    response = push(api, [{"indicator": "fast_quote", "observed_at": "2026-03-02", "value": 1}])
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "retry" in response.json()["errors"][0]["message"]
    assert Measurement.objects.count() == 0
