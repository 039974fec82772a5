"""What an analyst sees in Chromium: add an activity from an output's links and link it upward,
the level rule's error on the field, and the delete page that lists the contributors."""

import re

import pytest

from accounts.models import Role
from accounts.services import create_user
from outcomes.models import ChainLink, ChainNode
from outcomes.services import create_initiative, create_node
from tests.factories import IndicatorFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "s3cret-pass!"


@pytest.fixture
def chain(organisation):
    create_user(organisation=organisation, username="anna", role=Role.ANALYST, password=PASSWORD)
    IndicatorFactory(organisation=organisation, code="fast_quote", name="Fast Quote")
    IndicatorFactory(organisation=organisation, code="quotes_sent", name="Quotes sent")
    quote = create_initiative(organisation=organisation, data={"title": "Instant online quote"})
    impact = create_node(
        organisation=organisation, data={"level": "impact", "title": "New customers"}
    )
    outcome = create_node(
        organisation=organisation,
        data={"level": "outcome", "title": "Customers get a price while still on the page",
              "contributes_to": [impact]},
    )  # fmt: skip
    output = create_node(
        organisation=organisation,
        data={"level": "output", "title": "Quote engine live", "initiative": quote,
              "contributes_to": [outcome]},
    )  # fmt: skip
    return {"quote": quote, "impact": impact, "outcome": outcome, "output": output}


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")


def test_an_analyst_adds_an_activity_and_links_it_upward(page, live_server, chain, screenshot):
    sign_in(page, live_server)
    output = chain["output"]
    page.goto(f"{live_server.url}/chain/nodes/{output.pk}/links/")
    screenshot(page, "chain_edit_links")
    page.click("text=Add an activity that contributes to this")

    # prefilled: the level, the output's initiative, the output ticked; only nodes above shown
    assert page.locator("#id_level").input_value() == "activity"
    assert page.locator("#id_initiative").input_value() == str(chain["quote"].pk)
    assert page.locator(f"input[name=contributes_to][value='{output.pk}']").is_checked()
    assert page.locator(".target-group[data-rank='1']").is_visible()
    page.fill("#id_title", "Launch instant online quote")
    page.select_option("#id_indicators-0-indicator", "fast_quote")
    page.fill("#id_indicators-0-weight", "0,5")
    page.click("text=Add an indicator row")
    page.click("text=Add an indicator row")
    page.select_option("#id_indicators-3-indicator", "quotes_sent")  # the 4th row, added
    screenshot(page, "chain_edit_node_form")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/chain/nodes/\d+/$"))

    activity = ChainNode.objects.get(title="Launch instant online quote")
    assert list(activity.contributes_to.all()) == [output]
    weights = {m.indicator.code: m.weight for m in activity.measures.all()}
    assert weights == {"fast_quote": 0.5, "quotes_sent": 1.0}
    page.goto(f"{live_server.url}/chain/nodes/{activity.pk}/links/")
    links = page.locator("#links")
    assert links.get_by_role("link", name="output: Quote engine live").is_visible()
    screenshot(page, "chain_edit_links_of_the_new_activity")


def test_the_level_follows_the_choice_and_a_wrong_link_is_explained(
    page, live_server, chain, screenshot
):
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/chain/nodes/new/")
    page.select_option("#id_level", "outcome")
    assert not page.locator(".target-group[data-rank='1']").is_visible()  # outputs hidden
    assert page.locator(".target-group[data-rank='3']").is_visible()
    page.select_option("#id_level", "activity")
    page.fill("#id_title", "Train agents in first-contact resolution")
    page.click("button.primary")
    page.wait_for_selector(".field-error")
    assert page.locator(".field.has-error #id_initiative").count() == 1
    assert "An activity belongs to an initiative: choose one." in page.content()
    screenshot(page, "chain_edit_node_form_error")


def test_the_delete_page_lists_the_contributors_and_needs_the_tick(
    page, live_server, chain, screenshot
):
    sign_in(page, live_server)
    outcome = chain["outcome"]
    page.goto(f"{live_server.url}/chain/nodes/{outcome.pk}/delete/")
    assert page.locator(".delete-list").first.get_by_text("Quote engine live").is_visible()
    page.click("button.danger")
    page.wait_for_selector(".field-error")
    screenshot(page, "chain_edit_delete_refused")
    assert ChainNode.objects.filter(pk=outcome.pk).exists()
    page.check("#id_confirm")
    page.click("button.danger")
    page.wait_for_url(re.compile(r"/chain/$"))
    assert not ChainNode.objects.filter(pk=outcome.pk).exists()
    assert not ChainLink.objects.filter(target=chain["impact"]).exists()


def test_the_initiative_form(page, live_server, chain, screenshot):
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/initiatives/new/")
    page.fill("#id_title", "Careful delivery")
    page.fill("#id_start", "2026-06-01")
    page.fill("#id_end", "2026-01-01")
    page.fill("#id_budget", "12 500,00")
    page.click("button.primary")
    page.wait_for_selector(".field-error")
    screenshot(page, "chain_edit_initiative_form_error")
    assert "The end comes before the start." in page.content()
