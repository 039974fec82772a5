"""The chain graph (outcomes/charts.py): columns by level, colours by status, links to node pages,
fewer crossings. (Not test_charts.py: tests/indicators/ has one, and test basenames must differ.)"""

from itertools import combinations

import pytest

from outcomes import charts, selectors
from tests.outcomes.pages_data import small_chain


def crossings(columns: list[list[int]], links: list[tuple[int, int]]) -> int:
    """Pairs of links between neighbouring columns that cross (positions in their columns)."""
    where = {node: (c, i) for c, column in enumerate(columns) for i, node in enumerate(column)}
    count = 0
    for (a, b), (x, y) in combinations(links, 2):
        (ca, ia), (cb, ib) = where[a], where[b]
        (cx, ix), (cy, iy) = where[x], where[y]
        if ca == cx and cb == cy and (ia - ix) * (ib - iy) < 0:
            count += 1
    return count


def test_a_column_is_ordered_by_the_barycentre_of_its_contributors():
    # 1 -> 4 and 2 -> 3 cross as drawn; 4 moves above 3 (barycentre 0.25 against 0.75).
    order = charts.column_order([[1, 2], [3, 4]], [(1, 4), (2, 3)])
    assert order == [[1, 2], [4, 3]]
    assert crossings(order, [(1, 4), (2, 3)]) == 0


def test_ordering_removes_the_crossings_of_a_tangled_chain():
    columns = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    links = [(1, 8), (2, 7), (3, 6), (4, 5), (5, 10), (6, 10), (7, 9), (8, 9)]
    assert crossings(columns, links) == 6 + 4
    assert crossings(charts.column_order(columns, links), links) == 0


def test_a_node_without_neighbours_keeps_its_place():
    # 4 ties with 3 at the middle (0.5) and stays below it; 2 has no contributor and stays first
    assert charts.column_order([[1], [2, 3, 4]], [(1, 4)]) == [[1], [2, 3, 4]]
    assert charts.column_order([[1, 2], [3]], []) == [[1, 2], [3]]


def test_labels_are_cut_with_an_ellipsis_and_escaped():
    assert charts._cut("Customers get a price while still on the page", 20, 2) == (
        "Customers get a<br>price while still o…"
    )
    assert charts._cut("<b>short</b>", 20, 1) == "&lt;b&gt;short&lt;/b&gt;"


@pytest.fixture
def chain(organisation):
    data = small_chain(organisation)
    return data, selectors.chain(organisation=organisation)


def _points(figure):
    """{node URL: (trace, index)} of the visible node traces."""
    found = {}
    for trace in figure["data"]:
        if trace.get("mode") == "markers+text":
            for i, url in enumerate(trace["customdata"]):
                found[url] = (trace, i)
    return found


def test_each_node_is_a_point_in_its_level_column_that_links_to_its_page(
    chain, django_assert_num_queries
):
    data, rows = chain
    with django_assert_num_queries(0):
        figure = charts.chain_figure(rows)
    points = _points(figure)
    assert len(points) == 6
    trace, i = points[f"/chain/nodes/{data['outcome'].pk}/"]
    assert trace["x"][i] == pytest.approx(2.03)  # the third column: outcomes
    assert trace["marker"]["color"] == charts.STATUS_COLOURS["off_track"]
    hover = trace["hovertext"][i]
    assert "Fast Quote: 45 s" in hover and "leading" in hover and "off track" in hover
    trace, i = points[f"/chain/nodes/{data['impact'].pk}/"]
    assert trace["x"][i] == pytest.approx(3.03)
    assert trace["marker"]["color"] == charts.STATUS_COLOURS["on_track"]
    assert "lagging" in trace["hovertext"][i]
    headings = [a["text"] for a in figure["layout"]["annotations"]]
    assert headings[2] == "<b>Outcomes · leading</b> (1)"
    assert headings[3] == "<b>Impact · lagging</b> (1)"


def test_an_unmeasured_link_has_a_dotted_border_and_says_so(chain):
    data, rows = chain
    figure = charts.chain_figure(rows)
    trace, i = _points(figure)[f"/chain/nodes/{data['output'].pk}/"]
    assert "Unmeasured link: no indicator" in trace["hovertext"][i]
    dashes = sorted(shape["line"]["dash"] for shape in figure["layout"]["shapes"])
    assert dashes == ["dot"] * 4 + ["solid"] * 2  # 2 outputs and 2 activities, unmeasured


def test_every_link_is_one_line_from_box_to_box(chain):
    _data, rows = chain
    edges = charts.chain_figure(rows)["data"][0]
    assert edges["mode"] == "lines"
    assert edges["x"].count(None) == len(rows.links) == 4


def test_collapsed_levels_drop_their_columns(organisation):
    small_chain(organisation)
    rows = selectors.chain(organisation=organisation, levels=["outcome", "impact"])
    figure = charts.chain_figure(rows, levels=["outcome", "impact"])
    assert [a["text"] for a in figure["layout"]["annotations"]] == [
        "<b>Outcomes · leading</b> (1)",
        "<b>Impact · lagging</b> (1)",
    ]
    assert figure["data"][0]["x"].count(None) == 1  # only outcome -> impact is left


def test_the_height_grows_with_the_tallest_column(organisation):
    from tests.outcomes.pages_data import large_chain

    large_chain(organisation, activities=60, outputs=20, outcomes=10, impacts=4, fan=2)
    figure = charts.chain_figure(selectors.chain(organisation=organisation))
    # dense: 26 px a row and one line a label, plus 34 + 8 px of margins and 18 px of room
    assert figure["layout"]["height"] == 60 * 26 + 60
    labels = [t for t in figure["data"] if t.get("mode") == "markers+text"]
    assert labels and all("<br>" not in text for t in labels for text in t["text"])


def test_a_hidden_level_leaves_a_dotted_arrow_that_says_what_it_runs_through(organisation):
    # Outputs hidden: the launch led to the outcome only through "Quote engine live".
    small_chain(organisation)
    shown = ["activity", "outcome", "impact"]
    figure = charts.chain_figure(
        selectors.chain(organisation=organisation, levels=shown), levels=shown
    )

    lines, markers = [t for t in figure["data"] if t["name"] == "through hidden levels"]
    assert lines["mode"] == "lines" and lines["line"]["dash"] == "dot"
    assert lines["x"].count(None) == 1  # one pair, one arrow
    assert lines["line"]["color"] == charts.INDIRECT_COLOUR != charts.EDGE_COLOUR
    [hover] = markers["hovertext"]
    assert hover.startswith("<b>Launch instant online quote → Customers get a price")
    assert "Not a direct arrow: through 1 hidden output" in hover
    # the direct arrow outcome -> impact is still drawn as one
    assert figure["data"][2]["name"] == "contributes to"
    assert figure["data"][2]["x"].count(None) == 1


def test_through_label_counts_each_hidden_level_in_words():
    assert charts.through_label((("output", 2),)) == "through 2 hidden outputs"
    assert charts.through_label((("activity", 1), ("outcome", 3))) == (
        "through 1 hidden activity, 3 hidden outcomes"
    )


def test_every_hover_ends_with_the_translated_click_line(chain):
    _data, rows = chain
    figure = charts.chain_figure(rows)
    hovers = [h for t in figure["data"] if "hovertext" in t for h in t["hovertext"]]
    assert hovers and all(h.endswith("<i>Click to open</i>") for h in hovers)
