"""Scorecard figures: the score trend over the status zones, the strategy map, sparklines.
Pure: built from plain rows, no database."""

from datetime import date
from types import SimpleNamespace

import pytest

from scorecard import charts
from scorecard.selectors import Detail, Row


def test_percent_rounds_a_score_to_a_whole_percentage():
    assert charts.percent(0.726) == "73 %"
    assert charts.percent(1.0) == "100 %"
    assert charts.percent(0.0) == "0 %"
    assert charts.percent(None) == "–"


def test_the_sparkline_has_a_fixed_scale_from_zero_to_one():
    # 0 at the bottom (28 - 3), 1 at the top (3), 0.5 in the middle; None is skipped
    points = charts.sparkline_points([0.0, None, 0.5, 1.0], width=120, height=28)
    assert points == "0.0,25.0 80.0,14.0 120.0,3.0"
    # a flat score is a flat line at its own height, not stretched over the box
    assert charts.sparkline_points([0.8, 0.8]) == "0.0,7.4 120.0,7.4"
    assert charts.sparkline_points([None, None]) == ""


def test_scores_outside_zero_to_one_stay_inside_the_sparkline():
    assert charts.sparkline_points([1.4, -0.2]) == "0.0,3.0 120.0,25.0"


def test_the_trend_colours_each_point_by_its_status_at_the_scorecards_thresholds():
    history = [(date(2026, 1, 1), 0.95), (date(2026, 2, 1), 0.7), (date(2026, 3, 1), 0.4)]
    figure = charts.score_trend_figure(
        history=history, period="month", on_track_from=0.9, at_risk_from=0.6
    )
    (trace,) = figure["data"]
    assert trace["y"] == [95.0, 70.0, 40.0]
    assert trace["marker"]["color"] == [
        charts.STATUS_COLOURS["on_track"],
        charts.STATUS_COLOURS["at_risk"],
        charts.STATUS_COLOURS["off_track"],
    ]
    assert trace["hovertext"] == ["on track", "at risk", "off track"]
    zones = [(s["y0"], s["y1"]) for s in figure["layout"]["shapes"]]
    assert zones == [(0, 60.0), (60.0, 90.0), (90.0, 100.0)]


def test_other_thresholds_move_the_zones_and_the_colours():
    figure = charts.score_trend_figure(
        history=[(date(2026, 1, 1), 0.75)], period="month", on_track_from=0.7, at_risk_from=0.5
    )
    assert figure["data"][0]["marker"]["color"] == [charts.STATUS_COLOURS["on_track"]]
    assert [(s["y0"], s["y1"]) for s in figure["layout"]["shapes"]] == [
        (0, 50.0),
        (50.0, 70.0),
        (70.0, 100.0),
    ]


def _objective(pk, title, status, score, voice=""):
    indicator = SimpleNamespace(name=f"Indicator {pk}")
    measure = Row(SimpleNamespace(pk=pk * 10, indicator=indicator), score, None, status)
    return Row(SimpleNamespace(pk=pk, title=title, voice=voice), score, None, status, [measure])


def _detail(rows, links):
    perspectives = [
        Row(
            SimpleNamespace(pk=i, display_label=label, kind=label.lower()),
            None,
            None,
            "no_data",
            objectives,
        )
        for i, (label, objectives) in enumerate(rows, start=1)
    ]
    return Detail(
        scorecard=None,
        period_start=date(2026, 3, 1),
        previous_start=date(2026, 2, 1),
        total=Row(None, None, None, "no_data"),
        perspectives=perspectives,
        links=links,
        maturity=None,
        customer_centricity={"cpi": 0, "kpi": 0},
        warnings=[],
        initiatives={},
    )


@pytest.fixture
def detail():
    return _detail(
        [
            ("Financial", [_objective(1, "Premium grows", "on_track", 0.95)]),
            (
                "Customer",
                [
                    _objective(2, "A price on the page", "at_risk", 0.7, voice="I get a price"),
                    _objective(3, "Solved first time", "off_track", 0.3),
                ],
            ),
            ("Internal process", [_objective(4, "Engine up", "no_data", None)]),
        ],
        [(2, 1), (3, 1), (4, 2), (4, 3)],
    )


def test_the_map_puts_each_perspective_on_its_own_row_top_first(detail):
    figure = charts.strategy_map_figure(detail, url_pattern="/o/{}/")
    where = {}
    for trace in figure["data"]:
        if trace["mode"] == "text":
            for url, x, y in zip(trace["customdata"], trace["x"], trace["y"], strict=True):
                where[url] = (x, y)
    assert {url: y for url, (x, y) in where.items()} == {
        "/o/1/": 0.5,
        "/o/2/": 1.5,
        "/o/3/": 1.5,
        "/o/4/": 2.5,
    }
    # the row of one objective is centred under the row of two
    assert where["/o/1/"][0] == where["/o/4/"][0] == pytest.approx(1.0)
    assert figure["layout"]["yaxis"]["range"] == [3, 0]


def test_the_map_colours_objectives_by_status_and_draws_one_arrow_per_link(detail):
    figure = charts.strategy_map_figure(detail, url_pattern="/o/{}/")
    boxes = [s for s in figure["layout"]["shapes"] if s.get("xref") != "paper"]
    assert sorted(s["line"]["color"] for s in boxes) == sorted(
        charts.STATUS_COLOURS[s] for s in ("on_track", "at_risk", "off_track", "no_data")
    )
    arrows = [a for a in figure["layout"]["annotations"] if a.get("showarrow")]
    assert len(arrows) == 4
    # every link here goes from a lower row to a higher one: each arrow points up the map
    up = [a for a in arrows if a["ay"] > a["y"]]
    assert len(up) == 4


def test_the_map_hover_names_the_voice_the_score_and_the_measures(detail):
    figure = charts.strategy_map_figure(detail, url_pattern="/o/{}/")
    texts = {
        url: hover
        for trace in figure["data"]
        if trace["mode"] == "text"
        for url, hover in zip(trace["customdata"], trace["hovertext"], strict=True)
    }
    assert "<i>“I get a price”</i>" in texts["/o/2/"]
    assert "Score 70 % · at risk" in texts["/o/2/"]
    assert "• Indicator 2: 70 %" in texts["/o/2/"]
    assert "Click to open" in texts["/o/2/"]


def test_a_title_is_escaped_on_the_map():
    detail = _detail([("Customer", [_objective(1, "<b>Bold</b> & more", "no_data", None)])], [])
    figure = charts.strategy_map_figure(detail, url_pattern="/o/{}/")
    text = next(t for t in figure["data"] if t["mode"] == "text")["text"][0]
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; more" in text


def test_a_long_trend_names_at_most_six_periods_the_latest_always():
    history = [(date(2025, m, 1), 0.5) for m in range(1, 13)]
    figure = charts.score_trend_figure(
        history=history, period="month", on_track_from=0.9, at_risk_from=0.6
    )
    axis = figure["layout"]["xaxis"]
    assert len(axis["tickvals"]) == 6
    assert axis["tickvals"][-1] == figure["data"][0]["x"][-1]
