"""`/api/v1/hypotheses/`: create with the evidence computed, the contract's fields, every bad
input a 400 naming the field, filters, PATCH / PUT / DELETE, scoping, roles and query counts."""

import json

import pytest
from scipy import stats

from cpi import services
from cpi.models import Hypothesis
from indicators.models import Indicator
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

# A fixed bound, the same for one row and for many: no query per row.
MAX_QUERIES = 5
URL = "/api/v1/hypotheses/"
# Fast Quote (seconds) for 14 months; new customers copy it one month later, inverted.
QUOTES = [30, 42, 25, 51, 38, 29, 60, 33, 45, 27, 55, 40, 36, 48]
LATEST = 44
ANSWER_FIELDS = {
    "id",
    "cause",
    "effect",
    "expected_sign",
    "max_lag",
    "period",
    "statement",
    "status",
    "status_source",
    "evidence",
    "evidence_differenced",
    "granger",
    "forecast",
    "backtest",
    "forecast_shown",
    "warnings",
    "experiments",
    "created_at",
}


def fields_of(response, status=400) -> list[str]:
    assert response.status_code == status, response.content
    return [e["field"] for e in response.json()["errors"]]


def strict_json(response) -> dict:
    """The body, refusing NaN and the infinities (which json.loads would take)."""

    def refuse(name):
        raise AssertionError(f"{name} in the answer")

    return json.loads(response.content, parse_constant=refuse)


def month(i: int) -> str:
    return f"{2025 + i // 12}-{i % 12 + 1:02d}-15"


@pytest.fixture
def series(api, organisation, django_capture_on_commit_callbacks):
    """fast_quote (a CPI) and new_customers (a KPI, 200 - quote of the month before)."""
    IndicatorFactory(organisation=organisation, code="fast_quote", kind="cpi")
    IndicatorFactory(
        organisation=organisation,
        code="new_customers",
        kind="kpi",
        direction="higher_is_better",
        aggregation="sum",
    )
    IndicatorFactory(organisation=organisation, code="retention", kind="kpi")
    items = [
        {"indicator": "fast_quote", "observed_at": month(i), "value": q}
        for i, q in enumerate(QUOTES)
    ] + [
        {"indicator": "new_customers", "observed_at": month(i + 1), "value": 200 - q}
        for i, q in enumerate(QUOTES)
    ]
    # The latest quote, whose customers are next month's: what the forecast is made from.
    items.append({"indicator": "fast_quote", "observed_at": month(len(QUOTES)), "value": LATEST})
    with django_capture_on_commit_callbacks(execute=True):
        assert push(api, items).status_code == 200
    return organisation


def create(api, **body):
    data = {"cause": "fast_quote", "effect": "new_customers", "expected_sign": "negative"}
    return api.post(URL, {**data, **body}, format="json")


def test_a_hypothesis_is_created_with_its_evidence_computed(api, series):
    response = create(api, max_lag=3, statement="A fast quote wins customers.")

    assert response.status_code == 201, response.content
    answer = strict_json(response)
    assert set(answer) == ANSWER_FIELDS
    assert answer["cause"] == "fast_quote" and answer["effect"] == "new_customers"
    assert (answer["max_lag"], answer["period"]) == (3, "month")
    evidence = answer["evidence"]
    assert evidence["best_lag"] == 1
    r, p = stats.pearsonr(QUOTES, [200 - q for q in QUOTES])
    assert evidence["r"] == pytest.approx(r) == pytest.approx(-1.0)
    assert evidence["n"] == len(QUOTES)
    assert evidence["p_value"] == pytest.approx(p, abs=1e-12)
    assert [lag["lag"] for lag in evidence["lags"]] == [0, 1, 2, 3]
    assert evidence["computed_at"] is not None
    assert set(answer["evidence_differenced"]) == set(evidence)
    assert answer["status"] == "supported"
    assert answer["status_source"] == "correlation"
    assert answer["experiments"] == []
    # The effect copies the cause exactly: the forecast beats "same as last period".
    assert answer["backtest"]["beats_naive"] is True
    point = answer["forecast"]["points"][0]
    assert point["period_start"] == "2026-04-01"
    assert point["value"] == pytest.approx(200 - LATEST)
    assert answer["forecast_shown"] is True
    assert all(set(w) == {"code", "message"} for w in answer["warnings"])
    assert api.get(f"{URL}{answer['id']}/").json() == answer


def test_lag_zero_evidence_matches_scipy_on_the_same_months(api, series):
    answer = create(api, max_lag=0).json()
    # At lag 0: quote of month m+1 against customers of month m+1 (= 200 - quote of month m).
    xs, ys = [*QUOTES[1:], LATEST], [200 - q for q in QUOTES]
    r, p = stats.pearsonr(xs, ys)
    lag = answer["evidence"]["lags"][0]
    assert (lag["n"], lag["r"], lag["p_value"]) == (
        len(xs),
        pytest.approx(r),
        pytest.approx(p),
    )


def test_without_values_the_evidence_has_nulls_and_says_not_enough_data(api, organisation):
    IndicatorFactory(organisation=organisation, code="a")
    IndicatorFactory(organisation=organisation, code="b", kind="kpi")
    response = api.post(
        URL, {"cause": "a", "effect": "b", "expected_sign": "positive"}, format="json"
    )
    answer = strict_json(response)
    assert response.status_code == 201
    assert answer["evidence"]["r"] is None and answer["evidence"]["p_value"] is None
    assert answer["status"] == "proposed"
    assert "not_enough_data" in [w["code"] for w in answer["warnings"]]
    assert answer["forecast_shown"] is False


def test_a_constant_series_gives_no_r_and_no_nan(
    api, organisation, django_capture_on_commit_callbacks
):
    IndicatorFactory(organisation=organisation, code="flat")
    IndicatorFactory(organisation=organisation, code="moving", kind="kpi")
    items = [{"indicator": "flat", "observed_at": month(i), "value": 5} for i in range(14)] + [
        {"indicator": "moving", "observed_at": month(i), "value": i * i} for i in range(14)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        push(api, items)
    response = api.post(
        URL, {"cause": "flat", "effect": "moving", "expected_sign": "positive"}, format="json"
    )
    answer = strict_json(response)
    assert response.status_code == 201
    assert answer["evidence"]["r"] is None
    assert {lag["reason"] for lag in answer["evidence"]["lags"]} == {"constant_series"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"effect": "fast_quote"}, "effect"),
        ({"cause": "no_such"}, "cause"),
        ({"effect": "no_such"}, "effect"),
        ({"max_lag": -1}, "max_lag"),
        ({"max_lag": 25}, "max_lag"),
        ({"max_lag": True}, "max_lag"),
        ({"max_lag": "3"}, "max_lag"),
        ({"max_lag": 2.5}, "max_lag"),
        ({"expected_sign": "up"}, "expected_sign"),
        ({"period": "fortnight"}, "period"),
        ({"statement": 5}, "statement"),
        ({"cause": "Fast-Quote"}, "cause"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(api, series, body, field):
    assert fields_of(create(api, **body)) == [field]
    assert not Hypothesis.objects.exists()


def test_another_organisations_indicator_is_refused_as_unknown(api, series, other_organisation):
    IndicatorFactory(organisation=other_organisation, code="their_kpi", kind="kpi")
    assert fields_of(create(api, effect="their_kpi")) == ["effect"]


def test_the_same_arrow_twice_is_refused_naming_the_effect(api, series):
    assert create(api).status_code == 201
    assert fields_of(create(api)) == ["effect"]


def test_required_fields_are_named(api, series):
    response = api.post(URL, {}, format="json")
    assert sorted(fields_of(response)) == ["cause", "effect", "expected_sign"]


def test_patch_changes_a_field_and_recomputes_put_replaces_the_definition(api, series):
    pk = create(api, max_lag=5, statement="first").json()["id"]

    patched = api.patch(f"{URL}{pk}/", {"max_lag": 2}, format="json")
    assert patched.status_code == 200
    assert patched.json()["max_lag"] == 2 and patched.json()["statement"] == "first"
    assert len(patched.json()["evidence"]["lags"]) == 3

    body = {"cause": "fast_quote", "effect": "retention", "expected_sign": "positive"}
    put = api.put(f"{URL}{pk}/", body, format="json")
    assert put.status_code == 200, put.content
    answer = put.json()
    assert (answer["effect"], answer["max_lag"], answer["statement"]) == ("retention", 3, "")
    assert fields_of(api.put(f"{URL}{pk}/", {"cause": "fast_quote"}, format="json")) == [
        "effect",
        "expected_sign",
    ]
    assert fields_of(api.patch(f"{URL}{pk}/", {"max_lag": 99}, format="json")) == ["max_lag"]


def test_delete_removes_it(api, series):
    pk = create(api).json()["id"]
    assert api.delete(f"{URL}{pk}/").status_code == 204
    assert api.get(f"{URL}{pk}/").status_code == 404


def test_the_list_filters_by_status_cause_and_effect(api, series):
    supported = create(api).json()["id"]
    other = create(api, effect="retention", expected_sign="positive").json()["id"]

    def ids(**query):
        response = api.get(URL, query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [supported, other]
    assert ids(status="supported") == [supported]
    assert ids(effect="retention") == [other]
    assert ids(cause="fast_quote") == [supported, other]
    assert ids(cause="new_customers") == []
    assert fields_of(api.get(URL, {"status": "maybe"})) == ["status"]
    assert fields_of(api.get(URL, {"status": ""})) == ["status"]
    assert fields_of(api.get(URL, {"cause": "Fast-Quote"})) == ["cause"]
    assert fields_of(api.get(URL, {"effect": ""})) == ["effect"]
    assert fields_of(api.get(URL, {"effect": "a\x00"})) == ["effect"]
    assert set(api.get(URL).json()) == {"count", "next", "previous", "results"}


def test_another_organisations_hypothesis_is_not_found(api, other_api, series):
    pk = create(api).json()["id"]
    assert other_api.get(f"{URL}{pk}/").status_code == 404
    assert other_api.patch(f"{URL}{pk}/", {"statement": "x"}, format="json").status_code == 404
    assert other_api.delete(f"{URL}{pk}/").status_code == 404
    assert other_api.get(URL).json()["count"] == 0
    assert Hypothesis.objects.get(pk=pk).statement == ""


@pytest.mark.parametrize("path", ["0/", "abc/", "99999999999999999999/"])
def test_a_path_that_is_no_id_is_not_found(api, path):
    assert api.get(f"{URL}{path}").status_code == 404


def test_a_viewer_reads_but_does_not_write(client, viewer, series):
    services.create_hypothesis(
        organisation=series,
        data={
            "cause": Indicator.objects.get(code="fast_quote"),
            "effect": Indicator.objects.get(code="new_customers"),
            "expected_sign": "negative",
        },
    )
    client.force_login(viewer)
    assert client.get(URL).status_code == 200
    body = {"cause": "fast_quote", "effect": "retention", "expected_sign": "positive"}
    assert client.post(URL, body, content_type="application/json").status_code == 403


def test_the_list_costs_the_same_queries_for_one_hypothesis_and_for_twelve(
    api, organisation, django_assert_max_num_queries
):
    causes = [IndicatorFactory(organisation=organisation, code=f"c{i}") for i in range(12)]
    effect = IndicatorFactory(organisation=organisation, code="e", kind="kpi")

    def add(cause):
        services.create_hypothesis(
            organisation=organisation,
            data={"cause": cause, "effect": effect, "expected_sign": "positive"},
        )

    add(causes[0])
    with django_assert_max_num_queries(MAX_QUERIES):
        assert api.get(URL).json()["count"] == 1
    for cause in causes[1:]:
        add(cause)
    with django_assert_max_num_queries(MAX_QUERIES):
        answer = api.get(URL).json()
    assert answer["count"] == 12
