"""Plotly figures and sparklines built from selector output. No queries here.

Figures are plain dicts in Plotly's figure format; they travel to the page as JSON
(`figure_json`) and are drawn by static/js/charts.js.
"""

from datetime import date
from functools import cache, lru_cache
from html import escape

import msgspec
import plotly.graph_objects as go
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_lazy

from .compute.periods import period_start

ASSESSMENT_COLOURS = {"better": "#2e7d32", "expected": "#5b6b7b", "worse": "#c62828"}
NO_ASSESSMENT_COLOUR = "#1f5fa8"
BAND_FILL = "rgba(46, 125, 50, 0.12)"
TARGET_COLOUR = "#b26a00"
BENCHMARK_COLOUR = "#6a4fa3"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
# Signal vs noise: quiet grey lines under the band's green, a dark ring around a signal.
LIMIT_COLOUR = "#8a96a3"
CENTRE_COLOUR = "#8a96a3"
SIGNAL_COLOUR = "#1b1f24"
COMMENT_COLOUR = "#1f5fa8"
SIGNAL_WORDS = {
    "above_limit": gettext_lazy("beyond the upper limit"),
    "below_limit": gettext_lazy("beyond the lower limit"),
    "run_above": gettext_lazy("8 in a row above the centre"),
    "run_below": gettext_lazy("8 in a row below the centre"),
    "two_of_three_above": gettext_lazy("2 of 3 beyond 2 sigma above the centre"),
    "two_of_three_below": gettext_lazy("2 of 3 beyond 2 sigma below the centre"),
}


def period_label(start: date, period: str) -> str:
    """A period's name in the active language: a date, a week, a month, a quarter or a year."""
    return _period_label(start, period, get_language())


@lru_cache(maxsize=8192)
def _period_label(start: date, period: str, language: str | None) -> str:
    # Cached by language: a dashboard names ~150 periods, and date formatting is slow.
    if period == "day":
        return formats.date_format(start, "SHORT_DATE_FORMAT")
    if period == "week":
        year, week, _weekday = start.isocalendar()
        return gettext("week %(week)s, %(year)s") % {"week": week, "year": year}
    if period == "month":
        return formats.date_format(start, "YEAR_MONTH_FORMAT")
    if period == "quarter":
        return gettext("Q%(quarter)s %(year)s") % {
            "quarter": (start.month - 1) // 3 + 1,
            "year": start.year,
        }
    return str(start.year)


def number_separators() -> str:
    """Plotly's `separators` (decimal, thousands) for the active language."""
    decimal = formats.get_format("DECIMAL_SEPARATOR", get_language())
    thousands = formats.get_format("THOUSAND_SEPARATOR", get_language())
    return f"{decimal}{thousands or ' '}"


def figure_json(fig: dict) -> SafeString:
    """The figure as JSON that is safe inside a <script type="application/json"> element."""
    text = msgspec.json.encode(fig).decode()  # a non-finite float becomes null, as in Plotly
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return mark_safe(text)  # noqa: S308 - HTML-significant characters are escaped above


@cache
def plotly_template() -> dict:
    """Plotly's default template, resolved and validated once by go.Figure (read-only)."""
    return go.Figure().to_plotly_json()["layout"]["template"]


def base_layout(**properties) -> dict:
    """The layout every figure of the app starts from: the template, white paper and plot, the
    app's font, the active language's number separators and left-aligned white hover labels."""
    return {
        "template": plotly_template(),
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
        "font": {"family": FONT, "size": 12},
        "separators": number_separators(),
        "hoverlabel": {"align": "left", "bgcolor": "#fff", "font": {"color": "#1d2733"}},
        **properties,
    }


def _colours(results: list[dict]) -> list[str]:
    return [
        ASSESSMENT_COLOURS.get(r.get("assessment") or "", NO_ASSESSMENT_COLOUR) for r in results
    ]


def _series(results: list[dict], name: str) -> list[float | None]:
    return [r.get(name) for r in results]


def _has(results: list[dict], name: str) -> bool:
    return any(r.get(name) is not None for r in results)


def _scatter(**properties) -> dict:
    return {"type": "scatter", **properties}


def _band_traces(x: list[str], results: list[dict]) -> list[dict]:
    low, high = _series(results, "band_low"), _series(results, "band_high")
    has_low, has_high = _has(results, "band_low"), _has(results, "band_high")
    name = gettext("Tolerance band")
    line = {"width": 0, "shape": "hv"}
    if has_low and has_high:
        return [
            _scatter(x=x, y=high, mode="lines", line=line, hoverinfo="skip", showlegend=False),
            _scatter(
                x=x,
                y=low,
                mode="lines",
                line=line,
                fill="tonexty",
                fillcolor=BAND_FILL,
                name=name,
                hoverinfo="skip",
            ),
        ]
    if has_low or has_high:
        edge = low if has_low else high
        return [
            _scatter(
                x=x,
                y=edge,
                mode="lines",
                name=name,
                hoverinfo="skip",
                line={"color": "rgba(46, 125, 50, 0.6)", "width": 6, "shape": "hv"},
            )
        ]
    return []


def _phases(results: list[dict]) -> list[tuple[int, int]]:
    """[start, end) of each stretch of rows with the same limits (rows without limits skipped)."""
    keys = [(r.get("centre"), r.get("lower_limit"), r.get("upper_limit")) for r in results]
    stretches, start = [], 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            if keys[start][0] is not None:
                stretches.append((start, i))
            start = i
    return stretches


def _limit_traces(x: list[str], results: list[dict]) -> list[dict]:
    """Centre line and natural process limits, one flat stretch per phase: a recalculation
    shows as a step with a gap, as on a hand-drawn XmR chart."""
    limit_line = {"color": LIMIT_COLOUR, "width": 1.2, "dash": "longdash"}
    lines = (
        ("upper_limit", gettext("Natural process limits"), "limits", gettext("upper limit")),
        ("lower_limit", gettext("Natural process limits"), "limits", gettext("lower limit")),
        ("centre", gettext("Centre line"), "centre", gettext("centre line")),
    )
    traces = []
    for n, (start, end) in enumerate(_phases(results)):
        for field, name, group, label in lines:
            traces.append(
                _scatter(
                    x=x[start:end],
                    y=[r[field] for r in results[start:end]],
                    mode="lines",
                    name=name,
                    legendgroup=group,
                    showlegend=n == 0 and field != "lower_limit",
                    line=limit_line if group == "limits" else {"color": CENTRE_COLOUR, "width": 1},
                    hovertemplate=f"{label}: %{{y:.4g}}<extra></extra>",
                )
            )
    return traces


def _value_hover(results: list[dict], unit: str) -> dict:
    """The value's hover; with signals in the series, the rule that fired in plain words (the
    value's own hover, as Plotly shows one of two points drawn on the same spot)."""
    template = f"%{{x}}: %{{y}} {unit}<extra></extra>"
    if not _has(results, "signal"):
        return {"hovertemplate": template}
    words = [SIGNAL_WORDS.get(r.get("signal") or "") for r in results]
    return {
        "hovertext": [f"<br>{text}" if text else "" for text in words],
        "hovertemplate": template.replace("<extra>", "%{hovertext}<extra>"),
    }


def _signal_trace(x: list[str], results: list[dict]) -> list[dict]:
    """A ring around each signal (the value's hover names the rule)."""
    points = [(label, r) for label, r in zip(x, results, strict=True) if r.get("signal")]
    if not points:
        return []
    return [
        _scatter(
            x=[label for label, _ in points],
            y=[r["value"] for _, r in points],
            mode="markers",
            name=gettext("Signal (not noise)"),
            marker={
                "symbol": "circle-open",
                "size": 15,
                "color": SIGNAL_COLOUR,
                "line": {"width": 1.5},
            },
            hoverinfo="skip",
        )
    ]


def _comment_trace(x: list[str], results: list[dict], period: str, comments: list) -> list[dict]:
    """A marker at the top of each commented period (on a 0..1 overlay axis), texts on hover; a
    comment counts for the shown period its `period_start` falls in."""
    index_of = {r["period_start"]: i for i, r in enumerate(results)}
    texts: dict[int, list[str]] = {}
    for comment in comments:
        day = comment["period_start"]
        day = date.fromisoformat(day) if isinstance(day, str) else day
        index = index_of.get(period_start(day, period).isoformat())
        if index is None:
            continue
        author = escape(str(comment.get("author") or ""))
        text = escape(str(comment["text"]))
        texts.setdefault(index, []).append(f"<b>{author}</b>: {text}" if author else text)
    if not texts:
        return []
    indices = sorted(texts)
    return [
        _scatter(
            x=[x[i] for i in indices],
            y=[0.96] * len(indices),
            yaxis="y2",
            mode="markers",
            name=gettext("Comment"),
            marker={"symbol": "triangle-down", "size": 11, "color": COMMENT_COLOUR},
            hovertext=["<br>".join(texts[i]) for i in indices],
            hovertemplate="%{x}<br>%{hovertext}<extra></extra>",
        )
    ]


def indicator_figure(
    *, values: dict, unit: str, height: int = 380, comments: list[dict] | None = None
) -> dict:
    """Period values with the band shaded, the natural process limits and centre line (a step per
    phase), the target, the benchmark, points by assessment, a ring around each signal and a
    marker at the top of each commented period.

    `values` is the answer of `selectors.indicator_values` (rows with `centre`, `lower_limit`,
    `upper_limit`, `signal`: optional); `comments` are {period_start (ISO), text, author} to
    mark on the chart. The figure is a plain dict (what
    `go.Figure(...).to_plotly_json()` gives for the same traces): building a go.Figure validates
    every property on every call, about 20 ms a figure, which a page of small multiples cannot pay.
    tests/indicators/test_charts.py checks the dicts against the go.Figure version.
    """
    results = values["results"]
    period = values["period"]
    x = [period_label(date.fromisoformat(r["period_start"]), period) for r in results]
    traces = _band_traces(x, results) + _limit_traces(x, results)
    for field, name, colour, dash in (
        ("target", gettext("Target"), TARGET_COLOUR, "dash"),
        ("benchmark", gettext("Benchmark"), BENCHMARK_COLOUR, "dot"),
    ):
        if _has(results, field):
            traces.append(
                _scatter(
                    x=x,
                    y=_series(results, field),
                    mode="lines",
                    name=name,
                    line={"color": colour, "dash": dash, "width": 2, "shape": "hv"},
                )
            )
    traces.append(
        _scatter(
            x=x,
            y=_series(results, "value"),
            mode="lines+markers",
            name=gettext("Value"),
            line={"color": "#9aa7b4", "width": 1.5},
            marker={"color": _colours(results), "size": 9, "line": {"color": "#fff", "width": 1}},
            **_value_hover(results, unit),
        )
    )
    traces += _signal_trace(x, results)
    marked = _comment_trace(x, results, period, comments or [])
    traces += marked
    layout = {
        "template": plotly_template(),
        "height": height,
        "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
        "font": {"family": FONT, "size": 12},
        "separators": number_separators(),
        "legend": {"orientation": "h", "y": -0.18},
        "xaxis": {"type": "category", "showgrid": False, "automargin": True, **_ticks(x)},
        "yaxis": {"gridcolor": "#e6eaef", "title": {"text": unit}, "zeroline": False},
        "hovermode": "closest",
    }
    if marked:
        layout["yaxis2"] = {
            "overlaying": "y",
            "range": [0, 1],
            "visible": False,
            "fixedrange": True,
        }
    return {"data": traces, "layout": layout}


def _ticks(labels: list[str], most: int = 6) -> dict:
    """At most `most` evenly spaced tick labels, always including the latest period."""
    if len(labels) <= most:
        return {}
    step = -(-len(labels) // most)
    chosen = labels[::-1][::step][::-1]
    return {"tickmode": "array", "tickvals": chosen, "ticktext": chosen}


def small_figure(*, results: list[dict], period: str) -> dict:
    """A small multiple for the dashboard: values, band, limits and target, no axes, no legend."""
    fig = indicator_figure(values={"results": results, "period": period}, unit="", height=120)
    layout = fig["layout"]
    layout["showlegend"] = False
    layout["margin"] = {"l": 34, "r": 6, "t": 4, "b": 4}
    layout["xaxis"]["visible"] = False
    layout["yaxis"] = {"title": {}, "gridcolor": "#e6eaef", "zeroline": False, "nticks": 3}
    for trace in fig["data"]:
        ring = trace.get("marker", {}).get("symbol") == "circle-open"
        trace["marker"] = {**trace.get("marker", {}), "size": 9 if ring else 6}
    return fig


def small_figure_json(*, results: list[dict], period: str) -> SafeString | None:
    """`small_figure` of selector rows (`period_start` a date) as page JSON; None without rows."""
    if not results:
        return None
    series = [{**row, "period_start": row["period_start"].isoformat()} for row in results]
    return figure_json(small_figure(results=series, period=period))


def latest_label(indicator) -> str:
    """The name of the period of a row's latest value (`latest_start`), "" without one."""
    if not indicator.latest_start:
        return ""
    return period_label(indicator.latest_start, indicator.period)


def sparkline_points(values: list[float | None], width: int = 120, height: int = 28) -> str:
    """Points of an SVG polyline through `values` (None skipped), scaled into width x height."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if not known:
        return ""
    low = min(v for _, v in known)
    high = max(v for _, v in known)
    span = (high - low) or 1.0
    step = width / max(len(values) - 1, 1)
    pad = 3
    return " ".join(
        f"{i * step:.1f},{pad + (height - 2 * pad) * (1 - (v - low) / span):.1f}" for i, v in known
    )
