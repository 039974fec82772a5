"""Idempotency-Key records are scoped by (organisation, endpoint, key) and expire after a day."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from core import tasks
from core.models import IdempotencyRecord
from tests.core.urls import ECHO_CALLS
from tests.factories import IndicatorFactory, push

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]

ITEMS = [{"indicator": "fast_quote", "observed_at": "2026-03-02", "value": 31.5}]
ECHO = "/api/v1/test/echo/"


@pytest.fixture(autouse=True)
def fast_quote(organisation):
    ECHO_CALLS.clear()
    return IndicatorFactory(organisation=organisation, code="fast_quote")


def echo(api, body, key):
    return api.post(ECHO, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_idempotency_key_on_two_endpoints_never_replays_the_other(api):
    counts = {"created": 1, "updated": 0, "unchanged": 0}
    first = push(api, ITEMS, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, first.json()) == (200, counts)
    # The very same body under the same key at another endpoint is that endpoint's first request.
    same_body = {"measurements": ITEMS}
    assert echo(api, same_body, "k-1").json() == {"echo": same_body}
    assert len(ECHO_CALLS) == 1
    # ... and each endpoint replays its own answer afterwards.
    assert echo(api, same_body, "k-1").json() == {"echo": same_body}
    assert len(ECHO_CALLS) == 1
    again = push(api, ITEMS, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (again.status_code, again.json()) == (200, counts)
    assert set(IdempotencyRecord.objects.values_list("endpoint", flat=True)) == {
        "/api/v1/measurements/",
        ECHO,
    }


def test_a_different_body_at_another_endpoint_is_no_conflict(api):
    push(api, ITEMS, HTTP_IDEMPOTENCY_KEY="k-1")
    response = echo(api, {"other": True}, "k-1")
    assert (response.status_code, response.json()) == (200, {"echo": {"other": True}})
    assert echo(api, {"other": False}, "k-1").status_code == 409  # its own record conflicts


def test_only_200_and_400_answers_are_remembered(api):
    for status in (200, 400, 413, 503):
        body = {"status": status}
        assert echo(api, body, f"k-{status}").status_code == status
        assert echo(api, body, f"k-{status}").status_code == status
    # 200 and 400 ran once and were replayed; 413 and 503 ran again when retried.
    assert [call["status"] for call in ECHO_CALLS] == [200, 400, 413, 413, 503, 503]


def test_without_a_key_nothing_is_remembered(api):
    api.post(ECHO, {"status": 200}, format="json")
    api.post(ECHO, {"status": 200}, format="json")
    assert len(ECHO_CALLS) == 2
    assert not IdempotencyRecord.objects.exists()


def test_a_key_longer_than_the_column_still_replays(api):
    key = "k" * 300
    assert echo(api, {"n": 1}, key).status_code == 200
    assert echo(api, {"n": 1}, key).json() == {"echo": {"n": 1}}
    assert len(ECHO_CALLS) == 1


def test_the_sweep_forgets_records_older_than_a_day(api, other_api):
    echo(api, {"n": 1}, "old")
    echo(other_api, {"n": 2}, "old")
    echo(api, {"n": 3}, "new")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=24, seconds=1)
    )
    assert tasks.sweep_idempotency_records() == 2
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_the_beat_runs_the_sweep_hourly():
    [entry] = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == tasks.sweep_idempotency_records.name
    ]
    assert entry["schedule"].hour == set(range(24))
    assert len(entry["schedule"].minute) == 1


def test_an_answer_quoting_a_nul_is_remembered_and_replayed_alike(api):
    # An unknown field name with a NUL in it is quoted by the error; PostgreSQL cannot keep a NUL
    # in a JSON document, so the answer writes it as the text \u0000, the first time and after.
    items = [{**ITEMS[0], "co\x00lour": "red"}]
    first = push(api, items, HTTP_IDEMPOTENCY_KEY="k-nul")
    assert first.status_code == 400
    fields = [error["field"] for error in first.json()["errors"]]
    assert fields == ["co\\u0000lour"]
    again = push(api, items, HTTP_IDEMPOTENCY_KEY="k-nul")
    assert (again.status_code, again.json()) == (400, first.json())
    assert IdempotencyRecord.objects.filter(key="k-nul").count() == 1


def test_only_an_answer_given_again_says_it_is_replayed(api):
    first = echo(api, {"n": 1}, "replayed")
    again = echo(api, {"n": 1}, "replayed")
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert "Idempotent-Replayed" not in echo(api, {"n": 2}, "replayed")  # 409, not a replay
