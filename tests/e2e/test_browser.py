"""What a person sees in Chromium: sign in, languages, the chart, the upload round trip."""

import pytest

from accounts.models import Role
from accounts.services import create_user
from indicators.models import Target
from indicators.services import ingest_measurements
from tests.factories import IndicatorFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "s3cret-pass!"


@pytest.fixture
def data(organisation):
    create_user(organisation=organisation, username="anna", role=Role.ANALYST, password=PASSWORD)
    indicator = IndicatorFactory(
        organisation=organisation,
        code="fast_quote",
        name="Fast Quote",
        band_low=20,
        band_high=50,
        action_below="learn",
        action_above="fix",
        period="month",
    )
    Target.objects.create(indicator=indicator, valid_from="2026-01-01", value=30)
    ingest_measurements(
        organisation=organisation,
        items=[
            {
                "indicator": "fast_quote",
                "observed_at": f"2026-{m:02d}-10",
                "value": 20.0 + 9 * m,
                "segment": {"channel": "web" if m % 2 else "shop"},
            }
            for m in range(1, 7)
        ],
    )
    return indicator


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")


def test_sign_in_switch_language_and_see_the_chart(page, live_server, data, screenshot):
    sign_in(page, live_server)
    page.wait_for_selector(".plot.small svg.main-svg")
    assert page.locator("h1").inner_text() == "Dashboard"
    screenshot(page, "dashboard")

    page.select_option("#language", "sv")
    page.wait_for_selector("h1:has-text('Översikt')")
    assert page.locator("nav.main").inner_text().count("Nyckeltal") == 1

    page.select_option("#language", "fi")
    page.wait_for_selector("h1:has-text('Yleiskatsaus')")
    assert "Mittarit" in page.locator("nav.main").inner_text()

    page.select_option("#language", "en")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.click(".tile-name:has-text('Fast Quote')")  # not a "needs action" item
    page.wait_for_selector("#values .plot svg.main-svg")
    assert page.locator("#values .plot .scatterlayer .trace").count() >= 3  # band, target, values
    assert page.locator("table.values tbody tr").count() == 6
    page.select_option("select[name=period]", "quarter")
    page.wait_for_selector("td.period:has-text('Q2 2026')")
    page.wait_for_selector("#values .plot svg.main-svg")
    screenshot(page, "detail")


def test_upload_with_a_bad_row_fix_and_confirm(page, live_server, data, screenshot, tmp_path):
    sign_in(page, live_server)
    bad = tmp_path / "values.csv"
    bad.write_text(
        "indicator;observed_at;value\nfast_quote;2026-07-10;41,5\nfast_quote;2026-07-11;lots\n",
        encoding="cp1252",
    )
    page.goto(f"{live_server.url}/upload/")
    page.set_input_files("input[type=file]", str(bad))
    page.click("button:has-text('Check the file')")
    page.wait_for_selector("table.errors")
    assert "Not a number" in page.locator("table.errors").inner_text()
    assert page.locator("button:has-text('Confirm and save')").count() == 0
    screenshot(page, "upload-errors")

    bad.write_text(
        "indicator;observed_at;value\nfast_quote;2026-07-10;41,5\nfast_quote;2026-07-11;43,5\n",
        encoding="cp1252",
    )
    page.set_input_files("input[type=file]", str(bad))
    page.click("button:has-text('Check the file')")
    page.wait_for_selector("button:has-text('Confirm and save')")
    assert page.locator("strong.created").inner_text() == "2"
    screenshot(page, "upload-preview")
    page.click("button:has-text('Confirm and save')")
    page.wait_for_url(f"{live_server.url}/indicators/fast_quote/")
    page.wait_for_selector("td.period:has-text('July 2026')")
    row = page.locator("table.values tbody tr").first.inner_text()
    assert "42.5" in row  # the mean of 41.5 and 43.5
    assert "created" in page.locator(".messages").inner_text()
