"""A bad batch answers 400 naming every bad item and field, and writes nothing."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from indicators.models import DirtyMark, Measurement
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

URL = "/api/v1/measurements/"
GOOD = {"indicator": "quote_time", "observed_at": "2026-03-02T09:00:00+02:00", "value": 30}


@pytest.fixture(autouse=True)
def indicators(organisation):
    IndicatorFactory(organisation=organisation, code="quote_time", aggregation="mean")
    IndicatorFactory(organisation=organisation, code="quotes_sent", aggregation="sum")
    IndicatorFactory(
        organisation=organisation, code="ftr", aggregation="ratio", direction="higher_is_better"
    )
    IndicatorFactory(
        organisation=organisation, code="quote_speed", aggregation="", formula="100 / quote_time"
    )


def post_raw(api, body: bytes):
    return api.generic("POST", URL, data=body, content_type="application/json")


def refused(response) -> list[dict]:
    """The error list of a 400 answer, after checking the envelope and that nothing was written."""
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert errors, "a refusal names at least one error"
    for item in errors:
        assert set(item) == {"index", "field", "message"}
        assert item["message"]
    assert Measurement.objects.count() == 0
    assert DirtyMark.objects.count() == 0
    return errors


def fields_of(errors) -> list[tuple]:
    return [(e["index"], e["field"]) for e in errors]


def test_an_unknown_indicator_code_is_refused_even_when_the_other_items_are_fine(api):
    errors = refused(push(api, [GOOD, {**GOOD, "indicator": "no_such_thing"}]))
    assert fields_of(errors) == [(1, "indicator")]


def test_a_missing_value_is_refused(api):
    item = {k: v for k, v in GOOD.items() if k != "value"}
    assert fields_of(refused(push(api, [GOOD | {"observed_at": "2026-03-01"}, item]))) == [
        (1, "value")
    ]


def test_a_null_value_is_refused(api):
    assert fields_of(refused(push(api, [{**GOOD, "value": None}]))) == [(0, "value")]


@pytest.mark.parametrize("bad", ["12", True, False, [1], {"v": 1}])
def test_a_value_that_is_not_a_json_number_is_refused(api, bad):
    assert fields_of(refused(push(api, [{**GOOD, "value": bad}]))) == [(0, "value")]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_literals_are_refused_not_a_server_error(api, literal):
    body = b'{"measurements": [{"indicator": "quote_time", "observed_at": "2026-03-01", "value": '
    response = post_raw(api, body + literal + b"}]}")
    refused(response)


@pytest.mark.parametrize("number", [b"1e999", b"-1e999", b"1" + b"0" * 400])
def test_numbers_beyond_float_range_are_refused_not_a_server_error(api, number):
    body = b'{"measurements": [{"indicator": "quote_time", "observed_at": "2026-03-01", "value": '
    refused(post_raw(api, body + number + b"}]}"))


def test_a_ratio_indicator_needs_a_denominator(api):
    item = {"indicator": "ftr", "observed_at": "2026-03-01", "numerator": 3}
    assert fields_of(refused(push(api, [item]))) == [(0, "denominator")]


def test_a_ratio_indicator_refuses_a_value(api):
    item = {
        "indicator": "ftr",
        "observed_at": "2026-03-01",
        "value": 50,
        "numerator": 1,
        "denominator": 2,
    }
    assert fields_of(refused(push(api, [item]))) == [(0, "value")]


def test_a_ratio_indicator_refuses_a_negative_denominator(api):
    item = {"indicator": "ftr", "observed_at": "2026-03-01", "numerator": 1, "denominator": -2}
    assert fields_of(refused(push(api, [item]))) == [(0, "denominator")]


def test_a_plain_indicator_refuses_a_numerator(api):
    assert fields_of(refused(push(api, [{**GOOD, "numerator": 1}]))) == [(0, "numerator")]


def test_a_formula_indicator_takes_no_measurements(api):
    item = {**GOOD, "indicator": "quote_speed"}
    assert fields_of(refused(push(api, [GOOD, item]))) == [(1, "indicator")]


@pytest.mark.parametrize(
    "stamp", ["2026-13-01", "yesterday", "2026-03-01T25:00:00+02:00", "", 20260301, None]
)
def test_a_malformed_timestamp_is_refused(api, stamp):
    assert fields_of(refused(push(api, [{**GOOD, "observed_at": stamp}]))) == [(0, "observed_at")]


def test_a_timestamp_without_time_zone_is_refused(api):
    errors = refused(push(api, [{**GOOD, "observed_at": "2026-03-01T10:00:00"}]))
    assert fields_of(errors) == [(0, "observed_at")]
    assert "offset" in errors[0]["message"]


def test_a_bare_date_means_local_midnight_in_the_organisations_time_zone(api):
    response = push(api, [{**GOOD, "observed_at": "2026-03-01"}])
    assert response.status_code == 200, response.json()
    stored = Measurement.objects.get()
    helsinki_midnight = datetime(2026, 3, 1, tzinfo=ZoneInfo("Europe/Helsinki"))
    assert stored.observed_at == helsinki_midnight
    assert stored.observed_at.isoformat().startswith("2026-02-28T22:00:00")  # UTC+2 in winter
    assert str(stored.local_date) == "2026-03-01"


def test_two_unkeyed_items_with_the_same_segment_and_time_are_refused(api):
    first = {**GOOD, "segment": {"channel": "web"}}
    # the same instant written in another offset is the same natural key
    second = {**first, "observed_at": "2026-03-02T07:00:00Z", "value": 31}
    other_segment = {**first, "segment": {"channel": "phone"}}
    errors = refused(push(api, [first, other_segment, second]))
    assert fields_of(errors) == [(2, "observed_at")]
    assert "item 0" in errors[0]["message"]


def test_two_items_with_the_same_key_are_refused(api):
    batch = [
        {**GOOD, "key": "q-1"},
        {**GOOD, "key": "q-1", "observed_at": "2026-03-05"},
    ]
    assert fields_of(refused(push(api, batch))) == [(1, "key")]


def test_the_same_key_on_two_indicators_is_fine(api):
    batch = [{**GOOD, "key": "q-1"}, {**GOOD, "indicator": "quotes_sent", "key": "q-1"}]
    assert push(api, batch).json() == {"created": 2, "updated": 0, "unchanged": 0}


def test_malformed_json_is_refused(api):
    errors = refused(post_raw(api, b'{"measurements": [{"indicator": "quote_time",'))
    assert "JSON" in errors[0]["message"]


@pytest.mark.parametrize(
    "document",
    [[GOOD], {"items": [GOOD]}, {"measurements": GOOD}, {"measurements": None}, "x", 3],
)
def test_a_body_that_is_not_an_object_with_a_measurement_list_is_refused(api, document):
    errors = refused(post_raw(api, json.dumps(document).encode()))
    assert fields_of(errors) == [(None, "measurements")]


def test_dry_run_must_be_a_boolean(api):
    errors = refused(post_raw(api, json.dumps({"measurements": [GOOD], "dry_run": "no"}).encode()))
    assert fields_of(errors) == [(None, "dry_run")]


def test_an_item_that_is_not_an_object_is_refused(api):
    assert [e["index"] for e in refused(push(api, [GOOD, "x"]))] == [1]


def test_an_unknown_item_field_is_refused(api):
    assert fields_of(refused(push(api, [{**GOOD, "valeu": 3}]))) == [(0, "valeu")]


@pytest.mark.parametrize(
    "segment", [{"channel": 3}, {"": "web"}, {"channel": ""}, ["web"], "web", {"a:b": "web"}]
)
def test_a_segment_must_map_dimension_names_to_member_names(api, segment):
    assert fields_of(refused(push(api, [{**GOOD, "segment": segment}]))) == [(0, "segment")]


@pytest.mark.parametrize("code", [["quote_time"], {"code": "quote_time"}, 7, None])
def test_an_indicator_that_is_not_a_code_is_refused_not_a_server_error(api, code):
    assert fields_of(refused(push(api, [GOOD, {**GOOD, "indicator": code}]))) == [(1, "indicator")]


def test_over_ten_thousand_items_answer_413_and_write_nothing(api, settings):
    batch = [
        {
            "indicator": "quotes_sent",
            "observed_at": f"2026-03-01T00:00:{i % 60:02d}Z",
            "key": str(i),
            "value": 1,
        }
        for i in range(settings.INGEST_MAX_ITEMS + 1)
    ]
    response = push(api, batch)
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "measurements"
    assert Measurement.objects.count() == 0


def test_errors_of_several_bad_items_are_all_listed_sorted_by_index(api):
    batch = [
        {**GOOD, "observed_at": "2026-03-01T10:00:00"},  # 0: no time zone
        GOOD,  # 1: fine
        {**GOOD, "indicator": "nope", "valeu": 1},  # 2: unknown field and indicator
        {**GOOD, "observed_at": "2026-03-03", "value": "7"},  # 3: string value
        {"indicator": "ftr", "observed_at": "2026-03-01", "numerator": 1},  # 4: no denominator
    ]
    errors = refused(push(api, batch))
    assert [e["index"] for e in errors] == [0, 2, 2, 3, 4]
    assert sorted(fields_of(errors)) == [
        (0, "observed_at"),
        (2, "indicator"),
        (2, "valeu"),
        (3, "value"),
        (4, "denominator"),
    ]


def test_a_dry_run_of_a_bad_batch_is_refused_too(api):
    body = json.dumps({"measurements": [{**GOOD, "value": "1"}], "dry_run": True}).encode()
    assert fields_of(refused(post_raw(api, body))) == [(0, "value")]


@pytest.mark.parametrize(
    "stamp", ["0001-01-01", "0001-01-01T00:30:00+01:00", "1899-12-31", "3000-01-01", "9999-12-31"]
)
def test_a_timestamp_outside_the_supported_years_is_refused(api, stamp):
    # year 1 and 9999 cannot even be moved to UTC or given a following period
    assert fields_of(refused(push(api, [{**GOOD, "observed_at": stamp}]))) == [(0, "observed_at")]


def test_the_first_and_last_supported_days_are_accepted(api):
    batch = [{**GOOD, "observed_at": "1900-01-01"}, {**GOOD, "observed_at": "2999-12-31"}]
    assert push(api, batch).json() == {"created": 2, "updated": 0, "unchanged": 0}


@pytest.mark.parametrize(
    "segment",
    [
        {"channel": "x" * 200},  # "channel:xxx..." would not fit a period value's series
        {f"dim_{n}": "member_with_a_long_name" for n in range(12)},  # too large in all
    ],
)
def test_a_segment_too_large_to_store_is_refused(api, segment):
    assert fields_of(refused(push(api, [{**GOOD, "segment": segment}]))) == [(0, "segment")]


def test_an_empty_key_is_refused(api):
    assert fields_of(refused(push(api, [{**GOOD, "key": ""}]))) == [(0, "key")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"comment": "late\u0000"}, "comment"),
        ({"key": "crm-\u00001"}, "key"),
        ({"segment": {"channel\u0000": "web"}}, "segment"),
        ({"segment": {"channel": "w\u0000eb"}}, "segment"),
        ({"indicator": "quote\u0000time"}, "indicator"),
    ],
)
def test_a_nul_character_in_a_text_field_is_refused_by_name(api, change, field):
    # PostgreSQL text cannot hold NUL: before this check such an item answered 500 there.
    response = api.post(URL, {"measurements": [GOOD, {**GOOD, **change}]}, format="json")
    assert fields_of(refused(response)) == [(1, field)]
