"""The dashboard's "Automatic measurement" panel: states in words and colours, the failing ones
with their owner and last message, the empty state, and a fixed, small query count."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.services import create_user
from connectors.models import Run
from tests.factories import IndicatorFactory


@pytest.fixture(autouse=True)
def connector_routes(settings):
    settings.ROOT_URLCONF = "tests.connectors.connector_urls"


@pytest.fixture
def admin(organisation):
    return create_user(organisation=organisation, username="ada", role=Role.ADMIN)


def home(client, user):
    client.force_login(user)
    return client.get(reverse("home"))


def panel_html(response) -> str:
    html = response.content.decode()
    found = re.search(
        r'<section class="card needs-action connector-panel".*?</section>', html, re.S
    )
    return found.group(0) if found else ""


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def failed_run(connector, message, minutes_ago=5):
    started = timezone.now() - timedelta(minutes=minutes_ago)
    return Run.objects.create(
        connector=connector,
        trigger="schedule",
        status="failed",
        started_at=started,
        finished_at=started,
        message=message,
    )


def test_without_connectors_an_admin_sees_how_to_start_and_a_viewer_sees_nothing(
    client, organisation, admin, viewer
):
    IndicatorFactory(organisation=organisation, code="quotes")
    assert panel_html(home(client, viewer)) == ""
    panel = panel_html(home(client, admin))
    assert "Nothing arrives by itself yet — set up a connector" in text(panel)
    assert 'href="/connectors/"' in panel and "Set up a connector" in panel


def test_the_empty_state_shows_without_indicators_too(client, organisation, admin):
    assert "Nothing arrives by itself yet" in text(panel_html(home(client, admin)))


def test_the_panel_says_what_works_what_fails_and_what_is_paused(
    client, organisation, admin, viewer, make_connector
):
    IndicatorFactory(organisation=organisation, code="quotes")
    olga = create_user(organisation=organisation, username="olga", role=Role.ANALYST)
    olga.first_name, olga.last_name = "Olga", "Owner"
    olga.save()
    ok = make_connector("sql", code="crm", name="CRM", last_success_at=timezone.now())
    started = timezone.now() - timedelta(hours=3)
    Run.objects.create(
        connector=ok,
        trigger="schedule",
        status="succeeded",
        rows=4,
        started_at=started,
        finished_at=started,
    )
    sheet = make_connector("file", code="sheet", name="Budget sheet", owner=olga, failures_in_row=3)
    failed_run(sheet, "HTTP 503 from https://files.example/budget.xlsx")
    make_connector("sql", code="old", name="Old CRM", paused=True)
    make_connector("sql", code="orphan", name="Orphan", failures_in_row=1)

    panel = panel_html(home(client, viewer))  # everyone sees the panel once there are connectors
    words = text(panel)
    assert "Automatic measurement 4" in words
    assert '<span class="pill better">1 working</span>' in panel
    assert '<span class="pill worse">1 failing</span>' not in panel  # two are failing
    assert '<span class="pill worse">2 failing</span>' in panel
    assert '<span class="pill">1 paused</span>' in panel
    assert "Data last arrived by itself 3 hours ago." in words
    assert (
        "Budget sheet failed 3 times in a row · owner: Olga Owner "
        "HTTP 503 from https://files.example/budget.xlsx" in words
    )
    assert "Orphan failed 1 time in a row · no owner to tell" in words
    assert 'href="/connectors/sheet/"' in panel and 'href="/connectors/"' in panel
    # Worst streak first.
    assert words.index("Budget sheet") < words.index("Orphan")


def test_all_working_and_nothing_delivered_yet(client, organisation, viewer, make_connector):
    make_connector("sql", code="crm", name="CRM")
    words = text(panel_html(home(client, viewer)))
    assert "1 working" in words and "failing" not in words and "paused" not in words
    assert "Nothing has arrived by itself yet." in words


def test_the_panel_costs_no_query_without_connectors_and_one_with_any_number(
    client, organisation, viewer, make_connector, django_assert_max_num_queries
):
    IndicatorFactory(organisation=organisation, code="quotes")
    client.force_login(viewer)
    with django_assert_max_num_queries(16) as without:
        client.get(reverse("home"))
    make_connector("sql", code="c0", failures_in_row=1)
    with django_assert_max_num_queries(17) as one:
        client.get(reverse("home"))
    owner = create_user(organisation=organisation, username="olga", role=Role.ANALYST)
    for n in range(1, 8):
        connector = make_connector("sql", code=f"c{n}", owner=owner, failures_in_row=n % 3)
        failed_run(connector, f"failure {n}")
    with django_assert_max_num_queries(17) as many:
        response = client.get(reverse("home"))
    assert len(one.captured_queries) == len(without.captured_queries) + 1
    assert len(many.captured_queries) == len(one.captured_queries)
    assert response.context["connectors"]["failing"] == 6  # c0 and n % 3 != 0 for n in 1..7
    assert len(response.context["connectors"]["failing_rows"]) == 5
    assert "and 1 more failing" in text(panel_html(response))
