"""Plotly figures of the engagement report, built from `surveys.engagement` output. No queries.

- `contact_figure`: questions of one scale as rows, staff with and without customer contact as
  two dots per row with their 95 % intervals as whiskers.
- `scatter_figure`: one point per unit, the customer-focus index across, an indicator's value for
  the unit up; a hollow point is a unit with fewer answers than the survey's minimum.

Figures are plain dicts in Plotly's figure format, drawn by static/js/charts.js.
"""

from html import escape

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext

from indicators.charts import base_layout

WITH_COLOUR = "#1f5fa8"
WITHOUT_COLOUR = "#b26a00"
UNIT_COLOUR = "#6a4fa3"
ROW_PX = 44
OFFSET = 0.16  # how far apart the two dots of one question sit
LINE_CHARACTERS = 34  # a question's label wraps onto lines of about this many characters


def _layout(**properties) -> dict:
    return base_layout(**properties)


def _wrapped(text: str) -> str:
    """The wording on lines of about LINE_CHARACTERS, at most two (then cut with an ellipsis)."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > LINE_CHARACTERS:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], lines[1][: LINE_CHARACTERS - 1] + "…"]
    return "<br>".join(escape(part) for part in lines)


def _number(value) -> str:
    return "—" if value is None else floatformat(value, "-2")


def _dots(rows: list, side: str, name: str, colour: str, shift: float) -> dict | None:
    shown = [(i, row) for i, row in enumerate(rows) if getattr(row, side).score is not None]
    if not shown:
        return None
    scores = [getattr(row, side) for _i, row in shown]
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [s.score for s in scores],
        "y": [i + shift for i, _row in shown],
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [(s.ci_high - s.score) if s.ci_high is not None else 0 for s in scores],
            "arrayminus": [(s.score - s.ci_low) if s.ci_low is not None else 0 for s in scores],
            "color": colour,
            "thickness": 1.5,
            "width": 4,
        },
        "marker": {
            "color": [("#fff" if s.too_few else colour) for s in scores],
            "line": {"color": colour, "width": 2},
            "size": 10,
            "symbol": "circle",
        },
        "text": [
            gettext("%(question)s: %(score)s (95 %% interval %(low)s to %(high)s), n = %(n)s")
            % {
                "question": row.question.code,
                "score": _number(s.score),
                "low": _number(s.ci_low),
                "high": _number(s.ci_high),
                "n": s.n,
            }
            + (" · " + gettext("too few answers") if s.too_few else "")
            for s, (_i, row) in zip(scores, shown, strict=True)
        ],
        "hoverinfo": "text+name",
    }


def contact_figure(rows: list, *, axis_title: str, legend: bool = True) -> dict | None:
    """The questions of one scale (all rows share it), with and without contact side by side;
    the legend above the plot (`legend=False` for the second figure of a page)."""
    traces = [
        trace
        for trace in (
            _dots(rows, "with_contact", gettext("With customer contact"), WITH_COLOUR, -OFFSET),
            _dots(
                rows, "without_contact", gettext("Without customer contact"), WITHOUT_COLOUR, OFFSET
            ),
        )
        if trace
    ]
    if not traces:
        return None
    labels = [_wrapped(row.question.wording()) for row in rows]
    return {
        "data": traces,
        "layout": _layout(
            height=(100 if legend else 70) + ROW_PX * len(rows),
            margin={"l": 10, "r": 20, "t": 40 if legend else 10, "b": 50},
            showlegend=legend,
            xaxis={"title": {"text": axis_title}, "zeroline": False},
            yaxis={
                "tickvals": list(range(len(rows))),
                "ticktext": labels,
                "automargin": True,
                "range": [len(rows) - 0.5, -0.5],
            },
            legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        ),
    }


def scatter_figure(scatter, *, y_title: str) -> dict | None:
    """One point per unit: customer-focus index (x) against the indicator's value (y)."""
    if not scatter.points:
        return None
    points = scatter.points
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": y_title,
                "x": [p.focus for p in points],
                "y": [p.value for p in points],
                "text": [p.unit for p in points],
                "textposition": "top center",
                "marker": {
                    "color": [("#fff" if p.too_few else UNIT_COLOUR) for p in points],
                    "line": {"color": UNIT_COLOUR, "width": 2},
                    "size": 11,
                },
                "customdata": [
                    gettext("index %(index)s, value %(value)s, n = %(n)s")
                    % {"index": _number(p.focus), "value": _number(p.value), "n": p.n}
                    + (" · " + gettext("too few answers") if p.too_few else "")
                    for p in points
                ],
                "hovertemplate": "<b>%{text}</b><br>%{customdata}<extra></extra>",
                "showlegend": False,
            }
        ],
        "layout": _layout(
            height=360,
            margin={"l": 10, "r": 20, "t": 20, "b": 50},
            xaxis={
                "title": {"text": gettext("Customer-focus index (0–100)")},
                "zeroline": False,
                "automargin": True,
            },
            yaxis={"title": {"text": y_title}, "zeroline": False, "automargin": True},
        ),
    }
