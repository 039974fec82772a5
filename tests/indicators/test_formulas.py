"""Formula indicators: computed from other indicators of the same period, never from raw data."""

import pytest

from indicators.models import Indicator, PeriodValue
from tests.factories import IndicatorFactory, push, values

URL = "/api/v1/indicators/"


def formula(code: str, expression: str, **extra) -> dict:
    return {
        "code": code,
        "name": code.title(),
        "unit": "%",
        "kind": "kpi",
        "direction": "higher_is_better",
        "period": "month",
        "formula": expression,
        **extra,
    }


@pytest.fixture
def inputs(organisation):
    for code in ("won", "sent"):
        IndicatorFactory(
            organisation=organisation,
            code=code,
            aggregation="sum",
            direction="higher_is_better",
            unit="quotes",
        )


def by_month(api, code, **query) -> dict:
    return {r["period_start"]: r["value"] for r in values(api, code, **query)["results"]}


@pytest.mark.django_db(transaction=True)
def test_win_rate_is_100_times_won_over_sent_per_month(api, inputs):
    assert api.post(URL, formula("win_rate", "100 * won / sent"), format="json").status_code == 201
    push(
        api,
        [
            {"indicator": "sent", "observed_at": "2026-03-02", "value": 30},
            {"indicator": "sent", "observed_at": "2026-03-20", "value": 10},
            {"indicator": "won", "observed_at": "2026-03-05", "value": 3},
            {"indicator": "won", "observed_at": "2026-03-25", "value": 7},
            {"indicator": "sent", "observed_at": "2026-04-01", "value": 8},
            {"indicator": "won", "observed_at": "2026-04-30", "value": 2},
        ],
    )
    # March: won 3 + 7 = 10 of sent 30 + 10 = 40 -> 25 %; April: 2 of 8 -> 25 %
    assert by_month(api, "win_rate") == {"2026-03-01": 25.0, "2026-04-01": 25.0}
    # the same formula at other granularities, over the summed inputs of that period
    assert by_month(api, "win_rate", period="quarter") == {"2026-01-01": 25.0, "2026-04-01": 25.0}
    assert by_month(api, "win_rate", period="year") == {"2026-01-01": 100 * 12 / 48}


@pytest.mark.django_db(transaction=True)
def test_a_missing_input_gives_no_value_not_zero(api, inputs):
    api.post(URL, formula("win_rate", "100 * won / sent"), format="json")
    push(
        api,
        [
            {"indicator": "sent", "observed_at": "2026-03-02", "value": 40},
            {"indicator": "won", "observed_at": "2026-03-05", "value": 10},
            {"indicator": "sent", "observed_at": "2026-04-02", "value": 40},  # no `won` in April
        ],
    )
    assert by_month(api, "win_rate") == {"2026-03-01": 25.0}


@pytest.mark.django_db(transaction=True)
def test_division_by_zero_gives_no_value(api, inputs):
    api.post(URL, formula("win_rate", "100 * won / sent"), format="json")
    push(
        api,
        [
            {"indicator": "sent", "observed_at": "2026-03-02", "value": 0},
            {"indicator": "won", "observed_at": "2026-03-05", "value": 0},
        ],
    )
    assert by_month(api, "win_rate") == {}


@pytest.mark.django_db(transaction=True)
def test_a_formula_created_after_its_inputs_have_data_is_computed_at_once(api, inputs):
    push(
        api,
        [
            {"indicator": "sent", "observed_at": "2026-03-02", "value": 20},
            {"indicator": "won", "observed_at": "2026-03-05", "value": 5},
        ],
    )
    api.post(URL, formula("win_rate", "100 * won / sent"), format="json")
    assert by_month(api, "win_rate") == {"2026-03-01": 25.0}


@pytest.mark.django_db(transaction=True)
def test_changing_an_input_measurement_updates_the_formula(api, inputs):
    api.post(URL, formula("win_rate", "100 * won / sent"), format="json")
    api.post(URL, formula("loss_rate", "100 - win_rate"), format="json")
    batch = [
        {"indicator": "sent", "observed_at": "2026-03-02", "value": 40},
        {"indicator": "won", "observed_at": "2026-03-05", "value": 10},
    ]
    push(api, batch)
    assert by_month(api, "loss_rate") == {"2026-03-01": 75.0}
    batch[1] = {**batch[1], "value": 30}
    assert push(api, batch).json() == {"created": 0, "updated": 1, "unchanged": 1}
    assert by_month(api, "win_rate") == {"2026-03-01": 75.0}
    assert by_month(api, "loss_rate") == {"2026-03-01": 25.0}  # a formula over a formula


@pytest.mark.django_db(transaction=True)
def test_formulas_follow_segments_of_their_inputs(api, inputs):
    api.post(URL, formula("win_rate", "100 * won / sent"), format="json")
    push(
        api,
        [
            {
                "indicator": "sent",
                "observed_at": "2026-03-02",
                "value": 10,
                "segment": {"ch": "web"},
            },
            {
                "indicator": "sent",
                "observed_at": "2026-03-02",
                "value": 30,
                "segment": {"ch": "tel"},
            },
            {"indicator": "won", "observed_at": "2026-03-05", "value": 5, "segment": {"ch": "web"}},
            {"indicator": "won", "observed_at": "2026-03-05", "value": 3, "segment": {"ch": "tel"}},
        ],
    )
    assert by_month(api, "win_rate", segment="ch:web") == {"2026-03-01": 50.0}
    assert by_month(api, "win_rate", segment="ch:tel") == {"2026-03-01": 10.0}
    assert by_month(api, "win_rate") == {"2026-03-01": 100 * 8 / 40}


@pytest.mark.django_db
def test_a_formula_needs_no_aggregation(api, inputs):
    response = api.post(URL, formula("win_rate", "100 * won / sent"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["formula"] == "100 * won / sent"
    assert response.json()["aggregation"] is None


def formula_errors(response) -> list[str]:
    assert response.status_code == 400, response.content
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.django_db
def test_a_formula_referring_to_itself_is_refused(api, inputs):
    response = api.post(URL, formula("win_rate", "100 * won / win_rate"), format="json")
    assert formula_errors(response) == ["formula"]
    assert not Indicator.objects.filter(code="win_rate").exists()


@pytest.mark.django_db
def test_a_cycle_through_other_formulas_is_refused_when_saved(api, inputs):
    api.post(URL, formula("a_rate", "won + 1"), format="json")
    api.post(URL, formula("b_rate", "a_rate * 2"), format="json")
    response = api.patch(f"{URL}a_rate/", {"formula": "b_rate - 1"}, format="json")
    assert formula_errors(response) == ["formula"]
    assert "cycle" in response.json()["errors"][0]["message"]
    assert Indicator.objects.get(code="a_rate").formula == "won + 1"


@pytest.mark.django_db
def test_an_unknown_input_code_is_refused(api, inputs):
    response = api.post(URL, formula("win_rate", "100 * won / snet"), format="json")
    assert formula_errors(response) == ["formula"]
    assert "snet" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_another_organisations_indicator_is_an_unknown_input(api, other_organisation):
    IndicatorFactory(organisation=other_organisation, code="their_sales", aggregation="sum")
    response = api.post(URL, formula("copy", "their_sales * 1"), format="json")
    assert formula_errors(response) == ["formula"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('true')",
        "won.real",
        "won if sent else 1",
        "won ** sent",
        "100 *",
        "[won]",
    ],
)
def test_an_expression_outside_the_safe_grammar_is_refused(api, inputs, expression):
    assert formula_errors(api.post(URL, formula("bad", expression), format="json")) == ["formula"]


@pytest.mark.django_db(transaction=True)
def test_a_formula_keeps_no_value_for_a_period_that_lost_an_input(api, inputs):
    api.post(URL, formula("win_rate", "100 * won / sent"), format="json")
    batch = [
        {"indicator": "sent", "observed_at": "2026-03-02", "value": 40, "key": "s"},
        {"indicator": "won", "observed_at": "2026-03-05", "value": 10, "key": "w"},
    ]
    push(api, batch)
    # the `won` measurement moves to April: March loses its input, April has no `sent`
    batch[1] = {**batch[1], "observed_at": "2026-04-05"}
    push(api, batch)
    assert by_month(api, "win_rate") == {}
    assert not PeriodValue.objects.filter(indicator__code="win_rate", period="month").exists()
    # the year still holds both inputs
    assert by_month(api, "win_rate", period="year") == {"2026-01-01": 25.0}
