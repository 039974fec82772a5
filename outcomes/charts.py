"""The results chain as a Plotly layered graph, built from `selectors.chain` output. No queries.

Four columns, left to right: activity | output | outcome | impact (a hidden level drops its
column). Each node is a box whose border and dot take the colour of its status; an unmeasured
link (a node with no indicator) has a dashed border. Hovering a box lists its indicators with
their latest values; every point of a box carries the node page's URL in `customdata`, which
static/js/charts.js opens on a click.

When a level is hidden, two shown nodes that were joined only through its nodes keep a thin
dotted light arrow (one per pair, however many paths), whose marker halfway says through how
many hidden nodes of which level it runs (`compute.links_through_hidden`).

Arrows carry evidence: an arrow that cites a hypothesis is drawn thick in the colour of the
hypothesis's status (supported green, refuted red, inconclusive amber, proposed grey) with a
marker halfway whose hover names the hypothesis and its status and whose click opens it; an
arrow that cites none is thin and neutral, "only drawn".

Readable at 200 nodes: nodes in a column are ordered by the barycentre of their neighbours
(a few sweeps down and up the chain, as in Sugiyama's layered drawing), which removes most
crossings; each column is spread over the same height, so arrows stay short; the height grows
with the tallest column, and labels get one line when the chain is dense.
"""

import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable
from html import escape

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext_lazy

from cpi.charts import STATUS_COLOURS as EVIDENCE_COLOURS
from indicators.charts import FONT, number_separators, plotly_template

from .compute import LEVEL_ORDER
from .models import Level, NodeStatus, StatusSource

STATUS_COLOURS = {
    "on_track": "#2e7d32",
    "at_risk": "#b26a00",
    "off_track": "#c62828",
    "no_data": "#8a96a3",
}
STATUS_FILLS = {
    "on_track": "#edf6ee",
    "at_risk": "#fdf3e3",
    "off_track": "#fcebeb",
    "no_data": "#f2f4f6",
}
EDGE_COLOUR = "rgba(91, 107, 123, 0.35)"
INDIRECT_COLOUR = "rgba(91, 107, 123, 0.45)"  # an arrow through hidden levels: dotted, lighter
INDIRECT_FAINT = "rgba(91, 107, 123, 0.22)"  # ... and fainter still when there are many
INDIRECT_MARKED_UP_TO = 40  # arrows through hidden levels whose hover marker is drawn
# An arrow's colour is the status of the hypothesis it cites (EVIDENCE_COLOURS, the evidence's
# own, from cpi.charts); one that cites none is only drawn.
EVIDENCE_ORDER = ("proposed", "inconclusive", "refuted", "supported")  # drawn last = on top
EVIDENCE_WIDTH = 3.2
BOX_WIDTH = 0.72  # of the distance between two columns; the rest carries the arrows
SWEEPS = 4
DENSE_FROM = 24  # nodes in the tallest column from which a label gets one line
PLOT_WIDTH = 1100  # px the labels are cut for (the page's width); a phone reads the list
CHAR_PX = 6.6
MARGIN_TOP = 34
MARGIN_BOTTOM = 8


def level_heading(level: str) -> str:
    """The column's name; outcomes are leading, impact lagging (DESIGN section 2)."""
    names = {
        "activity": gettext("Activities"),
        "output": gettext("Outputs"),
        "outcome": gettext("Outcomes · leading"),
        "impact": gettext("Impact · lagging"),
    }
    return names[level]


def column_order(
    columns: list[list[int]], links: Iterable[tuple[int, int]], sweeps: int = SWEEPS
) -> list[list[int]]:
    """The node ids of each column reordered to reduce crossings: by the barycentre (mean
    relative position) of the nodes they link to, in sweeps down the chain (by contributors)
    and back up (by targets). A node with no neighbour in the sweep keeps its place; ties keep
    the current order. Pure and deterministic."""
    below, above = defaultdict(list), defaultdict(list)
    for source, target in links:
        above[source].append(target)
        below[target].append(source)
    order = [list(column) for column in columns]

    def sweep(indices, neighbours) -> None:
        for c in indices:
            where = _relative_positions(order)
            order[c] = _by_barycentre(order[c], neighbours, where)

    for _ in range(sweeps):
        sweep(range(1, len(order)), below)
        sweep(range(len(order) - 2, -1, -1), above)
    return order


def _relative_positions(order: list[list[int]]) -> dict[int, float]:
    """Each node's place in its column as a fraction 0..1 (columns of any length compare)."""
    return {node: (i + 0.5) / len(column) for column in order for i, node in enumerate(column)}


def _by_barycentre(column: list[int], neighbours, where: dict[int, float]) -> list[int]:
    """`column` sorted by the mean position of each node's neighbours (its own without any)."""

    def key(item):
        i, node = item
        near = [where[n] for n in neighbours[node] if n in where]
        own = (i + 0.5) / len(column)
        return (sum(near) / len(near) if near else own, own)

    return [node for _i, node in sorted(enumerate(column), key=key)]


def _cut(text: str, chars: int, lines: int) -> str:
    """`text` wrapped in at most `lines` lines of `chars` characters, cut with an ellipsis."""
    wrapped = textwrap.wrap(text, chars) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: chars - 1].rstrip() + "…"
    return "<br>".join(escape(part) for part in wrapped)


def _value_text(indicator) -> str:
    value = getattr(indicator, "latest_value", None)
    if value is None:
        return gettext("no data yet")
    text = f"{floatformat(value, '-2g')} {indicator.unit}".strip()
    if getattr(indicator, "stale", False):
        text += " · " + gettext("stale")
    return text


def _italic(text: str) -> str:
    """`text` escaped, in italics (the hovers' last line: what a click does)."""
    return f"<i>{escape(text)}</i>"


class HoverWords:
    """The translated words of the nodes' hovers, looked up once a figure: a chain of 200
    nodes shares four levels, four statuses, three sources and a few indicators."""

    def __init__(self):
        self.levels = {}
        for level in LEVEL_ORDER:
            label = capfirst(Level(level).label)
            if level == "outcome":
                label = gettext("%(level)s · leading") % {"level": label}
            elif level == "impact":
                label = gettext("%(level)s · lagging") % {"level": label}
            self.levels[level] = escape(str(label))
        self.status = {}
        self.click = _italic(gettext("Click to open"))
        self.unmeasured = gettext("Unmeasured link: no indicator")
        self.values: dict[int, str] = {}

    def status_line(self, status: str, source: str) -> str:
        if (status, source) not in self.status:
            self.status[status, source] = gettext("Status: %(status)s (from %(source)s)") % {
                "status": NodeStatus(status).label,
                "source": StatusSource(source).label,
            }
        return self.status[status, source]

    def indicator_line(self, indicator) -> str:
        if indicator.pk not in self.values:
            self.values[indicator.pk] = (
                f"• {escape(indicator.name)}: {escape(_value_text(indicator))}"
            )
        return self.values[indicator.pk]


def hover_text(node, words: HoverWords | None = None) -> str:
    """What hovering a node shows: title, level, status and where it came from, indicators."""
    words = words or HoverWords()
    lines = [
        f"<b>{escape(node.title)}</b>",
        words.levels[node.level],
        words.status_line(node.status, node.status_source),
    ]
    measures = list(node.measures.all())
    lines += [words.indicator_line(measure.indicator) for measure in measures[:8]]
    if len(measures) > 8:
        lines.append(gettext("… and %(count)s more") % {"count": len(measures) - 8})
    if not measures:
        lines.append(words.unmeasured)
    lines.append(words.click)
    return "<br>".join(lines)


def node_url(node) -> str:
    return node_url_pattern().format(node.pk)


def node_url_pattern() -> str:
    """The node page's URL with `{}` for the id: one `reverse` for a page of 200 nodes."""
    marker = 987654321
    return reverse("node-detail", args=[marker]).replace(str(marker), "{}")


def chain_figure(
    chain,
    *,
    levels: Iterable[str] | None = None,
    url_of: Callable[[object], str] | None = None,
    width: int = PLOT_WIDTH,
) -> dict:
    """The layered graph of `chain` (a `selectors.Chain`) as a plain Plotly figure dict.

    `levels`: the columns to draw (default: all four); a level not in it is collapsed, its
    nodes are not drawn (the selector has dropped them and the links through them already).
    `url_of(node)` is what a click opens (default: the node page).
    """
    if url_of is None:
        pattern = node_url_pattern()
        url_of = lambda node: pattern.format(node.pk)  # noqa: E731
    shown = [level for level in LEVEL_ORDER if levels is None or level in set(levels)]
    by_level = {level: [] for level in shown}
    for node in chain.nodes:
        if node.level in by_level:
            by_level[node.level].append(node)
    nodes = {node.pk: node for column in by_level.values() for node in column}
    links = [(s, t) for s, t in chain.links if s in nodes and t in nodes]
    first = [
        sorted(column, key=lambda n: (n.initiative_id or 0, n.title.lower(), n.pk))
        for column in by_level.values()
    ]
    order = column_order([[n.pk for n in column] for column in first], links)

    tallest = max((len(column) for column in order), default=0) or 1
    dense = tallest >= DENSE_FROM
    row_px = 26 if dense else 44
    box_px = BOX_WIDTH * width / max(len(shown) - 0.1, 0.9)
    chars = max(int((box_px - 26) / CHAR_PX), 12)

    where: dict[int, tuple[float, float]] = {}
    for c, column in enumerate(order):
        for i, pk in enumerate(column):
            where[pk] = (float(c), round((i + 0.5) / len(column) * tallest, 3))

    arrows = getattr(chain, "arrows", {})
    cited = {pair: arrows[pair] for pair in links if pair in arrows and arrows[pair].evidence}
    indirect = [
        link
        for link in getattr(chain, "indirect", ())
        if link.source in nodes and link.target in nodes
    ]
    return {
        "data": [
            *_indirect_traces(indirect, where, nodes),
            _edge_trace([pair for pair in links if pair not in cited], where),
            *_evidence_traces(cited, where, nodes),
            *_node_traces(nodes, where, url_of, chars, 1 if dense else 2),
        ],
        "layout": _layout(shown, by_level, where, nodes, tallest, row_px, dense),
    }


def _arrow_path(links, where) -> tuple[list, list]:
    """The arrows' lines: from the source box's right edge to the target's left edge, bent
    into an S so arrows into one box fan in; None between two arrows."""
    x, y = [], []
    for source, target in links:
        (x0, y0), (x1, y1) = where[source], where[target]
        x0 += BOX_WIDTH
        bend = min(0.12, (x1 - x0) / 3)
        # three decimals are a tenth of a pixel, and halve the figure's JSON
        x += [round(x0, 3), round(x0 + bend, 3), round(x1 - bend, 3), x1, None]
        y += [y0, y0, y1, y1, None]
    return x, y


def _midpoint(pair, where) -> tuple[float, float]:
    (x0, y0), (x1, y1) = where[pair[0]], where[pair[1]]
    return (round((x0 + BOX_WIDTH + x1) / 2, 3), round((y0 + y1) / 2, 3))


def evidence_label(status: str | None) -> str:
    """The arrow's evidence in plain words, for the hover, the legend and the lists."""
    words = {
        "supported": gettext("supported by the evidence"),
        "refuted": gettext("refuted by the evidence"),
        "inconclusive": gettext("tested, inconclusive"),
        "proposed": gettext("proposed, not tested yet"),
    }
    return words.get(status, gettext("only drawn: no hypothesis tests it"))


def hypothesis_url_pattern() -> str:
    """The hypothesis page's URL with `{}` for the id (one `reverse` for the whole chain)."""
    marker = 987654321
    return reverse("hypothesis-detail", args=[marker]).replace(str(marker), "{}")


def arrow_hover(arrow, source, target, evidence: str | None = None) -> str:
    """What hovering an arrow that cites a hypothesis shows: the arrow, the hypothesis and its
    status, and that a click opens it. `evidence`: the status's words, when already known."""
    evidence = evidence or evidence_label(arrow.evidence)
    return "<br>".join(
        [
            f"<b>{escape(source.title)} → {escape(target.title)}</b>",
            escape(
                gettext("Hypothesis: %(cause)s drives %(effect)s")
                % {"cause": arrow.cause, "effect": arrow.effect}
            ),
            escape(gettext("Evidence: %(status)s") % {"status": evidence}),
            _italic(gettext("Click to open the hypothesis")),
        ]
    )


HIDDEN_COUNTS = {
    "activity": ngettext_lazy("%(count)s hidden activity", "%(count)s hidden activities", "count"),
    "output": ngettext_lazy("%(count)s hidden output", "%(count)s hidden outputs", "count"),
    "outcome": ngettext_lazy("%(count)s hidden outcome", "%(count)s hidden outcomes", "count"),
    "impact": ngettext_lazy("%(count)s hidden impact", "%(count)s hidden impacts", "count"),
}


def through_label(through) -> str:
    """ "through 2 hidden outputs, 1 hidden outcome" for an `IndirectLink.through`."""
    parts = ", ".join(HIDDEN_COUNTS[level] % {"count": count} for level, count in through)
    return gettext("through %(hidden)s") % {"hidden": parts}


def indirect_hover(link, source, target) -> str:
    """What hovering an arrow through hidden levels shows: the two nodes, that it is no direct
    arrow, through what, and how to see the path."""
    return "<br>".join(
        [
            f"<b>{escape(source.title)} → {escape(target.title)}</b>",
            escape(
                gettext("Not a direct arrow: %(through)s")
                % {"through": through_label(link.through)}
            ),
            _italic(gettext("Show every level to see the path.")),
        ]
    )


def _indirect_traces(indirect: list, where, nodes) -> list[dict]:
    """The arrows through hidden levels as one dotted light line trace, and one trace of small
    hollow markers halfway along them that carries their hover. Past INDIRECT_MARKED_UP_TO
    arrows the lines are fainter and the markers invisible (still hovered): hundreds of them
    would cover the boxes they pass."""
    if not indirect:
        return []
    pairs = [link.pair for link in indirect]
    x, y = _arrow_path(pairs, where)
    name = gettext("through hidden levels")
    few = len(indirect) <= INDIRECT_MARKED_UP_TO
    colour = INDIRECT_COLOUR if few else INDIRECT_FAINT
    marker = {
        "size": 7 if few else 10,
        "color": "#fff",
        "symbol": "circle",
        "opacity": 1 if few else 0,
        "line": {"color": INDIRECT_COLOUR, "width": 1.2},
    }
    hovers = [indirect_hover(link, nodes[link.source], nodes[link.target]) for link in indirect]
    return [
        _line_trace(x, y, name, color=colour, width=1.2 if few else 0.9, dash="dot"),
        _midpoint_trace(pairs, where, name, marker, hovers),
    ]


def _evidence_traces(cited: dict, where, nodes) -> list[dict]:
    """Per status, the arrows citing a hypothesis of that status as one thick line trace, and
    one trace of markers halfway along them that carries the hover and the hypothesis's URL."""
    if not cited:
        return []
    pattern = hypothesis_url_pattern()
    lines, markers = [], []
    for status in EVIDENCE_ORDER:
        pairs = [pair for pair, arrow in cited.items() if arrow.evidence == status]
        if not pairs:
            continue
        x, y = _arrow_path(pairs, where)
        colour = EVIDENCE_COLOURS[status]
        label = evidence_label(status)
        dash = "dash" if status == "proposed" else "solid"
        lines.append(_line_trace(x, y, label, color=colour, width=EVIDENCE_WIDTH, dash=dash))
        marker = {
            "size": 13,
            "color": colour,
            "symbol": "diamond",
            "line": {"color": "#fff", "width": 1.5},
        }
        hovers = [arrow_hover(cited[p], nodes[p[0]], nodes[p[1]], label) for p in pairs]
        trace = _midpoint_trace(pairs, where, label, marker, hovers)
        trace["customdata"] = [pattern.format(cited[pair].hypothesis) for pair in pairs]
        markers.append(trace)
    return [*lines, *markers]


def _midpoint_trace(pairs, where, name: str, marker: dict, hovers: list[str]) -> dict:
    """One marker halfway along each arrow of `pairs`, carrying its hover."""
    middles = [_midpoint(pair, where) for pair in pairs]
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [m[0] for m in middles],
        "y": [m[1] for m in middles],
        "marker": marker,
        "hovertext": hovers,
        "hovertemplate": "%{hovertext}<extra></extra>",
        "showlegend": False,
    }


def _edge_trace(links, where) -> dict:
    """The arrows that cite no hypothesis ("only drawn") as one thin neutral line trace."""
    x, y = _arrow_path(links, where)
    return _line_trace(x, y, gettext("contributes to"), color=EDGE_COLOUR, width=1.2)


def _line_trace(x, y, name: str, **line) -> dict:
    """Arrows drawn as one curved line trace without hover (their markers carry it)."""
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "lines",
        "line": {**line, "shape": "spline", "smoothing": 0.8},
        "hoverinfo": "skip",
        "showlegend": False,
        "name": name,
    }


def _node_traces(nodes, where, url_of, chars, lines) -> list[dict]:
    """One trace per status (the dot and the label), and an invisible trace that makes the
    whole box hoverable and clickable (three points along it)."""
    urls = {pk: url_of(node) for pk, node in nodes.items()}
    words = HoverWords()
    hovers = {pk: hover_text(node, words) for pk, node in nodes.items()}
    traces = []
    for status in STATUS_COLOURS:
        members = [n for n in nodes.values() if n.status == status]
        if not members:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": str(NodeStatus(status).label),
                "x": [round(where[n.pk][0] + 0.03, 3) for n in members],
                "y": [where[n.pk][1] for n in members],
                "text": [_cut(n.title, chars, lines) for n in members],
                "textposition": "middle right",
                "textfont": {"size": 12, "color": "#1d2733"},
                "marker": {"size": 11, "color": STATUS_COLOURS[status], "symbol": "circle"},
                "customdata": [urls[n.pk] for n in members],
                "hovertext": [hovers[n.pk] for n in members],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "showlegend": False,
            }
        )
    hits = list(nodes.values())
    steps = (0.25, 0.45, 0.65)
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": gettext("chain node"),
            "x": [round(where[n.pk][0] + step, 3) for n in hits for step in steps],
            "y": [where[n.pk][1] for n in hits for _step in steps],
            "marker": {"size": 22, "opacity": 0, "color": "#fff"},
            "customdata": [urls[n.pk] for n in hits for _step in steps],
            "hovertext": [hovers[n.pk] for n in hits for _step in steps],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "showlegend": False,
        }
    )
    return traces


def _layout(shown, by_level, where, nodes, tallest, row_px, dense) -> dict:
    height = max(int(tallest * row_px) + MARGIN_TOP + MARGIN_BOTTOM + 18, 220)
    # a box is 22 px high (36 px with two lines of label), however few nodes a column has
    unit_px = (height - MARGIN_TOP - MARGIN_BOTTOM) / tallest
    half = min((11 if dense else 18) / unit_px, 0.45)
    shapes = [
        {
            "type": "rect",
            "layer": "below",
            "x0": x,
            "x1": round(x + BOX_WIDTH, 3),
            "y0": round(y - half, 3),
            "y1": round(y + half, 3),
            "fillcolor": STATUS_FILLS[nodes[pk].status],
            "line": {
                "color": STATUS_COLOURS[nodes[pk].status],
                "width": 1.2,
                "dash": "solid" if nodes[pk].measures.all() else "dot",
            },
        }
        for pk, (x, y) in where.items()
    ]
    headings = [
        {
            "x": c,
            "y": 1,
            "xref": "x",
            "yref": "paper",
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "text": f"<b>{escape(level_heading(level))}</b> ({len(by_level[level])})",
            "font": {"size": 13, "color": "#1d2733"},
        }
        for c, level in enumerate(shown)
    ]
    return {
        "template": plotly_template(),
        "height": height,
        "margin": {"l": 8, "r": 8, "t": MARGIN_TOP, "b": MARGIN_BOTTOM},
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
        "font": {"family": FONT, "size": 12},
        "separators": number_separators(),
        "showlegend": False,
        "hovermode": "closest",
        "hoverlabel": {"align": "left", "bgcolor": "#fff", "font": {"color": "#1d2733"}},
        "dragmode": False,
        "xaxis": {
            "visible": False,
            "fixedrange": True,
            "range": [-0.04, len(shown) - 1 + BOX_WIDTH + 0.04],
        },
        "yaxis": {"visible": False, "fixedrange": True, "range": [tallest, 0]},
        "shapes": shapes,
        "annotations": headings,
    }
