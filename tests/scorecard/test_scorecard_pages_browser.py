"""A manager reads the scorecard in Chromium: the bands, the strategy map, a click on an
objective, its page with its charts. Marked e2e (run with `pytest -m e2e`), like tests/e2e."""

import os
from pathlib import Path

import pytest

from accounts.models import Role
from accounts.services import create_user
from scorecard.models import Objective
from tests.scorecard.scorecard_data import small_scorecard

# Playwright's sync API runs an event loop in this thread; Django's ORM calls are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PASSWORD = "s3cret-pass!"


@pytest.fixture
def page():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        yield tab
        browser.close()


def test_a_manager_reads_the_scorecard_opens_the_map_and_clicks_an_objective(
    page, live_server, organisation, api
):
    scorecard, _found = small_scorecard(organisation, api)
    create_user(organisation=organisation, username="mia", role=Role.VIEWER, password=PASSWORD)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "mia")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/scorecards/{scorecard.pk}/")
    headings = page.locator(".sc-band h2").all_inner_texts()
    assert headings == ["Financial", "Customer", "Internal process", "Learning and growth"]
    assert "I get a price while I am still on the page" in page.inner_text(".kind-customer")
    assert "Level 3 of 4" in page.inner_text(".sc-maturity")

    page.click("text=Strategy map")
    page.wait_for_selector(".sc-map-plot svg.main-svg")
    engine = Objective.objects.get(title="Quote engine always up")
    point = page.evaluate(
        """(title) => {
            const gd = document.querySelector('.plot.sc-map-plot');
            const trace = gd.data.find(t => t.mode === 'text' && t.text.some(x => x.startsWith(title)));
            const i = trace.text.findIndex(x => x.startsWith(title));
            const size = gd._fullLayout._size, box = gd.getBoundingClientRect();
            return {x: box.left + size.l + gd._fullLayout.xaxis.d2p(trace.x[i]),
                    y: box.top + size.t + gd._fullLayout.yaxis.d2p(trace.y[i])};
        }""",
        "Quote engine always up",
    )
    page.mouse.move(point["x"], point["y"])
    page.wait_for_selector(".hoverlayer .hovertext")
    assert "Engine Up" in page.locator(".hoverlayer").text_content()
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(f"{live_server.url}/scorecards/objectives/{engine.pk}/")
    assert page.locator("h1").inner_text() == "Quote engine always up"
    page.wait_for_selector(".sc-trend svg.main-svg")
    page.wait_for_selector(".sc-objective-measures .plot.small svg.main-svg")
