"""Figures of scorecards, built from `selectors` output. No queries here.

- `score_trend_figure`: one part's score per period as a line over the three status zones
  (off track, at risk, on track, shaded in their colours at the scorecard's thresholds), each
  point coloured by its status;
- `strategy_map_figure`: the strategy map, perspectives as rows (top row first), objectives as
  boxes coloured by status, cause-effect links as arrows from cause to effect; a click on a box
  opens the objective (its URL rides in `customdata`, which static/js/charts.js opens);
- `sparkline_points`: an SVG polyline of scores on a fixed 0..1 scale, so a flat line means
  a flat score, not a zoomed-in wobble.

Figures are plain dicts in Plotly's format (see `indicators.charts`), sent with `figure_json`.
"""

import textwrap
from datetime import date
from html import escape

from django.urls import reverse
from django.utils.translation import gettext

from indicators.charts import FONT, number_separators, period_label, plotly_template
from outcomes.charts import STATUS_COLOURS, STATUS_FILLS
from outcomes.models import NodeStatus

from .compute import status_of_score

__all__ = [
    "STATUS_COLOURS",
    "STATUS_FILLS",
    "objective_url_pattern",
    "percent",
    "score_trend_figure",
    "sparkline_points",
    "status_label",
    "strategy_map_figure",
]

ZONE_FILLS = {
    "off_track": "rgba(198, 40, 40, 0.07)",
    "at_risk": "rgba(178, 106, 0, 0.08)",
    "on_track": "rgba(46, 125, 50, 0.08)",
}
LINE_COLOUR = "#5b6b7b"
ARROW_COLOUR = "rgba(61, 77, 93, 0.55)"
BOX_HALF_WIDTH = 0.42  # of the distance between two objectives in a row
ROW_PX = 120
MAP_MARGIN_LEFT = 150  # px for the perspectives' names


def status_label(status: str) -> str:
    """The status in words (on track, at risk, off track, no data)."""
    return str(NodeStatus(status).label)


def percent(score: float | None) -> str:
    """A score 0..1 as a whole percentage ("72 %"), "–" without one."""
    if score is None:
        return "–"
    return f"{round(score * 100):d} %"


def sparkline_points(
    scores: list[float | None], width: int = 120, height: int = 28, pad: float = 3
) -> str:
    """Points of an SVG polyline through `scores` (0..1, None skipped) on a fixed 0..1 scale,
    the last score at the right edge."""
    known = [(i, s) for i, s in enumerate(scores) if s is not None]
    if not known:
        return ""
    step = width / max(len(scores) - 1, 1)
    inner = height - 2 * pad
    return " ".join(
        f"{i * step:.1f},{pad + inner * (1 - min(max(s, 0.0), 1.0)):.1f}" for i, s in known
    )


def objective_url_pattern() -> str:
    """The objective page's URL with `{}` for the id (one `reverse` for a whole map)."""
    marker = 987654321
    return reverse("objective-detail", args=[marker]).replace(str(marker), "{}")


def score_trend_figure(
    *,
    history: list[tuple[date, float]],
    period: str,
    on_track_from: float,
    at_risk_from: float,
    name: str = "",
    height: int = 280,
) -> dict:
    """The score (as %) of each period in `history` [(start, score 0..1)], oldest first, over
    the status zones of the thresholds; points coloured by status."""
    x = [period_label(start, period) for start, _score in history]
    y = [round(score * 100, 1) for _start, score in history]
    statuses = [
        status_of_score(score, on_track_from=on_track_from, at_risk_from=at_risk_from)
        for _start, score in history
    ]
    zones = (
        ("off_track", 0, at_risk_from),
        ("at_risk", at_risk_from, on_track_from),
        ("on_track", on_track_from, 1.0),
    )
    shapes = [
        {
            "type": "rect",
            "layer": "below",
            "xref": "paper",
            "yref": "y",
            "x0": 0,
            "x1": 1,
            "y0": low * 100,
            "y1": high * 100,
            "fillcolor": ZONE_FILLS[status],
            "line": {"width": 0},
        }
        for status, low, high in zones
        if high > low
    ]
    annotations = [
        {
            "xref": "paper",
            "yref": "y",
            "x": 1,
            "y": (low + high) / 2 * 100,
            "xanchor": "right",
            "showarrow": False,
            "text": escape(status_label(status)),
            "font": {"size": 11, "color": STATUS_COLOURS[status]},
        }
        for status, low, high in zones
        if high - low >= 0.08
    ]
    label = name or gettext("Score")
    trace = {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "lines+markers",
        "name": label,
        "line": {"color": LINE_COLOUR, "width": 2},
        "marker": {
            "size": 10,
            "color": [STATUS_COLOURS[s] for s in statuses],
            "line": {"color": "#fff", "width": 1},
        },
        "hovertext": [status_label(s) for s in statuses],
        "hovertemplate": "%{x}: %{y:.0f} %<br>%{hovertext}<extra></extra>",
    }
    return {
        "data": [trace],
        "layout": {
            "template": plotly_template(),
            "height": height,
            "margin": {"l": 48, "r": 12, "t": 10, "b": 40},
            "paper_bgcolor": "#fff",
            "plot_bgcolor": "#fff",
            "font": {"family": FONT, "size": 12},
            "separators": number_separators(),
            "showlegend": False,
            "hovermode": "closest",
            "xaxis": {"type": "category", "showgrid": False, "automargin": True, **_ticks(x)},
            "yaxis": {
                "range": [0, 104],
                "ticksuffix": " %",
                "gridcolor": "#e6eaef",
                "zeroline": False,
                "fixedrange": True,
            },
            "shapes": shapes,
            "annotations": annotations,
        },
    }


def _ticks(labels: list[str], most: int = 6) -> dict:
    """At most `most` evenly spaced period labels, always the latest (as indicator charts)."""
    if len(labels) <= most:
        return {}
    step = -(-len(labels) // most)
    chosen = labels[::-1][::step][::-1]
    return {"tickmode": "array", "tickvals": chosen, "ticktext": chosen}


def _cut(text: str, chars: int, lines: int) -> str:
    wrapped = textwrap.wrap(text, chars) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: chars - 1].rstrip() + "…"
    return "<br>".join(escape(part) for part in wrapped)


def _node_hover(row, perspective_label: str) -> str:
    objective = row.obj
    lines = [f"<b>{escape(objective.title)}</b>", escape(str(perspective_label))]
    if objective.voice:
        lines.append(f"<i>“{escape(_cut(objective.voice, 60, 3))}”</i>")
    lines.append(
        escape(
            gettext("Score %(score)s · %(status)s")
            % {"score": percent(row.score), "status": status_label(row.status)}
        )
    )
    for measure in row.children[:6]:
        lines.append(f"• {escape(measure.obj.indicator.name)}: {escape(percent(measure.score))}")
    if not row.children:
        lines.append(escape(gettext("No measures yet")))
    lines.append(f"<i>{escape(gettext('Click to open'))}</i>")
    return "<br>".join(lines)


def strategy_map_figure(detail, *, url_pattern: str | None = None, width: int = 1100) -> dict:
    """The strategy map of `detail` (a `selectors.Detail`) as a plain Plotly figure dict.

    One row per perspective in the scorecard's order, top first; the objectives of a row spread
    evenly across it; each link an arrow from the cause's box to the effect's box. `url_pattern`
    (default: the objective page) has `{}` for the objective's id.
    """
    pattern = url_pattern or objective_url_pattern()
    perspectives = detail.perspectives
    rows = len(perspectives) or 1
    widest = max((len(p.children) for p in perspectives), default=0) or 1
    where: dict[int, tuple[float, float]] = {}
    labels: dict[int, str] = {}
    for r, perspective in enumerate(perspectives):
        count = len(perspective.children)
        for i, objective in enumerate(perspective.children):
            # centred in the row: a row of 2 under a row of 4 sits in the middle
            where[objective.obj.pk] = ((i + 0.5) * widest / count, r + 0.5)
            labels[objective.obj.pk] = perspective.obj.display_label
    by_id = {o.obj.pk: o for p in perspectives for o in p.children}
    half_w = BOX_HALF_WIDTH * min(widest / max(widest, 1), 1.0)
    box_px = (width - MAP_MARGIN_LEFT) / widest * 2 * half_w
    chars = max(int((box_px - 16) / 7.4), 10)
    half_h = 0.3

    shapes = []
    for r in range(len(perspectives)):
        shapes.append(
            {
                "type": "rect",
                "layer": "below",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": r + 0.03,
                "y1": r + 0.97,
                "fillcolor": "#f6f8fa" if r % 2 == 0 else "#fff",
                "line": {"width": 0},
            }
        )
    for pk, (x, y) in where.items():
        status = by_id[pk].status
        shapes.append(
            {
                "type": "rect",
                "layer": "below",
                "x0": x - half_w,
                "x1": x + half_w,
                "y0": y - half_h,
                "y1": y + half_h,
                "fillcolor": STATUS_FILLS[status],
                "line": {"color": STATUS_COLOURS[status], "width": 2},
            }
        )
    annotations = [
        {
            "xref": "paper",
            "yref": "y",
            "x": 0,
            "y": r + 0.5,
            "xanchor": "right",
            "xshift": -8,
            "showarrow": False,
            "align": "right",
            "text": f"<b>{_cut(str(p.obj.display_label), 18, 2)}</b><br>"
            + escape(
                gettext("%(score)s · %(status)s")
                % {"score": percent(p.score), "status": status_label(p.status)}
            ),
            "font": {"size": 12, "color": STATUS_COLOURS[p.status]},
        }
        for r, p in enumerate(perspectives)
    ]
    for source, target in detail.links:
        if source not in where or target not in where:
            continue
        (x0, y0), (x1, y1) = where[source], where[target]
        # leave the box at its top or bottom edge, towards the effect; same row: its side
        if abs(y1 - y0) < 1e-9:
            sign = 1 if x1 > x0 else -1
            start, end = (x0 + sign * half_w, y0), (x1 - sign * half_w, y1)
        else:
            sign = 1 if y1 > y0 else -1
            start, end = (x0, y0 + sign * half_h), (x1, y1 - sign * half_h)
        annotations.append(
            {
                "xref": "x",
                "yref": "y",
                "axref": "x",
                "ayref": "y",
                "x": end[0],
                "y": end[1],
                "ax": start[0],
                "ay": start[1],
                "showarrow": True,
                "arrowhead": 3,
                "arrowsize": 1.4,
                "arrowwidth": 1.8,
                "arrowcolor": ARROW_COLOUR,
                "standoff": 2,
                "text": "",
            }
        )
    traces = []
    for status in STATUS_COLOURS:
        members = [pk for pk in where if by_id[pk].status == status]
        if not members:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "text",
                "name": status_label(status),
                "x": [where[pk][0] for pk in members],
                "y": [where[pk][1] for pk in members],
                "text": [
                    f"{_cut(by_id[pk].obj.title, chars, 2)}<br><b>{percent(by_id[pk].score)}</b>"
                    for pk in members
                ],
                "textfont": {"size": 13, "color": "#1d2733"},
                "customdata": [pattern.format(pk) for pk in members],
                "hovertext": [_node_hover(by_id[pk], labels[pk]) for pk in members],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "showlegend": False,
            }
        )
    # an invisible grid of points over each box, so the whole box hovers and clicks
    steps = (-0.6, -0.2, 0.2, 0.6)
    hits = list(where)
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": gettext("objective"),
            "x": [where[pk][0] + s * half_w for pk in hits for s in steps for _ in (0, 1)],
            "y": [where[pk][1] + d * half_h for pk in hits for _s in steps for d in (-0.5, 0.5)],
            "marker": {"size": 24, "opacity": 0, "color": "#fff"},
            "customdata": [pattern.format(pk) for pk in hits for _s in steps for _ in (0, 1)],
            "hovertext": [
                _node_hover(by_id[pk], labels[pk]) for pk in hits for _s in steps for _ in (0, 1)
            ],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "showlegend": False,
        }
    )
    return {
        "data": traces,
        "layout": {
            "template": plotly_template(),
            "height": rows * ROW_PX + 20,
            "margin": {"l": MAP_MARGIN_LEFT, "r": 10, "t": 10, "b": 10},
            "paper_bgcolor": "#fff",
            "plot_bgcolor": "#fff",
            "font": {"family": FONT, "size": 12},
            "separators": number_separators(),
            "showlegend": False,
            "hovermode": "closest",
            "hoverlabel": {"align": "left", "bgcolor": "#fff", "font": {"color": "#1d2733"}},
            "dragmode": False,
            "xaxis": {"visible": False, "fixedrange": True, "range": [0, widest]},
            "yaxis": {"visible": False, "fixedrange": True, "range": [rows, 0]},
            "shapes": shapes,
            "annotations": annotations,
        },
    }
