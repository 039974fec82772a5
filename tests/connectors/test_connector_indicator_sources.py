"""The indicator page's "where the numbers come from": each connector that feeds it, linked,
coloured by state, with its detail; nothing at all without sources."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connectors.models import Feed
from tests.factories import IndicatorFactory


@pytest.fixture(autouse=True)
def connector_routes(settings):
    settings.ROOT_URLCONF = "tests.connectors.connector_urls"


def box(client, user, indicator) -> str:
    client.force_login(user)
    html = client.get(reverse("indicator-detail", args=[indicator.code])).content.decode()
    found = re.search(r'<section class="sources".*?</section>', html, re.S)
    return found.group(0) if found else ""


def test_an_indicator_without_sources_shows_no_box(client, viewer, organisation):
    quotes = IndicatorFactory(organisation=organisation, code="quotes")
    client.force_login(viewer)
    html = client.get(reverse("indicator-detail", args=[quotes.code])).content.decode()
    assert "Where the numbers come from" not in html and 'class="card sources"' not in html


def test_the_box_lists_each_feeding_connector_with_its_state(
    client, viewer, organisation, make_connector
):
    quotes = IndicatorFactory(organisation=organisation, code="quotes")
    now = timezone.now()
    for code, name, kind, fields, ago in (
        ("crm", "CRM daily quotes", "sql", {}, timedelta(hours=2)),
        ("sheet", "Budget", "file", {"failures_in_row": 4}, timedelta(days=2)),
        ("zap", "Zap", "webhook", {"paused": True}, timedelta(minutes=5)),
    ):
        connector = make_connector(kind, code=code, name=name, **fields)
        Feed.objects.create(connector=connector, indicator=quotes, last_delivered_at=now - ago)
    html = box(client, viewer, quotes)
    assert "Where the numbers come from" in html
    items = re.findall(r"<li class=\"source source-(\w+)\">(.*?)</li>", html, re.S)
    assert [state for state, _item in items] == ["failing", "ok", "paused"]
    failing, ok, paused = (item for _state, item in items)
    assert '<span class="pill worse">failing</span>' in failing
    assert '<a href="/connectors/sheet/">File pull: Budget</a>' in failing
    assert "failed 4 times in a row, last delivered 2\xa0days ago" in failing
    assert '<span class="pill better">working</span>' in ok
    assert '<a href="/connectors/crm/">SQL pull: CRM daily quotes</a>' in ok
    assert "last delivered 2\xa0hours ago" in ok
    assert '<span class="pill">paused</span>' in paused
    assert "paused, last delivered 5\xa0minutes ago" in paused


def test_a_connector_feeding_another_indicator_is_not_listed(
    client, viewer, organisation, make_connector
):
    quotes = IndicatorFactory(organisation=organisation, code="quotes")
    other = IndicatorFactory(organisation=organisation, code="other")
    crm = make_connector("sql", code="crm", name="CRM")
    Feed.objects.create(connector=crm, indicator=other, last_delivered_at=timezone.now())
    assert box(client, viewer, quotes) == ""
    assert "SQL pull: CRM" in box(client, viewer, other)
