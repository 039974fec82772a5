"""`/api/v1/experiments/` and its plan helper: results checked against scipy / statsmodels and a
hand-worked two-proportion example, `final` as of today, every bad input a 400 naming the field,
a ratio with zero denominators a result without verdict, scoping, roles and query counts."""

import json
import math
import statistics

import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from cpi.models import Experiment
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

# A fixed bound, the same for one row and for many: no query per row.
MAX_QUERIES = 4
URL = "/api/v1/experiments/"
CONTROL = [50.0, 55.0, 48.0, 60.0, 52.0]
TREATMENT = [30.0, 35.0, 28.0, 40.0, 33.0]
ANSWER_FIELDS = {
    "id",
    "hypothesis",
    "name",
    "indicator",
    "arm_dimension",
    "control",
    "treatment",
    "start",
    "end",
    "expected_effect",
    "planned_n_per_arm",
    "plan",
    "result",
    "created_at",
}
RESULT_FIELDS = {
    "test",
    "effect",
    "ci_low",
    "ci_high",
    "p_value",
    "df",
    "verdict",
    "final",
    "reason",
    "expected_effect",
    "control",
    "treatment",
}


def fields_of(response, status=400) -> list[str]:
    assert response.status_code == status, response.content
    return [e["field"] for e in response.json()["errors"]]


def strict_json(response) -> dict:
    def refuse(name):
        raise AssertionError(f"{name} in the answer")

    return json.loads(response.content, parse_constant=refuse)


def arm_items(code, member, values, first_day=5):
    return [
        {
            "indicator": code,
            "observed_at": f"2026-01-{first_day + i:02d}",
            "value": value,
            "segment": {"arm": member},
        }
        for i, value in enumerate(values)
    ]


def ratio_items(code, member, parts, first_day=5):
    return [
        {
            "indicator": code,
            "observed_at": f"2026-01-{first_day + i:02d}",
            "numerator": numerator,
            "denominator": denominator,
            "segment": {"arm": member},
        }
        for i, (numerator, denominator) in enumerate(parts)
    ]


@pytest.fixture
def hypothesis(api, organisation, django_capture_on_commit_callbacks):
    """fast_quote (a CPI, lower is better) -> basket (mean) and conversion (ratio), with arms."""
    IndicatorFactory(organisation=organisation, code="fast_quote", kind="cpi")
    IndicatorFactory(
        organisation=organisation, code="basket", kind="kpi", direction="higher_is_better"
    )
    IndicatorFactory(
        organisation=organisation,
        code="conversion",
        kind="kpi",
        direction="higher_is_better",
        aggregation="ratio",
    )
    IndicatorFactory(
        organisation=organisation,
        code="empty_ratio",
        kind="kpi",
        direction="higher_is_better",
        aggregation="ratio",
    )
    items = (
        arm_items("basket", "control", CONTROL)
        + arm_items("basket", "fast-quote", TREATMENT, first_day=12)
        + ratio_items("conversion", "control", [(10, 40), (20, 60)])
        + ratio_items("conversion", "fast-quote", [(20, 50), (25, 50)], first_day=12)
        + ratio_items("empty_ratio", "control", [(0, 0), (0, 0)])
        + ratio_items("empty_ratio", "fast-quote", [(0, 0)], first_day=12)
        # Both arms have shares in December, before the experiment: they are members.
        + [
            {
                "indicator": "empty_ratio",
                "observed_at": f"2025-12-0{day}",
                "numerator": 1,
                "denominator": 2,
                "segment": {"arm": member},
            }
            for day, member in ((1, "control"), (2, "fast-quote"))
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert push(api, items).status_code == 200
    response = api.post(
        "/api/v1/hypotheses/",
        {"cause": "fast_quote", "effect": "basket", "expected_sign": "negative"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def body(hypothesis_id, /, **extra):
    return {
        "hypothesis": hypothesis_id,
        "name": "Instant quote pilot",
        "arm_dimension": "arm",
        "control": "control",
        "treatment": "fast-quote",
        "start": "2026-01-01",
        "end": "2026-01-31",
        **extra,
    }


def test_a_mean_experiment_is_created_with_its_welch_result(api, hypothesis):
    response = api.post(URL, body(hypothesis), format="json")

    assert response.status_code == 201, response.content
    answer = strict_json(response)
    assert set(answer) == ANSWER_FIELDS
    assert answer["indicator"] == "basket"  # the hypothesis's effect by default
    assert answer["expected_effect"] is None  # derived
    result = answer["result"]
    assert set(result) == RESULT_FIELDS
    welch = stats.ttest_ind(TREATMENT, CONTROL, equal_var=False)
    se = math.sqrt(
        statistics.variance(TREATMENT) / len(TREATMENT)
        + statistics.variance(CONTROL) / len(CONTROL)
    )
    half = stats.t.ppf(0.975, welch.df) * se
    effect = statistics.mean(TREATMENT) - statistics.mean(CONTROL)
    assert result["test"] == "welch_t"
    assert result["effect"] == pytest.approx(effect)
    assert result["p_value"] == pytest.approx(welch.pvalue)
    assert result["df"] == pytest.approx(welch.df)
    assert (result["ci_low"], result["ci_high"]) == (
        pytest.approx(effect - half),
        pytest.approx(effect + half),
    )
    # A faster quote (lower is better, negative sign) is expected to raise the basket: refuted.
    assert result["expected_effect"] == "positive"
    assert result["verdict"] == "refuted"
    assert result["final"] is True
    assert result["control"] == {
        "n": 5,
        "mean": statistics.mean(CONTROL),
        "share": None,
        "denominator": None,
    }
    assert api.get(f"{URL}{answer['id']}/").json() == answer
    hypothesis_answer = api.get(f"/api/v1/hypotheses/{hypothesis}/").json()
    assert hypothesis_answer["experiments"] == [answer]
    assert hypothesis_answer["status"] == "refuted"
    assert hypothesis_answer["status_source"] == "experiment"


def test_a_ratio_experiment_matches_a_two_proportion_example_worked_by_hand(api, hypothesis):
    response = api.post(
        URL, body(hypothesis, indicator="conversion", expected_effect="positive"), format="json"
    )
    result = strict_json(response)["result"]
    assert response.status_code == 201
    # control 30/100, treatment 45/100: +15 percentage points.
    pooled = 75 / 200
    z = 0.15 / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    se = math.sqrt(0.30 * 0.70 / 100 + 0.45 * 0.55 / 100)
    half = 100 * stats.norm.ppf(0.975) * se
    assert result["test"] == "two_proportion_z"
    assert result["effect"] == pytest.approx(15.0)
    assert result["p_value"] == pytest.approx(2 * stats.norm.sf(z))
    assert (result["ci_low"], result["ci_high"]) == (
        pytest.approx(15 - half),
        pytest.approx(15 + half),
    )
    assert result["verdict"] == "supported"
    assert result["treatment"]["share"] == pytest.approx(45.0)
    assert result["df"] is None


def test_a_ratio_experiment_with_zero_denominators_answers_a_reason_not_an_error(api, hypothesis):
    response = api.post(URL, body(hypothesis, indicator="empty_ratio"), format="json")

    assert response.status_code == 201, response.content
    result = strict_json(response)["result"]
    assert result["verdict"] is None
    assert result["effect"] is None and result["p_value"] is None
    assert "denominator" in result["reason"]
    # The arms still say how much data they had, and no share of nothing.
    assert result["control"]["denominator"] == 0 and result["control"]["share"] is None
    assert result["treatment"]["denominator"] == 0 and result["treatment"]["share"] is None


def test_an_arm_with_one_value_answers_a_reason(api, hypothesis):
    response = api.post(URL, body(hypothesis, end="2026-01-05"), format="json")
    result = strict_json(response)["result"]
    assert response.status_code == 201
    assert result["verdict"] is None and "at least 2" in result["reason"]


def test_final_reflects_today_not_the_stored_flag(api, hypothesis):
    past = api.post(URL, body(hypothesis), format="json").json()
    running = api.post(URL, body(hypothesis, end="2099-12-31"), format="json").json()
    assert past["result"]["final"] is True
    assert running["result"]["final"] is False
    # A stored result computed before the end passed still says final: false.
    stored = Experiment.objects.get(pk=past["id"])
    Experiment.objects.filter(pk=past["id"]).update(result={**stored.result, "final": False})

    assert api.get(f"{URL}{past['id']}/").json()["result"]["final"] is True
    listed = {row["id"]: row for row in api.get(URL).json()["results"]}
    assert listed[past["id"]]["result"]["final"] is True
    assert listed[running["id"]]["result"]["final"] is False


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"control": "nobody"}, "control"),
        ({"treatment": "nobody"}, "treatment"),
        ({"treatment": "control"}, "treatment"),
        ({"end": "2025-12-31"}, "end"),
        ({"start": "20260101"}, "start"),
        ({"end": "2026-W05-1"}, "end"),
        ({"arm_dimension": "region"}, "arm_dimension"),
        ({"indicator": "no_such"}, "indicator"),
        ({"hypothesis": 999999}, "hypothesis"),
        ({"hypothesis": "1"}, "hypothesis"),
        ({"planned_n_per_arm": 1}, "planned_n_per_arm"),
        ({"planned_n_per_arm": True}, "planned_n_per_arm"),
        ({"expected_effect": "up"}, "expected_effect"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(api, hypothesis, extra, field):
    assert fields_of(api.post(URL, body(hypothesis, **extra), format="json")) == [field]
    assert not Experiment.objects.exists()


def test_another_organisations_hypothesis_and_indicator_are_refused(
    api, other_api, hypothesis, other_organisation
):
    IndicatorFactory(organisation=other_organisation, code="theirs", kind="kpi")
    assert fields_of(api.post(URL, body(hypothesis, indicator="theirs"), format="json")) == [
        "indicator"
    ]
    assert fields_of(other_api.post(URL, body(hypothesis), format="json")) == ["hypothesis"]


def test_patch_changes_the_arms_and_recomputes_delete_removes_it(api, hypothesis):
    pk = api.post(URL, body(hypothesis), format="json").json()["id"]
    patched = api.patch(f"{URL}{pk}/", {"expected_effect": "negative"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["result"]["verdict"] == "supported"
    assert fields_of(api.patch(f"{URL}{pk}/", {"start": "2026-02-15"}, format="json")) == ["end"]
    assert fields_of(api.patch(f"{URL}{pk}/", {"treatment": "control"}, format="json")) == [
        "treatment"
    ]

    assert api.delete(f"{URL}{pk}/").status_code == 204
    assert api.get(f"{URL}{pk}/").status_code == 404
    assert api.get(f"/api/v1/hypotheses/{hypothesis}/").json()["status_source"] != "experiment"


def test_the_list_filters_by_hypothesis_and_verdict(api, hypothesis):
    refuted = api.post(URL, body(hypothesis), format="json").json()["id"]
    empty = api.post(URL, body(hypothesis, indicator="empty_ratio"), format="json").json()["id"]

    def ids(**query):
        response = api.get(URL, query)
        assert response.status_code == 200, response.content
        return sorted(row["id"] for row in response.json()["results"])

    assert ids() == sorted([refuted, empty])
    assert ids(verdict="refuted") == [refuted]
    assert ids(verdict="supported") == []
    assert ids(hypothesis=hypothesis) == sorted([refuted, empty])
    assert ids(hypothesis=hypothesis + 1000) == []
    assert fields_of(api.get(URL, {"verdict": "maybe"})) == ["verdict"]
    assert fields_of(api.get(URL, {"hypothesis": "x"})) == ["hypothesis"]


def test_another_organisations_experiment_is_not_found(api, other_api, hypothesis):
    pk = api.post(URL, body(hypothesis), format="json").json()["id"]
    assert other_api.get(f"{URL}{pk}/").status_code == 404
    assert other_api.patch(f"{URL}{pk}/", {"name": "x"}, format="json").status_code == 404
    assert other_api.delete(f"{URL}{pk}/").status_code == 404
    assert other_api.get(URL).json()["count"] == 0


def test_a_viewer_reads_but_does_not_write(api, client, viewer, hypothesis):
    pk = api.post(URL, body(hypothesis), format="json").json()["id"]
    client.force_login(viewer)
    assert client.get(f"{URL}{pk}/").status_code == 200
    assert client.delete(f"{URL}{pk}/").status_code == 403
    response = client.post(URL, body(hypothesis), content_type="application/json")
    assert response.status_code == 403


def test_the_plan_answers_the_minimum_detectable_effect_of_statsmodels(api, hypothesis):
    response = api.get(
        f"{URL}plan/", {"indicator": "basket", "n_per_arm": "50", "before": "2026-02-01"}
    )

    assert response.status_code == 200, response.content
    plan = strict_json(response)
    sd = statistics.stdev(CONTROL + TREATMENT)
    d = TTestIndPower().solve_power(nobs1=50, alpha=0.05, power=0.8, ratio=1.0)
    assert plan["basis"] == "sd"
    assert plan["sd"] == pytest.approx(sd)
    assert plan["mde"] == pytest.approx(d * sd, rel=1e-6)
    assert (plan["from"], plan["to"], plan["n_per_arm"]) == ("2025-11-03", "2026-01-31", 50)


def test_a_plan_without_history_has_no_mde_and_a_reason(api, hypothesis):
    response = api.get(
        f"{URL}plan/", {"indicator": "basket", "n_per_arm": "50", "before": "2020-01-01"}
    )
    plan = strict_json(response)
    assert response.status_code == 200
    assert plan["mde"] is None and plan["reason"]


def test_the_planned_n_per_arm_gives_the_experiment_a_plan(api, hypothesis):
    answer = api.post(
        URL,
        body(hypothesis, start="2026-02-01", end="2026-02-28", planned_n_per_arm=50),
        format="json",
    ).json()
    assert answer["plan"]["n_per_arm"] == 50 and answer["plan"]["mde"] > 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"n_per_arm": "50"}, "indicator"),
        ({"indicator": "Basket", "n_per_arm": "50"}, "indicator"),
        ({"indicator": "no_such", "n_per_arm": "50"}, "indicator"),
        ({"indicator": "basket"}, "n_per_arm"),
        ({"indicator": "basket", "n_per_arm": "1"}, "n_per_arm"),
        ({"indicator": "basket", "n_per_arm": "2.5"}, "n_per_arm"),
        ({"indicator": "basket", "n_per_arm": "٣"}, "n_per_arm"),
        ({"indicator": "basket", "n_per_arm": "50", "before": "20260201"}, "before"),
        ({"indicator": "basket", "n_per_arm": "50", "before": ""}, "before"),
    ],
)
def test_bad_plan_parameters_are_refused_naming_the_parameter(api, hypothesis, query, field):
    assert fields_of(api.get(f"{URL}plan/", query)) == [field]


def test_the_list_costs_the_same_queries_for_one_experiment_and_for_ten(
    api, hypothesis, django_assert_max_num_queries
):
    api.post(URL, body(hypothesis), format="json")
    with django_assert_max_num_queries(MAX_QUERIES):
        assert api.get(URL).json()["count"] == 1
    for n in range(9):
        api.post(URL, body(hypothesis, name=f"Pilot {n}"), format="json")
    with django_assert_max_num_queries(MAX_QUERIES):
        assert api.get(URL).json()["count"] == 10
    # The hypothesis's answer lists them without a query per experiment.
    with django_assert_max_num_queries(MAX_QUERIES + 2):
        assert len(api.get("/api/v1/hypotheses/").json()["results"][0]["experiments"]) == 10
