"""core.health: /healthz reports the database, the broker and the checks apps register."""

import pytest

from core import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def embedded(settings):
    settings.REDIS_URL = ""


def test_a_registered_check_is_answered_after_database_and_broker(client, monkeypatch):
    monkeypatch.setitem(health.CHECKS, "widgets_waiting", lambda: 3)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert list(body)[:3] == ["status", "database", "broker"]
    assert body["widgets_waiting"] == 3
    assert body["status"] == "ok"


def test_a_failing_check_answers_null_and_degrades_the_status(client, monkeypatch):
    def broken():
        raise RuntimeError("cannot count widgets")

    monkeypatch.setitem(health.CHECKS, "widgets_waiting", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["widgets_waiting"] is None


def test_checks_do_not_run_while_the_database_is_down(client, monkeypatch):
    def must_not_run():
        raise AssertionError("a check ran without a database")

    monkeypatch.setattr(health, "_database", lambda: "unavailable")
    monkeypatch.setitem(health.CHECKS, "widgets_waiting", must_not_run)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["widgets_waiting"], body["oldest_dirty_seconds"]) == (
        "unavailable",
        None,
        None,
    )


def test_a_check_name_is_registered_once(monkeypatch):
    monkeypatch.setitem(health.CHECKS, "widgets_waiting", int)
    health.register_check("widgets_waiting", int)
    with pytest.raises(ValueError, match="already registered"):
        health.register_check("widgets_waiting", float)
