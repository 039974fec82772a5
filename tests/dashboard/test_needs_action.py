"""The dashboard's "needs action" panel: open corrective and learning items counted and linked to
the inbox, the biggest misses and the oldest items, the indicators waiting for data, and a query
count flat in the number of deviations and indicators."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators.models import Deviation
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


def deviation(indicator, month: int, kind="corrective", state="open", miss=0.5, days_open=1):
    return Deviation.objects.create(
        indicator=indicator,
        period="month",
        period_start=date(2026, month, 1),
        kind=kind,
        state=state,
        value=1.0,
        miss=miss,
        opened_at=timezone.now() - timedelta(days=days_open),
    )


def panel(client) -> str:
    page = client.get(reverse("home")).content.decode()
    return page[page.index('class="card needs-action"') : page.index("</section>")]


def counts(html: str) -> dict[str, tuple[str, str]]:
    """{kind: (count, link)} of the panel's count links."""
    found = re.findall(r'<li class="(\w+)"><a href="([^"]+)"><strong>(\d+)</strong>', html)
    return {kind: (count, link.replace("&amp;", "&")) for kind, link, count in found}


def test_counts_of_open_and_acknowledged_items_by_kind_link_to_the_filtered_inbox(
    client, viewer, organisation
):
    claims = IndicatorFactory(organisation=organisation, name="Claims")
    deviation(claims, 1)
    deviation(claims, 2, state="acknowledged")
    deviation(claims, 3, state="closed")
    deviation(claims, 4, kind="learning")
    deviation(claims, 5, kind="learning", state="resolved_by_data")
    deviation(claims, 6, kind="learning", state="closed")
    client.force_login(viewer)
    # corrective: open + acknowledged = 2; learning: 1 open (resolved and closed do not count)
    assert counts(panel(client)) == {
        "corrective": ("2", "/deviations/?kind=corrective&state=open"),
        "learning": ("1", "/deviations/?kind=learning&state=open"),
        "waiting": ("0", "#waiting-for-data"),
    }


def test_the_biggest_misses_and_the_oldest_items_come_first(client, viewer, organisation):
    claims = IndicatorFactory(organisation=organisation, name="Claims")
    deviation(claims, 1, miss=0.2, days_open=30)
    deviation(claims, 2, miss=1.5, days_open=2)
    deviation(claims, 3, miss=0.7, days_open=10, kind="learning")
    deviation(claims, 4, miss=0.1, days_open=1)
    deviation(claims, 5, miss=9.0, days_open=60, state="closed")  # handled: not listed
    client.force_login(viewer)
    html = panel(client)
    biggest = html[html.index("Biggest misses") : html.index("Waiting longest")]
    oldest = html[html.index("Waiting longest") : html.index("Waiting for data")]
    months = re.compile(r"Claims, (\w+) 2026")
    assert months.findall(biggest) == ["February", "March", "January"]  # 1.5, 0.7, 0.2
    assert months.findall(oldest) == ["January", "March", "February"]  # 30, 10, 2 days
    assert "1.5 × band width outside" in biggest and "open for 1\xa0month" in oldest
    link = re.search(r'<a href="(/deviations/\d+/)">Claims, February', biggest).group(1)
    assert link == f"/deviations/{Deviation.objects.get(period_start='2026-02-01').pk}/"


def test_stale_indicators_wait_for_data_with_their_owner(client, viewer, analyst, organisation):
    from indicators.services import ingest_measurements, recompute_dirty

    IndicatorFactory(organisation=organisation, code="late", name="Late", owner_user=analyst)
    IndicatorFactory(organisation=organisation, code="never", name="Never Measured")
    ingest_measurements(
        organisation=organisation,
        items=[{"indicator": "late", "observed_at": "2025-06-15", "value": 3}],
    )
    recompute_dirty()
    client.force_login(viewer)
    html = panel(client)
    waiting = html[html.index('id="waiting-for-data"') :]
    assert "Late" in waiting and "stale: no value since June 2025" in waiting
    assert "owner anna" in waiting
    assert "Never Measured" not in waiting  # no data is not stale
    assert counts(html)["waiting"][0] == "1"
    page = client.get(reverse("home")).content.decode()
    tile = page[page.rindex("<article", 0, page.rindex(">Late</a>")) :]
    tile = tile[: tile.index("</article>")]
    # No target: its value has no status of its own; stale all the same, not "no assessment"
    assert "stale: no value since June 2025" in tile and "no assessment" not in tile


def test_the_query_count_is_flat_in_deviations_and_indicators(
    client, viewer, organisation, django_assert_max_num_queries
):
    client.force_login(viewer)
    first = IndicatorFactory(organisation=organisation, code="first")
    deviation(first, 1)
    with django_assert_max_num_queries(9) as few:
        client.get(reverse("home"))
    for n in range(10):
        more = IndicatorFactory(organisation=organisation, code=f"more_{n}")
        for month in range(1, 4):
            deviation(more, month, kind=("corrective", "learning")[month % 2], miss=n + month)
    with django_assert_max_num_queries(9) as many:
        html = panel(client)
    # corrective: 1 + 10 x month 2; learning: 10 x months 1 and 3
    assert (counts(html)["corrective"][0], counts(html)["learning"][0]) == ("11", "20")
    assert len(many.captured_queries) == len(few.captured_queries)
