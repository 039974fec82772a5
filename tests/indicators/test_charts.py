"""Figures built as plain dicts draw the same pictures as the go.Figure code they replaced."""

import json
from datetime import date
from itertools import groupby

import plotly.graph_objects as go
import pytest
from django.utils import translation

from indicators import charts

MONTHS = [date(2025, m, 1).isoformat() for m in range(1, 13)] + ["2026-01-01", "2026-02-01"]


SIGNALS = {5: "above_limit", 8: "run_below", 11: "two_of_three_above"}
COMMENTS = [
    {"period_start": "2025-02-01", "text": "Web shop down <2 days>", "author": "ann"},
    {"period_start": "2025-02-01", "text": "and a strike", "author": "bo"},
    {"period_start": "2025-07-15", "text": "inside July", "author": None},
    {"period_start": "2024-12-01", "text": "before the chart", "author": "ann"},
]


def results(
    *, band: str = "both", target: bool = True, benchmark: bool = False, limits: bool = False
) -> list[dict]:
    rows = []
    for n, start in enumerate(MONTHS):
        value = None if n == 3 else 40.0 + 5 * n - (n % 3) * 7.5
        row = {
            "period_start": start,
            "value": value,
            "target": 60.0 if target and n > 1 else None,
            "band_low": 30.0 if band in ("both", "low") else None,
            "band_high": 70.0 if band in ("both", "high") else None,
            "assessment": [None, "worse", "expected", "better"][n % 4],
            "benchmark": 55.5 if benchmark else None,
        }
        if limits:  # two phases: a step at the seventh month, as after "recalculate from here"
            centre = 45.0 if n < 6 else 62.0
            row |= {
                "centre": centre,
                "lower_limit": centre - 12.5,
                "upper_limit": centre + 12.5,
                "signal": SIGNALS.get(n),
            }
        rows.append(row)
    return rows


# -- the go.Figure version, as it was before figures became dicts ---------------------------------


def plotly_band_traces(x, rows):
    low, high = [r.get("band_low") for r in rows], [r.get("band_high") for r in rows]
    has_low = any(v is not None for v in low)
    has_high = any(v is not None for v in high)
    line = {"width": 0, "shape": "hv"}
    if has_low and has_high:
        return [
            go.Scatter(x=x, y=high, mode="lines", line=line, hoverinfo="skip", showlegend=False),
            go.Scatter(
                x=x,
                y=low,
                mode="lines",
                line=line,
                fill="tonexty",
                fillcolor=charts.BAND_FILL,
                name="Tolerance band",
                hoverinfo="skip",
            ),
        ]
    if has_low or has_high:
        return [
            go.Scatter(
                x=x,
                y=low if has_low else high,
                mode="lines",
                name="Tolerance band",
                hoverinfo="skip",
                line={"color": "rgba(46, 125, 50, 0.6)", "width": 6, "shape": "hv"},
            )
        ]
    return []


def plotly_limit_traces(x, rows):
    """One stretch per run of equal centres (the phases of results(limits=True))."""
    if not any(r.get("centre") is not None for r in rows):
        return []
    traces, start = [], 0
    for n, (_centre, group) in enumerate(groupby(rows, key=lambda r: r["centre"])):
        end = start + len(list(group))
        part, stretch, start = rows[start:end], (start, end), end
        for field, name, group, label in (
            ("upper_limit", "Natural process limits", "limits", "upper limit"),
            ("lower_limit", "Natural process limits", "limits", "lower limit"),
            ("centre", "Centre line", "centre", "centre line"),
        ):
            traces.append(
                go.Scatter(
                    x=x[stretch[0] : stretch[1]],
                    y=[r[field] for r in part],
                    mode="lines",
                    name=name,
                    legendgroup=group,
                    showlegend=n == 0 and field != "lower_limit",
                    line={"color": charts.LIMIT_COLOUR, "width": 1.2, "dash": "longdash"}
                    if group == "limits"
                    else {"color": charts.CENTRE_COLOUR, "width": 1},
                    hovertemplate=f"{label}: %{{y:.4g}}<extra></extra>",
                )
            )
    return traces


WORDS = {
    "above_limit": "beyond the upper limit",
    "run_below": "8 in a row below the centre",
    "two_of_three_above": "2 of 3 beyond 2 sigma above the centre",
}


def plotly_signal_traces(x, rows):
    marked = [(label, r) for label, r in zip(x, rows, strict=True) if r.get("signal")]
    if not marked:
        return []
    return [
        go.Scatter(
            x=[label for label, _ in marked],
            y=[r["value"] for _, r in marked],
            mode="markers",
            name="Signal (not noise)",
            marker={"symbol": "circle-open", "size": 15, "color": charts.SIGNAL_COLOUR},
            marker_line_width=1.5,
            hoverinfo="skip",
        )
    ]


def plotly_value_hover(rows, unit):
    if not any(r.get("signal") for r in rows):
        return {"hovertemplate": f"%{{x}}: %{{y}} {unit}<extra></extra>"}
    return {
        "hovertext": [f"<br>{WORDS[r['signal']]}" if r.get("signal") else "" for r in rows],
        "hovertemplate": f"%{{x}}: %{{y}} {unit}%{{hovertext}}<extra></extra>",
    }


def plotly_comment_traces(x, comments):
    """Worked by hand for COMMENTS on MONTHS: two on February, one inside July, one before."""
    if not comments:
        return []
    return [
        go.Scatter(
            x=[x[1], x[6]],
            y=[0.96, 0.96],
            yaxis="y2",
            mode="markers",
            name="Comment",
            marker={"symbol": "triangle-down", "size": 11, "color": charts.COMMENT_COLOUR},
            hovertext=[
                "<b>ann</b>: Web shop down &lt;2 days&gt;<br><b>bo</b>: and a strike",
                "inside July",
            ],
            hovertemplate="%{x}<br>%{hovertext}<extra></extra>",
        )
    ]


def plotly_indicator_figure(*, values, unit, height=380, comments=None):
    rows, period = values["results"], values["period"]
    x = [charts.period_label(date.fromisoformat(r["period_start"]), period) for r in rows]
    traces = plotly_band_traces(x, rows) + plotly_limit_traces(x, rows)
    for field, name, colour, dash in (
        ("target", "Target", charts.TARGET_COLOUR, "dash"),
        ("benchmark", "Benchmark", charts.BENCHMARK_COLOUR, "dot"),
    ):
        if any(r.get(field) is not None for r in rows):
            traces.append(
                go.Scatter(
                    x=x,
                    y=[r.get(field) for r in rows],
                    mode="lines",
                    name=name,
                    line={"color": colour, "dash": dash, "width": 2, "shape": "hv"},
                )
            )
    colours = [
        charts.ASSESSMENT_COLOURS.get(r.get("assessment") or "", charts.NO_ASSESSMENT_COLOUR)
        for r in rows
    ]
    traces.append(
        go.Scatter(
            x=x,
            y=[r.get("value") for r in rows],
            mode="lines+markers",
            name="Value",
            line={"color": "#9aa7b4", "width": 1.5},
            marker={"color": colours, "size": 9, "line": {"color": "#fff", "width": 1}},
            **plotly_value_hover(rows, unit),
        )
    )
    traces += plotly_signal_traces(x, rows) + plotly_comment_traces(x, comments)
    fig = go.Figure(data=traces)
    fig.update_layout(
        height=height,
        margin={"l": 50, "r": 10, "t": 10, "b": 40},
        paper_bgcolor="#fff",
        plot_bgcolor="#fff",
        font={"family": charts.FONT, "size": 12},
        separators=charts.number_separators(),
        legend={"orientation": "h", "y": -0.18},
        xaxis={"type": "category", "showgrid": False, "automargin": True, **charts._ticks(x)},
        yaxis={"gridcolor": "#e6eaef", "title": {"text": unit}, "zeroline": False},
        hovermode="closest",
    )
    if comments:
        fig.update_layout(
            yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
        )
    return fig


def plotly_small_figure(*, results, period):
    fig = plotly_indicator_figure(
        values={"results": results, "period": period}, unit="", height=120
    )
    fig.update_layout(
        showlegend=False,
        margin={"l": 34, "r": 6, "t": 4, "b": 4},
        xaxis={"visible": False},
        yaxis={"title": None, "nticks": 3},
    )
    fig.update_traces(marker={"size": 6})
    fig.update_traces(marker={"size": 9}, selector={"name": "Signal (not noise)"})
    return fig


def drawn(figure_json: str) -> dict:
    """What charts.js hands to Plotly: the JSON in the page, parsed."""
    return json.loads(figure_json)


SHAPES = [
    {"band": "both", "target": True, "benchmark": False},
    {"band": "low", "target": False, "benchmark": True},
    {"band": "high", "target": True, "benchmark": True},
    {"band": "none", "target": False, "benchmark": False},
    {"band": "both", "target": True, "benchmark": True, "limits": True},
    {"band": "none", "target": False, "benchmark": False, "limits": True},
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("period", ["month", "week"])
def test_small_figure_dict_equals_the_go_figure_version(shape, period):
    rows = results(**shape)[-12:]
    ours = drawn(charts.figure_json(charts.small_figure(results=rows, period=period)))
    reference = json.loads(plotly_small_figure(results=rows, period=period).to_json())
    assert ours == reference


@pytest.mark.parametrize("shape", SHAPES)
def test_indicator_figure_dict_equals_the_go_figure_version(shape):
    values = {"results": results(**shape), "period": "month"}
    ours = drawn(charts.figure_json(charts.indicator_figure(values=values, unit="s")))
    reference = json.loads(plotly_indicator_figure(values=values, unit="s").to_json())
    assert ours == reference
    assert ours["layout"]["xaxis"]["tickmode"] == "array"  # 14 periods: at most 6 labels


@pytest.mark.parametrize("shape", SHAPES[-2:])
def test_comments_are_drawn_as_markers_like_the_go_figure_version(shape):
    values = {"results": results(**shape), "period": "month"}
    ours = drawn(
        charts.figure_json(charts.indicator_figure(values=values, unit="s", comments=COMMENTS))
    )
    reference = plotly_indicator_figure(values=values, unit="s", comments=COMMENTS)
    assert ours == json.loads(reference.to_json())


def test_limits_step_where_the_phase_changes_and_signals_name_their_rule():
    values = {"results": results(limits=True), "period": "month"}
    data = charts.indicator_figure(values=values, unit="s")["data"]
    uppers = [t for t in data if t.get("hovertemplate", "").startswith("upper limit")]
    assert [(t["x"][0], t["x"][-1], set(t["y"])) for t in uppers] == [
        ("January 2025", "June 2025", {57.5}),
        ("July 2025", "February 2026", {74.5}),
    ]
    centres = [t for t in data if t.get("name") == "Centre line"]
    assert [set(t["y"]) for t in centres] == [{45.0}, {62.0}]
    assert [t["showlegend"] for t in centres] == [True, False]  # one legend entry
    [rings] = [t for t in data if t.get("name") == "Signal (not noise)"]
    assert rings["x"] == ["June 2025", "September 2025", "December 2025"]
    [value] = [t for t in data if t.get("name") == "Value"]
    assert [value["hovertext"][n] for n in (4, 5, 8, 11)] == [
        "",
        "<br>beyond the upper limit",
        "<br>8 in a row below the centre",
        "<br>2 of 3 beyond 2 sigma above the centre",
    ]
    # the limit lines are drawn under the target and the values, the rings over the values
    names = [t.get("name") for t in charts.indicator_figure(values=values, unit="s")["data"]]
    assert names.index("Centre line") < names.index("Target") < names.index("Value")
    assert names.index("Value") < names.index("Signal (not noise)")


def test_a_series_without_limits_draws_no_limit_lines_and_no_rings():
    values = {"results": results(), "period": "month"}
    names = {t.get("name") for t in charts.indicator_figure(values=values, unit="s")["data"]}
    assert names.isdisjoint({"Natural process limits", "Centre line", "Signal (not noise)"})


def test_figures_follow_the_active_language():
    with translation.override("fi"):
        values = {"results": results(), "period": "month"}
        ours = drawn(charts.figure_json(charts.indicator_figure(values=values, unit="%")))
        reference = json.loads(plotly_indicator_figure(values=values, unit="%").to_json())
    assert ours["layout"]["separators"] == reference["layout"]["separators"] == ",\u00a0"
    assert ours["data"][-1]["x"] == reference["data"][-1]["x"]


def test_figure_json_escapes_html_inside_the_script_element():
    text = charts.figure_json({"data": [], "layout": {"title": {"text": "</script><b>&"}}})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["layout"]["title"]["text"] == "</script><b>&"
