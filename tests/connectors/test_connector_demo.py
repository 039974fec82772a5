"""The connectors' demo part: one connector of each kind, made through the services, with a
month of run history and the indicators they fed, so the pages are not empty; fast.

Counts are checked against the part's own plan: the file pull runs once a day (weekends skipped:
the file has not changed) and the SQL pull every 15 minutes, each with two failed runs."""

from datetime import date, datetime, time, timedelta
from time import monotonic

import pytest

from connectors import secrets as connector_secrets
from connectors.demo.load import DAYS, SIGNING_SECRET, WEBHOOK_TOKEN, load_demo_connectors
from connectors.models import Connector, Feed, Run, RunStatus
from indicators.demo.parts import _parts
from tests.connectors.connector_pages_data import make_admin, use_kind_validators
from tests.factories import IndicatorFactory
from tests.surveys.survey_data import make_survey

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 20)  # a Friday


@pytest.fixture(autouse=True)
def kind_validators(monkeypatch):
    use_kind_validators(monkeypatch)


@pytest.fixture
def loaded(organisation, analyst):
    for code in ("fast_quote", "first_time_resolution", "nothing_broke"):
        IndicatorFactory(organisation=organisation, code=code)
    make_survey(organisation, code="relationship", name="Customer relationship survey")
    people = {"admin": make_admin(organisation), "analyst": analyst}
    began = monotonic()
    line = load_demo_connectors(organisation=organisation, people=people, today=TODAY)
    return line, monotonic() - began, people


def test_the_part_is_registered_with_the_demo():
    assert _parts["connectors"] is load_demo_connectors


def test_the_demo_makes_one_connector_of_each_kind(loaded, organisation):
    line, seconds, people = loaded
    assert seconds < 2.0  # ~0.5 s alone; room for a machine busy with other suites
    by_code = {c.code: c for c in Connector.objects.filter(organisation=organisation)}
    assert sorted(by_code) == ["crm-quotes", "quotes-file", "typeform-nps"]
    hook = by_code["typeform-nps"]
    assert hook.kind == "webhook" and hook.config == {"preset": "typeform"}
    assert hook.target == "responses" and hook.survey.code == "relationship"
    assert hook.owner == people["admin"] and not hook.paused
    assert hook.token_hash == connector_secrets.hash_token(WEBHOOK_TOKEN)
    assert connector_secrets.decrypt(hook.secrets) == {"signing_secret": SIGNING_SECRET}
    file_pull = by_code["quotes-file"]
    assert file_pull.paused and file_pull.schedule == "0 6 * * *"
    assert file_pull.config["url"] == "http://127.0.0.1:8765/measurements.csv"
    sql = by_code["crm-quotes"]
    assert sql.paused and sql.schedule == "*/15 * * * *"
    assert sql.config["indicator"] == "fast_quote" and "FROM quotes" in sql.config["query"]
    assert connector_secrets.decrypt(sql.secrets) == {
        "dsn": "postgresql://postgres@127.0.0.1:5432/oc_demo_crm"
    }
    assert not sql.periodic_task.enabled  # paused: beat leaves it alone
    assert line.startswith("Connectors: typeform-nps") and "feeding 3 indicators" in line


def test_the_history_covers_a_month_with_two_failures_each(loaded, organisation):
    tz = organisation.tz
    now = datetime.combine(TODAY, time(9, 40), tzinfo=tz)
    for code in ("typeform-nps", "quotes-file", "crm-quotes"):
        runs = Run.objects.filter(connector__code=code)
        assert runs.filter(status=RunStatus.FAILED).count() == 2, code
        first = runs.order_by("started_at").first().started_at
        assert now - timedelta(days=DAYS + 1) <= first < now - timedelta(days=DAYS - 1)
        assert runs.order_by("-started_at").first().started_at < now
    file_runs = Run.objects.filter(connector__code="quotes-file")
    # One run a morning, plus the retry of the morning the server timed out.
    assert file_runs.count() == DAYS + 1
    weekend_days = sum((TODAY - timedelta(days=day)).weekday() >= 5 for day in range(1, DAYS + 1))
    assert file_runs.filter(status=RunStatus.SKIPPED).count() == weekend_days
    sql_runs = Run.objects.filter(connector__code="crm-quotes")
    # Every 15 minutes from 09:00 thirty days ago up to 09:30 today, plus two retries.
    ticks = DAYS * 24 * 4 + 3
    assert sql_runs.count() == ticks + 2
    succeeded = Run.objects.filter(connector__code="quotes-file", status=RunStatus.SUCCEEDED)
    assert all(r.rows == r.created + r.updated + r.unchanged for r in succeeded)
    hook = Connector.objects.get(code="typeform-nps")
    assert hook.failures_in_row == 0 and hook.last_success_at is not None


def test_the_pulls_fed_their_indicators(loaded):
    feeds = set(Feed.objects.values_list("connector__code", "indicator__code"))
    assert feeds == {
        ("crm-quotes", "fast_quote"),
        ("quotes-file", "first_time_resolution"),
        ("quotes-file", "nothing_broke"),
    }


def test_the_demo_pages_show_the_connectors(client, loaded, organisation):
    from django.urls import reverse

    _line, _seconds, people = loaded
    client.force_login(people["admin"])
    html = client.get(reverse("connector-list")).content.decode()
    assert html.count('data-state="paused"') == 2 and 'data-state="ok"' in html
    page = client.get(reverse("connector-detail", args=["crm-quotes"]))
    assert page.status_code == 200 and b"runs-figure" in page.content
    assert (
        SIGNING_SECRET.encode()
        not in client.get(reverse("connector-detail", args=["typeform-nps"])).content
    )
