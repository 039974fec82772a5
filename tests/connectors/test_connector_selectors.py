"""Connector reads: the list with each last run, one by code, the run log, the dashboard's
health summary and the indicator page's sources."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.services import create_user
from connectors import selectors
from connectors.models import Feed, Run
from core.errors import NotFound
from tests.factories import IndicatorFactory


@pytest.fixture(autouse=True)
def connector_routes(settings):
    settings.ROOT_URLCONF = "tests.connectors.connector_urls"


NOW = timezone.now()


def run(connector, minutes_ago, status="succeeded", **fields):
    started = NOW - timedelta(minutes=minutes_ago)
    return Run.objects.create(
        connector=connector,
        trigger=fields.pop("trigger", "schedule"),
        status=status,
        started_at=started,
        finished_at=started + timedelta(seconds=30),
        **fields,
    )


def test_connectors_of_lists_the_organisations_connectors_each_with_its_last_run(
    organisation, other_organisation, make_connector, django_assert_num_queries
):
    crm = make_connector("sql", code="crm", name="CRM")
    sheet = make_connector("file", code="sheet", name="Budget sheet")
    make_connector("sql", code="crm", name="Theirs", organisation=other_organisation)
    run(crm, 60, rows=5)
    newest = run(crm, 10, status="failed", message="timed out")
    run(sheet, 5, dry_run=True)
    with django_assert_num_queries(2):
        rows = list(selectors.connectors_of(organisation))
        last = {c.code: [r.pk for r in c.last_runs] for c in rows}
    assert [c.name for c in rows] == ["Budget sheet", "CRM"]
    assert last == {"crm": [newest.pk], "sheet": [Run.objects.get(connector=sheet).pk]}


def test_connectors_of_costs_the_same_whatever_the_number_of_connectors(
    organisation, make_connector, django_assert_num_queries
):
    owner = create_user(organisation=organisation, username="olga", role=Role.ADMIN)
    for n in range(6):
        connector = make_connector("sql", code=f"c{n}", owner=owner)
        run(connector, n)
    with django_assert_num_queries(2):
        assert {c.owner.username for c in selectors.connectors_of(organisation)} == {"olga"}


def test_connector_by_code_is_scoped_to_the_organisation(
    organisation, other_organisation, make_connector
):
    make_connector("sql", code="theirs", organisation=other_organisation)
    ours = make_connector("sql", code="ours")
    assert selectors.connector_by_code(organisation, "ours") == ours
    with pytest.raises(NotFound):
        selectors.connector_by_code(organisation, "theirs")
    with pytest.raises(NotFound):
        selectors.connector_by_code(organisation, "nothing")


def test_runs_of_is_newest_first_by_pages(make_connector):
    crm = make_connector("sql", code="crm")
    other = make_connector("sql", code="other")
    runs = [run(crm, minutes) for minutes in range(30)]  # runs[0] is the newest
    run(other, 0)
    first = selectors.runs_of(crm)
    assert first.paginator.count == 30 and len(first) == 25
    assert [r.pk for r in first] == [r.pk for r in runs[:25]]
    second = selectors.runs_of(crm, page="2")
    assert [r.pk for r in second] == [r.pk for r in runs[25:]]
    assert selectors.runs_of(crm, page="99").number == 2  # past the end: the last page
    assert selectors.runs_of(crm, page="x").number == 1


def test_the_health_summary_counts_states_names_the_failing_and_says_when_data_last_arrived(
    organisation, other_organisation, make_connector, django_assert_num_queries
):
    owner = create_user(organisation=organisation, username="olga", role=Role.ADMIN)
    ok = make_connector("sql", code="ok")
    run(ok, 90, rows=10)  # the last delivery
    run(ok, 30, rows=0)  # succeeded with nothing new: no delivery
    run(ok, 20, rows=8, dry_run=True)  # a dry run delivers nothing
    failing = make_connector("file", code="sheet", name="Sheet", owner=owner, failures_in_row=3)
    run(failing, 200, rows=4)
    run(failing, 50, status="failed", message="HTTP 500 from the server")
    run(failing, 40, status="failed", message="a dry run's failure", dry_run=True)
    make_connector("sql", code="worse", name="Worse", failures_in_row=5)
    make_connector("sql", code="paused", paused=True, failures_in_row=2)
    make_connector("webhook", code="never")  # never run: ok
    make_connector("sql", code="x", organisation=other_organisation, failures_in_row=9)
    with django_assert_num_queries(1):
        health = selectors.health_summary(organisation)
        names = [(c.name, c.last_message, c.owner) for c in health.failing_connectors]
    assert (health.total, health.ok, health.failing, health.paused) == (5, 2, 2, 1)
    assert names == [("Worse", None, None), ("Sheet", "HTTP 500 from the server", owner)]
    assert health.last_delivered_at == NOW - timedelta(minutes=90) + timedelta(seconds=30)


def test_an_organisation_without_connectors_is_all_zeros(organisation):
    health = selectors.health_summary(organisation)
    assert (health.total, health.failing_connectors, health.last_delivered_at) == (0, [], None)


def test_sources_of_an_indicator_are_the_connectors_that_fed_it(organisation, make_connector):
    now = timezone.now()  # the words are "… ago" from now: not from when the module loaded
    quotes = IndicatorFactory(organisation=organisation, code="quotes")
    other = IndicatorFactory(organisation=organisation, code="other")
    crm = make_connector("sql", code="crm", name="CRM daily quotes")
    sheet = make_connector("file", code="sheet", name="Budget", failures_in_row=3)
    hook = make_connector("webhook", code="hook", name="Zap", paused=True)
    unrelated = make_connector("sql", code="unrelated", name="Unrelated")
    Feed.objects.create(connector=crm, indicator=quotes, last_delivered_at=now - timedelta(hours=2))
    Feed.objects.create(
        connector=sheet, indicator=quotes, last_delivered_at=now - timedelta(days=3)
    )
    Feed.objects.create(connector=hook, indicator=quotes, last_delivered_at=now - timedelta(days=1))
    Feed.objects.create(connector=unrelated, indicator=other, last_delivered_at=now)
    sources = selectors.sources_of(quotes)
    assert [(s.label, s.url, s.state) for s in sources] == [
        ("File pull: Budget", "/connectors/sheet/", "failing"),
        ("SQL pull: CRM daily quotes", "/connectors/crm/", "ok"),
        ("Inbound webhook: Zap", "/connectors/hook/", "paused"),
    ]
    assert [s.detail for s in sources] == [
        "failed 3 times in a row, last delivered 3\xa0days ago",
        "last delivered 2\xa0hours ago",
        "paused, last delivered 1\xa0day ago",
    ]
    assert selectors.sources_of(IndicatorFactory(organisation=organisation, code="new")) == []


def test_the_connectors_app_registers_its_sources_for_the_indicator_page(
    organisation, make_connector
):
    from indicators.sources import sources_of

    quotes = IndicatorFactory(organisation=organisation, code="quotes")
    crm = make_connector("sql", code="crm", name="CRM")
    Feed.objects.create(connector=crm, indicator=quotes, last_delivered_at=NOW)
    assert [s.label for s in sources_of(quotes)] == ["SQL pull: CRM"]
