"""The OpenAPI schema says how to authenticate, what errors look like and what bodies are."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def test_the_api_key_scheme_is_the_authorization_header(schema):
    assert schema["components"]["securitySchemes"]["Api-Key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Api-Key <key>: a key made with `manage.py create_api_key`.",
    }
    assert schema["components"]["securitySchemes"]["cookieAuth"]["in"] == "cookie"


def test_every_operation_takes_the_api_key_or_the_session(schema):
    for method, path, operation in operations(schema):
        assert operation["security"] == [{"Api-Key": []}, {"cookieAuth": []}], (method, path)


def test_every_operation_documents_its_errors_with_the_envelope(schema):
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        expected = {"400", "401", "403"}
        expected |= {"404"} if "{" in path or method == "GET" else set()
        expected |= {"415"} if method in ("POST", "PATCH") else set()
        assert expected <= set(responses), (method, path)
        for code in set(responses) - {"200", "201", "204"}:
            assert responses[code]["content"]["application/json"]["schema"] == ENVELOPE
    measurements = schema["paths"]["/api/v1/measurements/"]["post"]["responses"]
    assert {"409", "413"} <= set(measurements)


def test_the_error_envelope_is_a_list_of_index_field_and_message(schema):
    components = schema["components"]["schemas"]
    assert components["ErrorEnvelope"]["properties"]["errors"]["items"] == {
        "$ref": "#/components/schemas/Error"
    }
    error = components["Error"]
    assert set(error["properties"]) == set(error["required"]) == {"index", "field", "message"}
    assert error["properties"]["index"] == {
        "type": "integer",
        "nullable": True,
        "description": "Position of the bad item in a batch, or null.",
    }


def test_request_bodies_are_json_only(schema):
    for method, path, operation in operations(schema):
        if "requestBody" in operation:
            assert list(operation["requestBody"]["content"]) == ["application/json"], (method, path)


def test_the_measurements_batch_describes_its_items(schema):
    components = schema["components"]["schemas"]
    batch = components["MeasurementBatchRequest"]
    assert set(batch["properties"]) == {"measurements", "dry_run"}
    item = components["MeasurementItemRequest"]
    assert set(item["properties"]) == {
        "indicator",
        "observed_at",
        "value",
        "numerator",
        "denominator",
        "segment",
        "key",
        "comment",
    }
    assert item["required"] == ["indicator", "observed_at"]
    assert item["properties"]["segment"]["additionalProperties"] == {
        "type": "string",
        "minLength": 1,
    }


def test_the_values_answer_describes_each_period_value(schema):
    components = schema["components"]["schemas"]
    assert set(components["IndicatorValues"]["properties"]) == {
        "indicator",
        "period",
        "segment",
        "computed_at",
        "limits",
        "results",
    }
    assert set(components["PeriodValue"]["properties"]) == {
        "period_start",
        "value",
        "count",
        "numerator",
        "denominator",
        "target",
        "progress",
        "band_low",
        "band_high",
        "position",
        "assessment",
        "previous",
        "change",
        "benchmark",
        "centre",
        "lower_limit",
        "upper_limit",
        "signal",
    }
    assert set(components["SignalEnum"]["enum"]) == {
        "above_limit",
        "below_limit",
        "run_above",
        "run_below",
        "two_of_three_above",
        "two_of_three_below",
    }
    assert set(components["LimitsPhase"]["properties"]) == {
        "from",
        "to",
        "baseline_from",
        "baseline_to",
        "baseline_points",
        "centre",
        "lower_limit",
        "upper_limit",
        "mean_moving_range",
    }


def _query_parameter(schema, path: str, name: str) -> dict:
    parameters = schema["paths"][path]["get"]["parameters"]
    return next(p["schema"] for p in parameters if p["name"] == name and p["in"] == "query")


@pytest.mark.parametrize(
    ("path", "name"),
    [("/api/v1/scorecards/{id}/", "period"), ("/api/v1/scorecards/{id}/history/", "end")],
)
def test_a_scorecards_query_date_states_the_years_the_api_takes(schema, path, name):
    """The API refuses a day outside 1900-01-01..2999-12-31 (scorecard.api.fields.query_date), so
    the schema says so: a client, or schemathesis, must not send a schema-valid day it refuses."""
    pattern = _query_parameter(schema, path, name)["pattern"]
    taken = ["1900-01-01", "2026-02-28", "2999-12-31"]
    refused = ["1899-12-31", "3000-01-01", "0348-01-29", "4211-06-07", "12026-01-01"]
    assert [day for day in taken + refused if re.search(pattern, day)] == taken
