"""Under /api/ every error answers the JSON envelope; pages keep their HTML 404 and 500."""

import json
import logging

import pytest
from django.test import Client

from indicators.models import Indicator, Measurement
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

INDICATOR = {
    "code": "fast_quote",
    "name": "Fast quote",
    "kind": "cpi",
    "direction": "higher_is_better",
    "aggregation": "mean",
    "period": "month",
}


def envelope(response) -> list[dict]:
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = json.loads(response.content)
    assert list(body) == ["errors"]
    for item in body["errors"]:
        assert set(item) == {"index", "field", "message"}
    return body["errors"]


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here/", "/api/v1/indicators/fast_quote/nowhere/", "/api/nope"]
)
def test_unknown_api_route_answers_the_json_envelope(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert envelope(response) == [{"index": None, "field": "", "message": "Not found."}]


def test_unknown_api_route_answers_the_envelope_without_credentials(db):
    response = Client().post("/api/v1/nothing-here/", "{}", content_type="application/json")
    assert response.status_code == 404
    assert envelope(response)[0]["message"] == "Not found."


def test_unknown_page_keeps_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/v1/indicators/"),
        ("put", "/api/v1/indicators/"),
        ("get", "/api/v1/measurements/"),
        ("delete", "/api/v1/deviations/"),
    ],
)
def test_method_not_allowed_answers_405_with_the_envelope(api, method, path):
    response = getattr(api, method)(path)
    assert response.status_code == 405
    [error] = envelope(response)
    assert error["field"] == ""
    assert method.upper() in error["message"]


@pytest.mark.parametrize("format_", ["multipart", None])  # None: APIClient's urlencoded form
@pytest.mark.parametrize("path", ["/api/v1/indicators/", "/api/v1/measurements/"])
def test_form_body_answers_415(api, organisation, path, format_):
    data = {"measurements": "x"} if "measurements" in path else INDICATOR
    if format_ is None:
        response = api.post(
            path,
            "&".join(f"{k}={v}" for k, v in data.items()),
            content_type="application/x-www-form-urlencoded",
        )
    else:
        response = api.post(path, data, format=format_)
    assert response.status_code == 415
    [error] = envelope(response)
    assert "Unsupported media type" in error["message"]
    assert not Indicator.objects.exists()


def test_a_json_push_is_still_taken(api, organisation):
    IndicatorFactory(organisation=organisation, code="fast_quote")
    item = {"indicator": "fast_quote", "observed_at": "2026-03-02", "value": 1}
    response = api.post(
        "/api/v1/measurements/",
        json.dumps({"measurements": [item]}),
        content_type="application/json; charset=utf-8",
    )
    assert (response.status_code, response.json()["created"]) == (200, 1)


def test_an_api_error_is_json_even_when_the_client_asks_for_html(api):
    response = api.get("/api/v1/indicators/missing/", HTTP_ACCEPT="text/html")
    assert response.status_code in (404, 406)
    assert envelope(response)


@pytest.mark.urls("tests.core.urls")
def test_unexpected_error_answers_500_with_the_envelope(api, caplog):
    with caplog.at_level(logging.ERROR):
        response = api.get("/api/v1/test/broken/", HTTP_X_REQUEST_ID="req-500-abc")
    assert response.status_code == 500
    [error] = envelope(response)
    assert "X-Request-ID" in error["message"]
    assert "a bug" not in error["message"]  # no internals in the answer
    assert response["X-Request-ID"] == "req-500-abc"
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.exc_info[0] is RuntimeError
    assert record.request_id == "req-500-abc"


@pytest.mark.urls("tests.core.urls")
def test_an_error_outside_drf_under_the_api_answers_the_envelope(db):
    response = Client(raise_request_exception=False).get("/api/v1/test/broken-function/")
    assert response.status_code == 500
    assert "X-Request-ID" in envelope(response)[0]["message"]


@pytest.mark.urls("tests.core.urls")
def test_an_error_in_a_page_keeps_the_html_500(db):
    response = Client(raise_request_exception=False).get("/broken-page/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("path", ["/api/v1/measurements/", "/api/v1/indicators/"])
@pytest.mark.parametrize("body", [DEEP, b'{"measurements": ' + DEEP + b"}"])
def test_deeply_nested_json_answers_400(api, organisation, path, body):
    response = api.post(path, body, content_type="application/json")
    assert response.status_code == 400
    [error] = envelope(response)
    assert error["message"] == "The JSON document is nested too deeply."
    assert not Measurement.objects.exists()
    assert not Indicator.objects.exists()


def test_the_schema_offers_only_json_request_bodies(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    media_types = {
        media_type
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "requestBody" in operation
        for media_type in operation["requestBody"]["content"]
    }
    assert media_types == {"application/json"}
