"""A manager reads the results chain in Chromium: the graph, a click on an outcome, its page."""

import os
import shutil
from pathlib import Path

import pytest

from accounts.models import Role
from accounts.services import create_user
from tests.outcomes.pages_data import large_chain, small_chain

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "s3cret-pass!"
SHOTS = Path(__file__).parent / "screenshots"


def _shot(page, screenshot, name):
    screenshot(page, f"chain-{name}")
    target = os.environ.get("E2E_SHOTS_DIR")
    if target:
        source = Path(__file__).parent / "screenshots" / f"chain-{name}.png"
        shutil.copy(source, Path(target) / source.name)


def sign_in(page, live_server, organisation, role=Role.VIEWER):
    create_user(organisation=organisation, username="mia", role=role, password=PASSWORD)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "mia")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")


def hover_node(page, title: str) -> dict:
    """Hover the node called `title` in the chain graph, where Plotly drew it; its point."""
    point = page.evaluate(
        """(title) => {
            const gd = document.querySelector('.plot.chain-plot');
            const trace = gd.data.find(t => t.mode === 'markers+text'
                && t.text.some(text => text.replace(/<br>/g, ' ').startsWith(title.slice(0, 20))));
            const i = trace.text.findIndex(text => text.replace(/<br>/g, ' ').startsWith(title.slice(0, 20)));
            const size = gd._fullLayout._size, box = gd.getBoundingClientRect();
            return {x: box.left + size.l + gd._fullLayout.xaxis.d2p(trace.x[i] + 0.3),
                    y: box.top + size.t + gd._fullLayout.yaxis.d2p(trace.y[i])};
        }""",
        title,
    )
    page.mouse.move(point["x"], point["y"])
    page.wait_for_selector(".hoverlayer .hovertext")
    return point


def test_a_manager_clicks_an_outcome_in_the_chain_and_lands_on_its_indicators(
    page, live_server, organisation, screenshot
):
    data = small_chain(organisation)
    sign_in(page, live_server, organisation)

    page.click("nav.main >> text=Results chain")
    page.wait_for_url(f"{live_server.url}/chain/")
    page.wait_for_selector(".plot.chain-plot svg.main-svg")
    # outcomes first in the written list, with the leading label and the unmeasured link flagged
    groups = page.locator(".chain-list .level-group h3").all_inner_texts()
    assert groups[0].startswith("Outcome") and "leading" in groups[0]
    assert groups[1].startswith("Impact") and "lagging" in groups[1]
    row = page.locator(f'tr[data-node="{data["output"].pk}"]')
    assert "unmeasured link" in row.inner_text()
    assert "off track" in page.locator(f'tr[data-node="{data["outcome"].pk}"]').inner_text()
    _shot(page, screenshot, "page")

    point = hover_node(page, "Customers get a price while still on the page")
    hover = page.locator(".hoverlayer").text_content()
    assert "Fast Quote: 45 s" in hover and "Status: off track" in hover
    page.locator(".chain-graph").screenshot(path=str(SHOTS / "chain-hover.png"))
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(f"{live_server.url}/chain/nodes/{data['outcome'].pk}/")
    assert page.locator("h1").inner_text() == "Customers get a price while still on the page"
    tile = page.locator(".node-indicators .tile")
    assert tile.locator(".tile-name").inner_text() == "Fast Quote"
    assert "45" in tile.locator(".tile-value").inner_text()
    page.wait_for_selector(".node-indicators .plot.small svg.main-svg")
    assert "New customers" in page.inner_text(".node-links")
    _shot(page, screenshot, "node")

    page.click(".crumbs >> text=Results chain")
    page.select_option("select[name=initiative]", str(data["quote"].pk))
    page.wait_for_url(f"**/chain/?initiative={data['quote'].pk}*")
    page.wait_for_selector(".plot.chain-plot svg.main-svg")
    assert "Train agents" not in page.inner_text(".chain-list")
    page.goto(f"{live_server.url}/initiatives/{data['quote'].pk}/")
    page.wait_for_selector(".plot.chain-plot svg.main-svg")
    _shot(page, screenshot, "initiative")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/chain/")
    page.wait_for_selector(".plot.chain-plot svg.main-svg")
    _shot(page, screenshot, "phone")


def test_a_chain_of_two_hundred_nodes_stays_readable(page, live_server, organisation, screenshot):
    large_chain(organisation, activities=80, outputs=60, outcomes=40, impacts=20, fan=5)
    sign_in(page, live_server, organisation, role=Role.ANALYST)
    page.goto(f"{live_server.url}/chain/")
    page.wait_for_selector(".plot.chain-plot svg.main-svg")
    # the 40 outcomes and 20 impacts are listed; the outputs and activities fold away
    rows = page.locator("table.chain-nodes tbody tr")
    assert rows.count() == 60
    _shot(page, screenshot, "large")
    page.locator(".chain-graph").screenshot(path=str(SHOTS / "chain-large-graph.png"))
    # opening a folded group reads it: its 60 outputs appear under its heading
    page.click("#group-output summary")
    page.wait_for_selector("#group-output table.chain-nodes tbody tr")
    assert page.locator("#group-output table.chain-nodes tbody tr").count() == 60
    page.click("#group-activity summary")
    page.wait_for_selector("#group-activity table.chain-nodes tbody tr")
    assert rows.count() == 200
    _shot(page, screenshot, "large-opened")

    page.goto(f"{live_server.url}/chain/?level=outcome&level=impact")
    page.wait_for_selector(".plot.chain-plot svg.main-svg")
    assert rows.count() == 60
    _shot(page, screenshot, "large-collapsed")
    page.locator(".chain-graph").screenshot(path=str(SHOTS / "chain-large-collapsed-graph.png"))


def test_a_hidden_level_leaves_a_dotted_arrow_that_says_what_it_ran_through(
    page, live_server, organisation, screenshot
):
    data = small_chain(organisation)
    sign_in(page, live_server, organisation)
    page.goto(f"{live_server.url}/chain/?level=activity&level=outcome&level=impact")
    page.wait_for_selector(".plot.chain-plot svg.main-svg")
    assert "1 dotted arrow" in page.inner_text(".arrow-legend")
    point = page.evaluate(
        """() => {
            const gd = document.querySelector('.plot.chain-plot');
            const trace = gd.data.find(t => t.mode === 'markers' && t.name === 'through hidden levels');
            const size = gd._fullLayout._size, box = gd.getBoundingClientRect();
            return {x: box.left + size.l + gd._fullLayout.xaxis.d2p(trace.x[0]),
                    y: box.top + size.t + gd._fullLayout.yaxis.d2p(trace.y[0])};
        }"""
    )
    page.mouse.move(point["x"], point["y"])
    page.wait_for_selector(".hoverlayer .hovertext")
    assert "through 1 hidden output" in page.locator(".hoverlayer").text_content()
    row = page.locator(f'tr[data-node="{data["activity"].pk}"]')
    assert "(through 1 hidden output)" in row.inner_text()
    _shot(page, screenshot, "hidden-level")


def test_an_analyst_sees_how_to_start_an_empty_chain(page, live_server, organisation, screenshot):
    sign_in(page, live_server, organisation, role=Role.ANALYST)
    page.goto(f"{live_server.url}/chain/")
    assert page.locator(".empty h2").inner_text() == "No results chain yet"
    assert (
        page.locator(".empty a.primary").get_attribute("href") == "/chain/nodes/new/?level=impact"
    )
    _shot(page, screenshot, "empty")
