"""A manager reads the scorecard in Chromium: four bands with scores, the customer's voice,
maturity, the strategy map, and a click on an objective that opens its page."""

import os
import shutil
from pathlib import Path

import pytest

from accounts.models import Role
from accounts.services import create_user
from tests.scorecard.scorecard_data import VALUES, progress_of, small_scorecard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "s3cret-pass!"


def _shot(page, screenshot, name):
    screenshot(page, f"scorecard-{name}")
    target = os.environ.get("E2E_SHOTS_DIR")
    if target:
        source = Path(__file__).parent / "screenshots" / f"scorecard-{name}.png"
        shutil.copy(source, Path(target) / source.name)


def sign_in(page, live_server, organisation, role=Role.VIEWER):
    create_user(organisation=organisation, username="mia", role=role, password=PASSWORD)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "mia")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")


def objective_point(page, url: str) -> dict:
    """Where the strategy map drew the objective whose page is `url` (its first hit point)."""
    return page.evaluate(
        """(url) => {
            const gd = document.querySelector('.plot.sc-map-plot');
            const opens = (link) => typeof link === 'string' && link.startsWith(url);
            const trace = gd.data.find(t => t.mode === 'text' && (t.customdata || []).some(opens));
            const i = trace.customdata.findIndex(opens);
            const size = gd._fullLayout._size, box = gd.getBoundingClientRect();
            return {x: box.left + size.l + gd._fullLayout.xaxis.d2p(trace.x[i]),
                    y: box.top + size.t + gd._fullLayout.yaxis.d2p(trace.y[i])};
        }""",
        url,
    )


def test_a_manager_reads_the_scorecard_and_opens_an_objective_from_the_strategy_map(
    page, live_server, organisation, api, screenshot
):
    scorecard, _found = small_scorecard(organisation, api)
    customer = scorecard.perspectives.get(kind="customer").objectives.get()
    sign_in(page, live_server, organisation)

    page.goto(f"{live_server.url}/scorecards/")
    page.click(f"text={scorecard.name}")
    page.wait_for_url(f"**/scorecards/{scorecard.pk}/*")
    bands = page.locator(".sc-band h2").all_inner_texts()
    assert bands == ["Financial", "Customer", "Internal process", "Learning and growth"]
    # the latest complete month, worked by hand: fast quote (weight 2) and NPS (weight 1)
    latest = {code: values[-2] for code, values in VALUES.items()}
    score = (
        2 * progress_of("fast_quote", latest["fast_quote"]) + progress_of("nps", latest["nps"])
    ) / 3
    band = page.locator(".sc-band.kind-customer")
    assert band.locator(".sc-band-score").inner_text() == f"{round(score * 100)} %"
    assert "I get a price while I am still on the page" in band.locator(".sc-voice").inner_text()
    assert "3" in page.locator(".sc-panels").inner_text()  # maturity level 3 of 4
    _shot(page, screenshot, "page")

    page.click("text=Strategy map")
    page.wait_for_selector(".plot.sc-map-plot svg.main-svg")
    _shot(page, screenshot, "map")
    url = f"/scorecards/objectives/{customer.pk}/"
    point = objective_point(page, url)
    page.mouse.move(point["x"], point["y"])
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(f"**{url}*")
    assert page.locator("h1").inner_text().startswith("Price while still on the page")
    page.wait_for_selector(".plot svg.main-svg")
    _shot(page, screenshot, "objective")
