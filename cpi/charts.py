"""Plotly figures of the CPI evidence, built from selector output. No queries here.

- `arrows_figure`: every CPI -> KPI arrow, causes on the left, effects on the right, one arrow
  per hypothesis coloured by its status; a click on an arrow or its label opens the hypothesis.
- `series_figure`: cause and effect over time on two axes, the effect shifted back by the best
  lag so the lines line up, with the forecast fan when the page may show it.
- `lag_figure`: r by lag, levels and first differences side by side, significance marked.
- `forest_figure`: experiments as effect with its 95 % CI, a zero line, coloured by verdict.

Figures are plain dicts in Plotly's figure format (as in indicators/charts.py), drawn by
static/js/charts.js, which opens the URL a clicked point carries in `customdata`.
"""

from datetime import date
from html import escape

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext, ngettext

from indicators.charts import base_layout, period_label
from indicators.compute.periods import next_period_start, previous_period_start

from .compute.status import ALPHA, adjusted_p

STATUS_COLOURS = {
    "supported": "#2e7d32",
    "refuted": "#c62828",
    "inconclusive": "#b26a00",
    "proposed": "#8a96a3",
}
CAUSE_COLOUR = "#1f5fa8"
EFFECT_COLOUR = "#6a4fa3"
FAN_FILL = "rgba(106, 79, 163, 0.16)"
LEVELS_COLOUR = "#1f5fa8"
DIFFERENCES_COLOUR = "#6a4fa3"
QUIET_COLOUR = "#c4ccd6"  # a bar that is not significant
ROW_PX = 56
LABEL_AT = 0.3  # along the arrow: near its cause, where arrows into one effect have not met yet
START_X, END_X = 0.1, 0.92  # where an arrow leaves its cause and reaches its effect


def _layout(**properties) -> dict:
    return base_layout(**properties)


def _number(value) -> str:
    return "—" if value is None else floatformat(value, "-2g")


def status_label(status: str) -> str:
    words = {
        "supported": gettext("supported"),
        "refuted": gettext("refuted"),
        "inconclusive": gettext("inconclusive"),
        "proposed": gettext("proposed"),
    }
    return words[status]


# --- the arrows overview ----------------------------------------------------------------------


def _relative(rows: dict[int, int]) -> dict[int, float]:
    return {pk: (row + 0.5) / len(rows) for pk, row in rows.items()}


def _by_neighbours(indicators: dict, links: list[tuple[int, int]], where: dict[int, float]):
    """Rows of `indicators` sorted by the mean relative row of the indicators they link to (the
    barycentre of Sugiyama's layered drawing); name order breaks ties."""

    def key(indicator):
        near = [where[other] for own, other in links if own == indicator.pk and other in where]
        return (sum(near) / len(near) if near else 0.5, indicator.name.lower())

    ordered = sorted(indicators.values(), key=key)
    return {indicator.pk: row for row, indicator in enumerate(ordered)}


def arrow_rows(hypotheses: list, sweeps: int = 3) -> tuple[dict[int, int], dict[int, int]]:
    """({cause pk: row}, {effect pk: row}): effects by name first, then a few sweeps that order
    each column by its neighbours in the other, so few arrows cross and labels stay apart."""
    causes = {h.cause.pk: h.cause for h in hypotheses}
    effects = {h.effect.pk: h.effect for h in hypotheses}
    forward = [(h.cause.pk, h.effect.pk) for h in hypotheses]
    backward = [(e, c) for c, e in forward]
    ordered = sorted(effects.values(), key=lambda i: i.name.lower())
    effect_rows = {indicator.pk: row for row, indicator in enumerate(ordered)}
    cause_rows = {}
    for _sweep in range(sweeps):
        cause_rows = _by_neighbours(causes, forward, _relative(effect_rows))
        effect_rows = _by_neighbours(effects, backward, _relative(cause_rows))
    return cause_rows, effect_rows


def arrow_hover(hypothesis) -> str:
    evidence = hypothesis.evidence or {}
    lines = [
        f"<b>{escape(hypothesis.cause.name)} → {escape(hypothesis.effect.name)}</b>",
        gettext("Status: %(status)s") % {"status": status_label(hypothesis.status)},
    ]
    if evidence.get("r") is not None:
        lines.append(
            gettext("best lag %(lag)s, r = %(r)s, n = %(n)s")
            % {"lag": evidence["best_lag"], "r": _number(evidence["r"]), "n": evidence["n"]}
        )
    lines.append(f"<i>{escape(gettext('Click to open'))}</i>")
    return "<br>".join(lines)


def arrows_figure(hypotheses: list, *, url_of, indicator_url_of=None) -> dict:
    """One arrow per hypothesis from its cause (left column) to its effect (right column),
    coloured by status. `url_of(hypothesis)` is what a click on the arrow opens;
    `indicator_url_of(indicator)` what a click on a name opens (nothing when None)."""
    causes, effects = arrow_rows(hypotheses)
    tallest = max(len(causes), len(effects), 1)
    # both columns spread over the same height, so arrows stay short
    spread = {
        side: {pk: (row + 0.5) / len(rows) * tallest for pk, row in rows.items()}
        for side, rows in (("cause", causes), ("effect", effects))
        if rows
    }
    traces, annotations = [], []
    for status, colour in STATUS_COLOURS.items():
        members = [h for h in hypotheses if h.status == status]
        if not members:
            continue
        x, y, urls, hovers = [], [], [], []
        for hypothesis in members:
            y0, y1 = spread["cause"][hypothesis.cause_id], spread["effect"][hypothesis.effect_id]
            steps = [i / 10 for i in range(10)]  # t along the arrow; the head ends it
            x += [START_X + (END_X - START_X) * t for t in steps] + [None]
            y += [y0 + (y1 - y0) * t for t in steps] + [None]
            urls += [url_of(hypothesis)] * len(steps) + [None]
            hovers += [arrow_hover(hypothesis)] * len(steps) + [""]
            annotations.append(
                {
                    "x": END_X,
                    "y": y1,
                    "ax": START_X + (END_X - START_X) * 0.9,
                    "ay": y0 + (y1 - y0) * 0.9,
                    "xref": "x",
                    "yref": "y",
                    "axref": "x",
                    "ayref": "y",
                    "showarrow": True,
                    "arrowhead": 2,
                    "arrowsize": 1.3,
                    "arrowwidth": 2.5,
                    "arrowcolor": colour,
                    "text": "",
                }
            )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": status_label(status),
                "x": x,
                "y": y,
                "line": {"color": colour, "width": 3},
                "marker": {"size": 14, "color": colour, "opacity": 0, "line": {"width": 0}},
                "customdata": urls,
                "hovertext": hovers,
                "hovertemplate": "%{hovertext}<extra></extra>",
                "showlegend": False,
            }
        )
        traces.append(_arrow_labels(members, spread, colour, url_of))
    traces += _name_traces(hypotheses, spread, indicator_url_of)
    height = max(int(tallest * ROW_PX) + 70, 200)
    return {
        "data": traces,
        "layout": _layout(
            height=height,
            margin={"l": 8, "r": 8, "t": 34, "b": 8},
            showlegend=False,
            hovermode="closest",
            dragmode=False,
            xaxis={"visible": False, "fixedrange": True, "range": [-0.75, 1.75]},
            yaxis={"visible": False, "fixedrange": True, "range": [tallest, 0]},
            annotations=annotations + _headings(),
        ),
    }


def _arrow_labels(members: list, spread: dict, colour: str, url_of) -> dict:
    """The status and best lag in the middle of each arrow; a click opens the hypothesis."""
    texts = []
    for hypothesis in members:
        lag = (hypothesis.evidence or {}).get("best_lag")
        text = status_label(hypothesis.status)
        if lag is not None:
            text += " · " + gettext("lag %(lag)s") % {"lag": lag}
        texts.append(escape(text))
    return {
        "type": "scatter",
        "mode": "text",
        "name": status_label(members[0].status),
        "x": [START_X + (END_X - START_X) * LABEL_AT] * len(members),
        "y": [
            spread["cause"][h.cause_id]
            + (spread["effect"][h.effect_id] - spread["cause"][h.cause_id]) * LABEL_AT
            for h in members
        ],
        "text": texts,
        "textposition": "top center",
        "textfont": {"size": 12, "color": colour},
        "customdata": [url_of(h) for h in members],
        "hovertext": [arrow_hover(h) for h in members],
        "hovertemplate": "%{hovertext}<extra></extra>",
        "showlegend": False,
    }


def _name_traces(hypotheses: list, spread: dict, indicator_url_of) -> list[dict]:
    traces = []
    for side, x, position in (
        ("cause", START_X - 0.02, "middle left"),
        ("effect", END_X + 0.02, "middle right"),
    ):
        indicators = {getattr(h, side).pk: getattr(h, side) for h in hypotheses}
        if not indicators:
            continue
        items = sorted(indicators.values(), key=lambda i: spread[side][i.pk])
        trace = {
            "type": "scatter",
            "mode": "markers+text",
            "name": side,
            "x": [x] * len(items),
            "y": [spread[side][i.pk] for i in items],
            "text": [f"<b>{escape(i.name)}</b>" for i in items],
            "textposition": position,
            "textfont": {"size": 13, "color": "#1d2733"},
            "marker": {"size": 10, "color": "#1d2733"},
            "hovertext": [f"{escape(i.name)} ({escape(i.get_kind_display())})" for i in items],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "showlegend": False,
        }
        if indicator_url_of is not None:
            trace["customdata"] = [indicator_url_of(i) for i in items]
        traces.append(trace)
    return traces


def _headings() -> list[dict]:
    return [
        {
            "x": x,
            "y": 1,
            "xref": "x",
            "yref": "paper",
            "xanchor": anchor,
            "yanchor": "bottom",
            "showarrow": False,
            "text": f"<b>{escape(text)}</b>",
            "font": {"size": 13, "color": "#5b6b7b"},
        }
        for x, anchor, text in (
            (START_X - 0.02, "right", gettext("Cause (leading)")),
            (END_X + 0.02, "left", gettext("Effect (lagging)")),
        )
    ]


# --- both series over time --------------------------------------------------------------------


def _shift(start: date, period: str, periods: int) -> date:
    """The period start `periods` periods before `start` (after it when negative)."""
    step = previous_period_start if periods > 0 else next_period_start
    for _ in range(abs(periods)):
        start = step(start, period)
    return start


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def series_figure(
    *, series: dict, period: str, lag: int, cause, effect, forecast: dict | None = None
) -> dict:
    """The cause (left axis) and the effect shifted back by `lag` periods (right axis) on one
    time axis, so a leading cause and its lagging effect line up; with `forecast`, its points
    (shifted the same way) as a dashed line in a shaded 95 % band. `series` is the answer of
    `selectors.series_of`."""
    cause_series = {_as_date(k): v for k, v in series["cause"].items()}
    shifted = {
        _shift(_as_date(k), period, lag): (_as_date(k), v) for k, v in series["effect"].items()
    }
    points = []
    if forecast:
        for point in forecast.get("points") or []:
            start = _as_date(point["period_start"])
            points.append((_shift(start, period, lag), start, point))
    starts = sorted(set(cause_series) | set(shifted) | {p[0] for p in points})
    label = {start: period_label(start, period) for start in starts}
    x = [label[s] for s in starts]
    lag_words = (
        ngettext(
            "%(name)s, %(lag)s period later",
            "%(name)s, %(lag)s periods later",
            lag,
        )
        % {"name": effect.name, "lag": lag}
        if lag
        else effect.name
    )
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": cause.name,
            "x": x,
            "y": [cause_series.get(s) for s in starts],
            "line": {"color": CAUSE_COLOUR, "width": 2},
            "marker": {"size": 6},
            "connectgaps": False,
            "hovertemplate": f"%{{x}}: %{{y}} {escape(cause.unit)}<extra>{escape(cause.name)}</extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": lag_words,
            "x": x,
            "y": [shifted[s][1] if s in shifted else None for s in starts],
            "yaxis": "y2",
            "line": {"color": EFFECT_COLOUR, "width": 2},
            "marker": {"size": 6, "symbol": "diamond"},
            "hovertext": [
                period_label(shifted[s][0], period) if s in shifted else "" for s in starts
            ],
            "hovertemplate": f"%{{hovertext}}: %{{y}} {escape(effect.unit)}"
            f"<extra>{escape(effect.name)}</extra>",
        },
    ]
    if points:
        traces += _fan_traces(label, points, period, effect, shifted)
    layout = _layout(
        height=400,
        margin={"l": 60, "r": 60, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.15},
        hovermode="x unified",
        xaxis={"type": "category", "showgrid": False, "automargin": True, **_ticks(x)},
        yaxis={
            "title": {
                "text": escape(f"{cause.name} ({cause.unit})"),
                "font": {"color": CAUSE_COLOUR},
            },
            "gridcolor": "#e6eaef",
            "zeroline": False,
        },
        yaxis2={
            "title": {
                "text": escape(f"{effect.name} ({effect.unit})"),
                "font": {"color": EFFECT_COLOUR},
            },
            "overlaying": "y",
            "side": "right",
            "tickmode": "auto",  # its own round numbers, not the left axis's grid
            "showgrid": False,
            "zeroline": False,
        },
    )
    return {"data": traces, "layout": layout}


def _fan_traces(label: dict, points: list, period: str, effect, shifted: dict) -> list[dict]:
    """The forecast's band (low..high) shaded and its value dashed, joined to the last actual."""
    points = sorted(points, key=lambda p: p[0])
    x = [label[p[0]] for p in points]
    last = max(shifted) if shifted else None
    join_x = [label[last]] if last is not None and last < points[0][0] else []
    join_y = [shifted[last][1]] if join_x else []
    name = gettext("Forecast of %(name)s (95 %% interval)") % {"name": effect.name}
    hover = [
        gettext("%(period)s: %(value)s (%(low)s to %(high)s)")
        % {
            "period": period_label(p[1], period),
            "value": _number(p[2]["value"]),
            "low": _number(p[2]["low"]),
            "high": _number(p[2]["high"]),
        }
        for p in points
    ]
    edge = {"width": 0}
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "x": join_x + x,
            "y": join_y + [p[2]["high"] for p in points],
            "yaxis": "y2",
            "line": edge,
            "hoverinfo": "skip",
            "showlegend": False,
            "name": name,
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": join_x + x,
            "y": join_y + [p[2]["low"] for p in points],
            "yaxis": "y2",
            "line": edge,
            "fill": "tonexty",
            "fillcolor": FAN_FILL,
            "hoverinfo": "skip",
            "name": name,
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": join_x + x,
            "y": join_y + [p[2]["value"] for p in points],
            "yaxis": "y2",
            "line": {"color": EFFECT_COLOUR, "width": 2, "dash": "dash"},
            "marker": {"size": 7, "symbol": "diamond-open"},
            "hovertext": ([""] if join_x else []) + hover,
            "hovertemplate": "%{hovertext}<extra>" + escape(gettext("forecast")) + "</extra>",
            "showlegend": False,
            "name": gettext("forecast"),
        },
    ]


def _ticks(labels: list[str], most: int = 8) -> dict:
    if len(labels) <= most:
        return {}
    step = -(-len(labels) // most)
    chosen = labels[::-1][::step][::-1]
    return {"tickmode": "array", "tickvals": chosen, "ticktext": chosen}


# --- r by lag ----------------------------------------------------------------------------------


def significant(row: dict, lags_tried: int) -> bool:
    """Bonferroni: p times the number of lags tried below 0.05."""
    return row.get("p_value") is not None and adjusted_p(row["p_value"], lags_tried) < ALPHA


def _lag_hover(row: dict, lags_tried: int) -> str:
    if row.get("r") is None:
        reason = (
            gettext("a series is constant")
            if row.get("reason") == "constant_series"
            else gettext("fewer than 3 periods in common")
        )
        return gettext("lag %(lag)s: no r (%(reason)s), n = %(n)s") % {
            "lag": row["lag"],
            "reason": reason,
            "n": row.get("n", 0),
        }
    words = gettext("significant") if significant(row, lags_tried) else gettext("not significant")
    return gettext("lag %(lag)s: r = %(r)s, p = %(p)s (%(words)s), n = %(n)s") % {
        "lag": row["lag"],
        "r": _number(row["r"]),
        "p": _number(row["p_value"]),
        "words": words,
        "n": row["n"],
    }


def lag_figure(*, evidence: dict | None, differenced: dict | None, max_lag: int) -> dict:
    """r at each lag as bars, levels and first differences side by side; a significant bar
    (Bonferroni over the max_lag + 1 lags tried) is full colour and starred, the others pale;
    n and p in the hover."""
    lags_tried = max_lag + 1
    traces = []
    for block, name, colour in (
        (evidence, gettext("Levels"), LEVELS_COLOUR),
        (differenced, gettext("Period-to-period changes"), DIFFERENCES_COLOUR),
    ):
        rows = (block or {}).get("lags") or []
        marks = [significant(row, lags_tried) for row in rows]
        traces.append(
            {
                "type": "bar",
                "name": name,
                "x": [str(row["lag"]) for row in rows],
                "y": [row.get("r") for row in rows],
                "marker": {
                    "color": [colour if mark else QUIET_COLOUR for mark in marks],
                    "line": {"color": colour, "width": 1.5},
                },
                "text": ["★" if mark else "" for mark in marks],
                "textposition": "outside",
                "hovertext": [_lag_hover(row, lags_tried) for row in rows],
                "hovertemplate": "%{hovertext}<extra>" + escape(name) + "</extra>",
            }
        )
    best = (evidence or {}).get("best_lag")
    annotations = []
    if best is not None:
        annotations.append(
            {
                "x": str(best),
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "text": escape(gettext("best lag")),
                "font": {"size": 12, "color": "#1d2733"},
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            height=320,
            margin={"l": 50, "r": 10, "t": 24, "b": 50},
            barmode="group",
            showlegend=False,  # the page's legend: a legend swatch takes its first bar's colour
            hovermode="closest",
            xaxis={
                "type": "category",
                "title": {"text": escape(gettext("lag (periods the effect comes later)"))},
            },
            yaxis={
                "title": {"text": "r"},
                "range": [-1.15, 1.15],
                "gridcolor": "#e6eaef",
                "zeroline": True,
                "zerolinecolor": "#5b6b7b",
            },
            annotations=annotations,
        ),
    }


# --- experiments as a forest plot -------------------------------------------------------------


def provisional(experiment) -> bool:
    """Its end has not passed: the page's own judgement when it set one, else the stored one."""
    known = getattr(experiment, "provisional", None)
    return known if known is not None else not (experiment.result or {}).get("final")


def experiment_label(experiment) -> str:
    name = escape(experiment.name)
    if provisional(experiment):
        name += " " + escape(gettext("(provisional)"))
    return name


def effect_unit(experiment) -> str:
    result = experiment.result or {}
    if result.get("test") == "two_proportion_z":
        return gettext("percentage points")
    return experiment.indicator.unit


def forest_figure(experiments: list, *, url_of=None) -> dict | None:
    """Each experiment with a result as its effect (treatment - control) and 95 % CI on one row,
    a line at zero, coloured by verdict; a provisional one (its end not yet passed) drawn open
    and named so. None when no experiment has an effect."""
    shown = [e for e in experiments if (e.result or {}).get("effect") is not None]
    if not shown:
        return None
    traces = []
    labels = [experiment_label(e) for e in shown]
    for verdict, colour in STATUS_COLOURS.items():
        for final in (True, False):
            members = [
                (label, e)
                for label, e in zip(labels, shown, strict=True)
                if (e.result.get("verdict") or "inconclusive") == verdict
                and provisional(e) != final
            ]
            if not members:
                continue
            trace = {
                "type": "scatter",
                "mode": "markers",
                "name": status_label(verdict),
                "y": [label for label, _ in members],
                "x": [e.result["effect"] for _, e in members],
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [e.result["ci_high"] - e.result["effect"] for _, e in members],
                    "arrayminus": [e.result["effect"] - e.result["ci_low"] for _, e in members],
                    "color": colour,
                    "thickness": 2.5,
                    "width": 8,
                },
                "marker": {
                    "color": colour,
                    "size": 13,
                    "symbol": "diamond" if final else "diamond-open",
                    "line": {"color": colour, "width": 2},
                },
                "hovertext": [_forest_hover(e) for _, e in members],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "showlegend": False,
            }
            if url_of is not None:
                trace["customdata"] = [url_of(e) for _, e in members]
            traces.append(trace)
    units = {effect_unit(e) for e in shown}
    low = min(min(e.result["ci_low"] for e in shown), 0)
    high = max(max(e.result["ci_high"] for e in shown), 0)
    pad = (high - low) * 0.08 or 1
    return {
        "data": traces,
        "layout": _layout(
            height=max(70 + 48 * len(shown), 150),
            margin={"l": 10, "r": 20, "t": 10, "b": 45},
            showlegend=False,
            hovermode="closest",
            xaxis={
                "title": {
                    "text": escape(
                        gettext("effect, treatment minus control (%(unit)s)")
                        % {"unit": units.pop() if len(units) == 1 else gettext("own units")}
                    )
                },
                "range": [low - pad, high + pad],
                "zeroline": True,
                "zerolinecolor": "#1d2733",
                "zerolinewidth": 2,
                "gridcolor": "#e6eaef",
            },
            yaxis={
                "type": "category",
                "automargin": True,
                "autorange": "reversed",
                "categoryorder": "array",
                "categoryarray": labels,
            },
        ),
    }


def _forest_hover(experiment) -> str:
    result = experiment.result
    return "<br>".join(
        [
            f"<b>{escape(experiment.name)}</b>",
            escape(
                gettext("%(effect)s %(unit)s (95 %% CI %(low)s to %(high)s), p = %(p)s")
                % {
                    "effect": _number(result["effect"]),
                    "unit": effect_unit(experiment),
                    "low": _number(result["ci_low"]),
                    "high": _number(result["ci_high"]),
                    "p": _number(result["p_value"]),
                }
            ),
            escape(status_label(result.get("verdict") or "inconclusive")),
        ]
    )
