"""Plotly figures of survey results, built from `compute.Score`s (selector output). No queries.

- `nps_figure`: one row overall and one per segment, promoters / passives / detractors as stacked
  shares (0..100 %), and beside them the NPS with its MoE95 whiskers.
- `diverging_figure`: likert, CSAT and CES answers per row as diverging bars: the points below the
  scale's middle to the left, those above to the right, a middle point split across zero.
- `comparison_figure`: each group's score with its 95 % interval, the reference group marked, the
  others coloured by whether they differ from it beyond noise (better / worse as in app.css).

Figures are plain dicts in Plotly's figure format, drawn by static/js/charts.js. Every row is a
`(label, Score)` pair; a row with too few answers is drawn faintly and says so in its hover.
"""

from html import escape

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext

from indicators.charts import (
    ASSESSMENT_COLOURS,
    base_layout,
)

from .compute import NPS

BETTER = ASSESSMENT_COLOURS["better"]  # --better in app.css
WORSE = ASSESSMENT_COLOURS["worse"]  # --worse
NEUTRAL = "#8a96a3"
PASSIVE = "#b9c2cc"
REFERENCE = "#1f5fa8"  # --accent
QUIET = "#5b6b7b"  # --expected: a difference that cannot be told from noise
FAINT = 0.35  # opacity of a row with too few answers
# Shades from the middle of the scale out: the strongest colour at the scale's ends.
DISAGREE_SHADES = ("#f4c7c3", "#e8938c", "#d75a52", WORSE)
AGREE_SHADES = ("#c5e3c7", "#8cc791", "#52a45a", BETTER)
ROW_PX = 38
BASE_PX = 110


def _layout(rows: int, **properties) -> dict:
    defaults = {
        "height": BASE_PX + ROW_PX * max(rows, 1),
        "margin": {"l": 10, "r": 20, "t": 40, "b": 30},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    }
    return base_layout(**(defaults | properties))


def _number(value, digits: str = "0") -> str:
    return "—" if value is None else floatformat(value, digits)


def _label(label: str, score) -> str:
    """The row's name with its n; `too few` after it when below the survey's minimum."""
    text = f"{escape(label)} (n = {score.n})"
    return text + " · " + escape(gettext("too few")) if score.too_few else text


def _opacity(rows: list) -> list[float]:
    return [FAINT if score.too_few else 1.0 for _label_, score in rows]


def _y_axis(rows: list) -> dict:
    # Rows from the top down in the order given (overall first).
    return {"autorange": "reversed", "automargin": True, "ticksuffix": "  ", "type": "category"}


# --- NPS --------------------------------------------------------------------------------------


def _share_trace(rows, labels, name: str, attribute: str, colour: str, rank: int) -> dict:
    shares = [getattr(score, attribute) or 0.0 for _label_, score in rows]
    return {
        "type": "bar",
        "orientation": "h",
        "name": name,
        "x": shares,
        "y": labels,
        "marker": {"color": colour, "opacity": _opacity(rows)},
        "hovertemplate": "%{y}<br>" + escape(name) + ": %{x:.0f} %<extra></extra>",
        "legendrank": rank,
        "xaxis": "x",
        "yaxis": "y",
    }


def nps_figure(rows: list) -> dict:
    """`rows`: [(label, NPS Score)], overall first. Left: the three shares stacked to 100 %;
    right: the NPS with its margin of error."""
    labels = [_label(label, score) for label, score in rows]
    shares = [
        _share_trace(rows, labels, gettext("Detractors (0-6)"), "detractors", WORSE, 1),
        _share_trace(rows, labels, gettext("Passives (7-8)"), "passives", PASSIVE, 2),
        _share_trace(rows, labels, gettext("Promoters (9-10)"), "promoters", BETTER, 3),
    ]
    known = [(label, score) for label, score in rows if score.score is not None]
    nps = {
        "type": "scatter",
        "mode": "markers",
        "name": gettext("NPS ± margin of error"),
        "x": [score.score for _label_, score in known],
        "y": [_label(label, score) for label, score in known],
        "error_x": {
            "type": "data",
            "array": [score.ci_high - score.score for _label_, score in known],
            "arrayminus": [score.score - score.ci_low for _label_, score in known],
            "color": "#1d2733",
            "thickness": 1.5,
            "width": 6,
        },
        "marker": {"color": "#1d2733", "size": 9, "opacity": _opacity(known)},
        "hovertemplate": "%{y}<br>NPS %{x:.0f}<extra></extra>",
        "legendrank": 4,
        "xaxis": "x2",
        "yaxis": "y",
    }
    return {
        "data": [*shares, nps],
        "layout": _layout(
            len(rows),
            barmode="stack",
            xaxis={"domain": [0, 0.56], "range": [0, 100], "ticksuffix": " %", "fixedrange": True},
            xaxis2={
                "domain": [0.68, 1],
                "range": [-100, 100],
                "zeroline": True,
                "zerolinecolor": "#8a96a3",
                "title": {"text": "NPS", "standoff": 4},
                "fixedrange": True,
            },
            yaxis=_y_axis(rows),
        ),
    }


# --- diverging bars ---------------------------------------------------------------------------


def _shares(score) -> dict[int, float]:
    total = sum(count for _point, count in score.distribution)
    return {point: (100 * count / total if total else 0.0) for point, count in score.distribution}


def _shade(shades: tuple, nearness: int, count: int) -> str:
    """The shade of the point `nearness` steps out from the middle (0 = nearest) of `count`
    points on one side: the strongest colour at the scale's end."""
    return shades[max(len(shades) - count + nearness, 0)]


def _point_trace(rows, labels, point: int, values: list[float], colour: str, legend=True) -> dict:
    return {
        "type": "bar",
        "orientation": "h",
        "name": str(point),
        "legendgroup": str(point),
        "legendrank": point,
        "showlegend": legend,
        "x": values,
        "y": labels,
        "customdata": [abs(v) for v in values],
        "marker": {"color": colour, "opacity": _opacity(rows)},
        "hovertemplate": "%{y}<br>"
        + escape(gettext("answered %(point)s") % {"point": point})
        + ": %{customdata:.0f} %<extra></extra>",
    }


def diverging_figure(rows: list, scale: tuple[int, int]) -> dict:
    """`rows`: [(label, Score)] of one likert / CSAT / CES question, overall first. Each scale
    point's share of the row's answers is a bar: points below the middle point left (negative
    x), points above right, the middle point (odd scales) split half to each side. Traces are in
    order from zero outwards, so Plotly's relative stacking keeps each side's order."""
    low, high = scale
    labels = [_label(label, score) for label, score in rows]
    shares = [_shares(score) for _label_, score in rows]
    below = list(range((low + high + 1) // 2 - 1, low - 1, -1))  # from the middle outwards
    above = list(range((low + high) // 2 + 1, high + 1))
    traces = []
    if (low + high) % 2 == 0:
        middle = (low + high) // 2
        half = [s.get(middle, 0.0) / 2 for s in shares]
        traces.append(_point_trace(rows, labels, middle, [-v for v in half], NEUTRAL))
        traces.append(_point_trace(rows, labels, middle, half, NEUTRAL, legend=False))
    for nearness in range(max(len(below), len(above))):
        if nearness < len(below):
            point = below[nearness]
            colour = _shade(DISAGREE_SHADES, nearness, len(below))
            traces.append(
                _point_trace(rows, labels, point, [-s.get(point, 0.0) for s in shares], colour)
            )
        if nearness < len(above):
            point = above[nearness]
            colour = _shade(AGREE_SHADES, nearness, len(above))
            traces.append(
                _point_trace(rows, labels, point, [s.get(point, 0.0) for s in shares], colour)
            )
    return {
        "data": traces,
        "layout": _layout(
            len(rows),
            barmode="relative",
            xaxis={
                "range": [-100, 100],
                "tickvals": [-100, -50, 0, 50, 100],
                "ticktext": ["100 %", "50 %", "0", "50 %", "100 %"],
                "zeroline": True,
                "zerolinecolor": "#1d2733",
                "fixedrange": True,
            },
            yaxis=_y_axis(rows),
            legend={
                "orientation": "h",
                "y": 1.02,
                "yanchor": "bottom",
                "x": 0,
                "title": {"text": gettext("Answer")},
            },
        ),
    }


# --- comparison of groups ---------------------------------------------------------------------


def difference_class(difference) -> str:
    """better / worse when the group differs from the reference beyond noise, else expected."""
    if difference is None or not difference.distinguishable:
        return "expected"
    return "better" if difference.estimate > 0 else "worse"


def _colour(label, reference, differences: dict) -> str:
    if label == reference:
        return REFERENCE
    return {"better": BETTER, "worse": WORSE}.get(difference_class(differences.get(label)), QUIET)


def comparison_figure(rows: list, *, reference: str | None, differences: dict, unit: str) -> dict:
    """`rows`: [(label, Score)]; `differences`: {label: Difference | None} against `reference`.
    One point per group with its 95 % interval as whiskers; the reference in the accent colour
    with a dashed line at its score."""
    known = [(label, score) for label, score in rows if score.score is not None]
    labels = [_label(label, score) for label, score in known]
    scores = [score.score for _label_, score in known]
    colours = [_colour(label, reference, differences) for label, _score in known]
    symbols = ["diamond" if label == reference else "circle" for label, _score in known]
    hover = []
    for label, score in known:
        line = f"{escape(label)}: {_number(score.score, '-1')} {unit}".strip()
        if score.ci_low is not None:
            line += f" ({_number(score.ci_low, '-1')} – {_number(score.ci_high, '-1')})"
        if label == reference:
            line += "<br>" + escape(gettext("the reference"))
        hover.append(line)
    trace = {
        "type": "scatter",
        "mode": "markers",
        "name": gettext("score with 95 % interval"),
        "x": scores,
        "y": labels,
        "text": hover,
        "hovertemplate": "%{text}<extra></extra>",
        "error_x": {
            "type": "data",
            "array": [_span(score.ci_high, score.score) for _label_, score in known],
            "arrayminus": [_span(score.score, score.ci_low) for _label_, score in known],
            "color": "#5b6b7b",
            "thickness": 1.5,
            "width": 6,
        },
        "marker": {"color": colours, "symbol": symbols, "size": 11, "opacity": _opacity(known)},
        "showlegend": False,
    }
    shapes = []
    reference_score = next((s.score for label, s in known if label == reference), None)
    if reference_score is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": reference_score,
                "x1": reference_score,
                "y0": 0,
                "y1": 1,
                "line": {"color": REFERENCE, "dash": "dash", "width": 1},
            }
        )
    return {
        "data": [trace],
        "layout": _layout(
            len(known),
            xaxis={"zeroline": False, "fixedrange": True, "ticksuffix": f" {unit}" if unit else ""},
            yaxis=_y_axis(known),
            shapes=shapes,
            showlegend=False,
        ),
    }


def _span(high, low) -> float:
    return 0.0 if high is None or low is None else high - low


def score_unit(question_type: str) -> str:
    """The unit a score's axis carries: % for shares, none for NPS points and means."""
    return "%" if question_type == "csat" else ""


def results_figure(results, scale: tuple[int, int]) -> dict:
    """The distribution figure of one question's results: NPS bars, or diverging bars."""
    rows = [(gettext("Everyone"), results.overall), *results.segments]
    if results.question.type == NPS:
        return nps_figure(rows)
    return diverging_figure(rows, scale)
