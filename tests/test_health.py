import pytest


@pytest.mark.django_db
def test_healthz_reports_database_broker_and_lag(client, settings):
    settings.REDIS_URL = ""
    body = client.get("/healthz").json()
    assert body == {
        "status": "ok",
        "database": "ok",
        "broker": "in-process",
        "oldest_dirty_seconds": 0.0,
    }


@pytest.mark.django_db
def test_healthz_is_degraded_when_the_broker_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"
