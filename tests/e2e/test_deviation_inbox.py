"""A manager works a deviation in Chromium: the inbox, the deviation page, acknowledge, close."""

import os
import shutil
from pathlib import Path

import pytest

from accounts.models import Role
from accounts.services import create_user
from indicators.models import Deviation
from indicators.services import ingest_measurements
from tests.factories import IndicatorFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "s3cret-pass!"


@pytest.fixture
def data(organisation):
    """Queue time, lower is better, band 10..30: ten steady months then 42 (a real change,
    corrective); claims alternate 5 and 35 (outside, but within normal variation)."""
    anna = create_user(
        organisation=organisation, username="anna", role=Role.ANALYST, password=PASSWORD
    )
    for code, name, series in (
        ("queue_time", "Queue time", [20, 21, 19, 20, 21, 19, 20, 21, 19, 20, 42]),
        ("claims", "Claims handled late", [5, 35, 5, 35]),
    ):
        IndicatorFactory(
            organisation=organisation,
            code=code,
            name=name,
            band_low=10.0,
            band_high=30.0,
            action_above="Add a second line at the call centre",
            action_below="Find out what made this possible",
            owner_user=anna,
        )
        ingest_measurements(
            organisation=organisation,
            items=[
                {"indicator": code, "observed_at": f"2025-{m + 1:02d}-05", "value": float(v)}
                for m, v in enumerate(series)
            ],
        )
    return Deviation.objects.get(indicator__code="queue_time")


def _shot(page, screenshot, name):
    screenshot(page, f"deviations-{name}")
    target = os.environ.get("E2E_SHOTS_DIR")
    if target:
        source = Path(__file__).parent / "screenshots" / f"deviations-{name}.png"
        shutil.copy(source, Path(target) / source.name)


def test_a_manager_acknowledges_then_closes_a_deviation_with_a_note(
    page, live_server, data, screenshot
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/deviations/")
    corrective = page.locator("section.inbox-column.corrective")
    assert corrective.locator("h2 .count").inner_text() == "3"
    assert page.locator("section.inbox-column.learning h2 .count").inner_text() == "2"
    item = page.locator(f'article[data-deviation="{data.pk}"]')
    assert "Outside the band and a real change" in item.inner_text()
    assert "0.6 band widths above the band" in item.inner_text()
    _shot(page, screenshot, "inbox")

    item.locator("header a").click()
    page.wait_for_url(f"{live_server.url}/deviations/{data.pk}/")
    page.wait_for_selector(".plot svg.main-svg")
    assert "Add a second line at the call centre" in page.inner_text(".deviation-facts")
    _shot(page, screenshot, "page-open")

    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector(".message:has-text('The deviation was updated.')")
    assert page.inner_text("[data-state]") == "acknowledged"

    page.click("button:has-text('Close with this note')")  # no note yet: refused
    page.wait_for_selector("text=Closing a deviation needs a note")
    page.fill("textarea", "Second line opened on 3 November; queue back to 20 s.")
    page.click("button:has-text('Close with this note')")
    page.wait_for_selector(".message:has-text('The deviation was updated.')")
    assert page.inner_text("[data-state]") == "closed"
    history = page.inner_text("ol.history")
    assert "acknowledged → closed" in history
    assert "Second line opened on 3 November" in history
    _shot(page, screenshot, "page-closed")

    data.refresh_from_db()
    assert (data.state, data.note) == (
        "closed",
        "Second line opened on 3 November; queue back to 20 s.",
    )
    steps = list(data.history.values_list("by__username", "old_state", "new_state"))
    assert steps == [
        (None, "", "open"),
        ("anna", "open", "acknowledged"),
        ("anna", "acknowledged", "closed"),
    ]
