"""The CPI evidence figures: plain Plotly dicts that Plotly itself accepts, built from selector
output with no queries."""

from datetime import date
from types import SimpleNamespace

import plotly.graph_objects as go
import pytest

from cpi import charts


def indicator(pk, name, kind="cpi", unit="s"):
    return SimpleNamespace(
        pk=pk,
        name=name,
        code=name.lower().replace(" ", "_"),
        kind=kind,
        unit=unit,
        get_kind_display=lambda: kind.upper(),
    )


def hypothesis(pk, cause, effect, status, lag=1, r=-0.9, n=16):
    return SimpleNamespace(
        pk=pk,
        cause=cause,
        effect=effect,
        cause_id=cause.pk,
        effect_id=effect.pk,
        status=status,
        evidence={"best_lag": lag, "r": r, "n": n, "p_value": 0.001},
    )


def test_the_arrows_figure_draws_one_clickable_arrow_per_hypothesis_coloured_by_status():
    fast, ftr = indicator(1, "Fast Quote"), indicator(2, "First Time Resolution")
    new, retention = indicator(3, "New customers", "kpi"), indicator(4, "Retention", "kpi")
    hypotheses = [
        hypothesis(10, fast, new, "supported"),
        hypothesis(11, ftr, retention, "refuted", lag=0),
        hypothesis(12, fast, retention, "proposed"),
    ]
    fig = charts.arrows_figure(hypotheses, url_of=lambda h: f"/hypotheses/{h.pk}/")
    go.Figure(fig)  # Plotly accepts every property
    lines = [t for t in fig["data"] if t["mode"] == "lines+markers"]
    assert {t["line"]["color"] for t in lines} == {
        charts.STATUS_COLOURS["supported"],
        charts.STATUS_COLOURS["refuted"],
        charts.STATUS_COLOURS["proposed"],
    }
    # every point of an arrow opens its hypothesis; the label in it too
    supported = next(t for t in lines if t["name"] == "supported")
    assert {u for u in supported["customdata"] if u} == {"/hypotheses/10/"}
    labels = [t for t in fig["data"] if t["mode"] == "text"]
    assert sorted(u for t in labels for u in t["customdata"]) == [
        "/hypotheses/10/",
        "/hypotheses/11/",
        "/hypotheses/12/",
    ]
    assert "supported · lag 1" in next(t for t in labels if t["name"] == "supported")["text"]
    heads = [a for a in fig["layout"]["annotations"] if a.get("showarrow")]
    assert len(heads) == 3
    # causes on the left, effects on the right
    names = {t["name"]: t for t in fig["data"] if t["mode"] == "markers+text"}
    assert names["cause"]["x"][0] < names["effect"]["x"][0]
    assert names["cause"]["text"] == ["<b>Fast Quote</b>", "<b>First Time Resolution</b>"]


def test_the_arrows_figure_escapes_names():
    cause, effect = indicator(1, "<script>"), indicator(2, "A & B", "kpi")
    fig = charts.arrows_figure([hypothesis(1, cause, effect, "supported")], url_of=lambda h: "/")
    text = str(fig)
    assert "<script>" not in text and "&lt;script&gt;" in text


SERIES = {
    "cause": {date(2026, 1, 1): 40.0, date(2026, 2, 1): 30.0, date(2026, 3, 1): 20.0},
    "effect": {date(2026, 2, 1): 1600.0, date(2026, 3, 1): 1700.0},
}


def test_the_effect_is_shifted_back_by_the_lag_so_it_lines_up_with_its_cause():
    fig = charts.series_figure(
        series=SERIES,
        period="month",
        lag=1,
        cause=indicator(1, "Fast Quote"),
        effect=indicator(2, "New customers", "kpi", "customers"),
    )
    go.Figure(fig)
    cause, effect = fig["data"][:2]
    assert cause["x"] == ["January 2026", "February 2026", "March 2026"]
    assert cause["y"] == [40.0, 30.0, 20.0]
    # February's customers follow January's quotes: drawn at January, on the right axis
    assert effect["y"] == [1600.0, 1700.0, None]
    assert effect["yaxis"] == "y2"
    assert effect["hovertext"][:2] == ["February 2026", "March 2026"]
    assert fig["layout"]["yaxis2"]["side"] == "right"
    assert len(fig["data"]) == 2  # no forecast asked for, no fan


def test_the_forecast_fan_is_the_stored_points_with_low_and_high_shaded():
    forecast = {
        "points": [{"period_start": "2026-04-01", "value": 1800.0, "low": 1750.0, "high": 1850.0}]
    }
    fig = charts.series_figure(
        series=SERIES,
        period="month",
        lag=1,
        cause=indicator(1, "Fast Quote"),
        effect=indicator(2, "New customers", "kpi", "customers"),
        forecast=forecast,
    )
    go.Figure(fig)
    high, low, value = fig["data"][2:]
    # April's forecast, shifted back a month, sits at March beside the cause's latest value; the
    # fan starts at the last actual value (March's customers, drawn at February)
    assert high["x"] == ["February 2026", "March 2026"] and high["y"] == [1700.0, 1850.0]
    assert low["y"] == [1700.0, 1750.0] and low["fill"] == "tonexty"
    assert value["y"] == [1700.0, 1800.0] and value["line"]["dash"] == "dash"
    assert "April 2026: 1,800 (1,750 to 1,850)" in value["hovertext"]


def lag_rows(p_values, rs):
    return {
        "best_lag": 1,
        "lags": [
            {"lag": k, "n": 14, "r": r, "p_value": p, "reason": None}
            for k, (p, r) in enumerate(zip(p_values, rs, strict=True))
        ],
    }


def test_a_bar_is_significant_only_when_p_times_the_lags_tried_is_below_five_percent():
    # max_lag 3: four lags tried; 0.01 x 4 = 0.04 is significant, 0.02 x 4 = 0.08 is not
    levels = lag_rows([0.02, 0.01, 0.2, 0.0124], [0.5, 0.7, 0.3, 0.6])
    differences = lag_rows([0.5, 0.013, 0.9, 0.6], [0.1, 0.6, 0.0, -0.1])
    fig = charts.lag_figure(evidence=levels, differenced=differences, max_lag=3)
    go.Figure(fig)
    bars_levels, bars_differences = fig["data"]
    assert bars_levels["text"] == ["", "★", "", "★"]
    assert bars_differences["text"] == ["", "", "", ""]  # 0.013 x 4 = 0.052
    assert bars_levels["marker"]["color"][1] == charts.LEVELS_COLOUR
    assert bars_levels["marker"]["color"][0] == charts.QUIET_COLOUR
    assert fig["layout"]["barmode"] == "group"
    assert "n = 14" in bars_levels["hovertext"][0]
    assert "not significant" in bars_levels["hovertext"][0]


def test_a_lag_without_r_says_why_in_its_hover():
    evidence = {
        "best_lag": None,
        "lags": [{"lag": 0, "n": 2, "r": None, "p_value": None, "reason": "not_enough_data"}],
    }
    fig = charts.lag_figure(evidence=evidence, differenced=None, max_lag=0)
    go.Figure(fig)
    assert fig["data"][0]["y"] == [None]
    assert "fewer than 3 periods in common" in fig["data"][0]["hovertext"][0]


def experiment(pk, name, effect, low, high, verdict, final=True, test="welch_t"):
    return SimpleNamespace(
        pk=pk,
        name=name,
        indicator=SimpleNamespace(unit="%"),
        result={
            "test": test,
            "effect": effect,
            "ci_low": low,
            "ci_high": high,
            "p_value": 0.01,
            "verdict": verdict,
            "final": final,
        },
    )


def test_the_forest_plot_draws_each_effect_with_its_interval_around_a_zero_line():
    experiments = [
        experiment(1, "Fast quote pilot", 6.1, 2.0, 10.2, "supported", test="two_proportion_z"),
        experiment(
            2, "Second pilot", 1.0, -3.0, 5.0, "inconclusive", final=False, test="two_proportion_z"
        ),
    ]
    fig = charts.forest_figure(experiments, url_of=lambda e: f"/experiments/{e.pk}/")
    go.Figure(fig)
    supported, provisional = fig["data"]
    assert supported["x"] == [6.1]
    assert supported["error_x"]["array"] == [pytest.approx(4.1)]
    assert supported["error_x"]["arrayminus"] == [pytest.approx(4.1)]
    assert supported["marker"]["color"] == charts.STATUS_COLOURS["supported"]
    assert supported["customdata"] == ["/experiments/1/"]
    assert provisional["marker"]["symbol"] == "diamond-open"
    assert provisional["y"] == ["Second pilot (provisional)"]
    low, high = fig["layout"]["xaxis"]["range"]
    assert low < -3.0 and high > 10.2 and fig["layout"]["xaxis"]["zeroline"]
    assert "percentage points" in fig["layout"]["xaxis"]["title"]["text"]


def test_the_forest_plot_leaves_out_experiments_without_an_effect():
    waiting = SimpleNamespace(pk=3, name="Waiting", indicator=None, result={"effect": None})
    assert charts.forest_figure([waiting]) is None
    assert charts.forest_figure([]) is None


def test_the_columns_are_ordered_so_that_arrows_do_not_cross():
    # by name, A -> Z and B -> Y would cross; ordered by their neighbours they run parallel
    a, b = indicator(1, "A"), indicator(2, "B")
    y, z = indicator(3, "Y", "kpi"), indicator(4, "Z", "kpi")
    causes, effects = charts.arrow_rows(
        [hypothesis(1, a, z, "supported"), hypothesis(2, b, y, "supported")]
    )
    assert effects == {3: 0, 4: 1}
    assert causes == {2: 0, 1: 1}
