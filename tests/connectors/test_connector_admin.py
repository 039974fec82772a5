"""The Django admin shows connectors, their feeds and latest runs read-only and never a secret;
it lists them filtered by kind and paused, pauses through the service (the beat schedule
follows) and deletes through it (the schedule goes too)."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from connectors.models import Connector, Run, RunStatus, RunTrigger
from connectors.services import create_connector
from tests.connectors.connector_pages_data import DSN, DSN_PASSWORD, SIGNING_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def connectors(organisation, monkeypatch):
    from connectors.services import connectors as connector_service

    # The admin's part only: every kind's settings accepted as given.
    monkeypatch.setattr(connector_service, "validator_for", lambda kind: lambda c, s, target: {})
    sql, _token = create_connector(
        organisation=organisation,
        kind="sql",
        code="crm-quotes",
        name="CRM quotes",
        config={"query": "SELECT 1"},
        secrets={"dsn": DSN},
        schedule="*/15 * * * *",
    )
    hook, token = create_connector(
        organisation=organisation,
        kind="webhook",
        code="hook",
        name="Hook",
        secrets={"signing_secret": SIGNING_SECRET},
        paused=True,
    )
    Run.objects.create(
        connector=sql,
        trigger=RunTrigger.SCHEDULE,
        status=RunStatus.FAILED,
        started_at=timezone.now(),
        message="connection refused",
    )
    return sql, hook, token


def test_a_connector_is_shown_read_only_without_its_secrets(admin_client, connectors):
    sql, hook, token = connectors
    for connector in (sql, hook):
        page = admin_client.get(reverse("admin:connectors_connector_change", args=[connector.pk]))
        html = page.content.decode()
        assert page.status_code == 200 and connector.code in html
        for secret in (DSN, DSN_PASSWORD, SIGNING_SECRET, token, connector.secrets):
            assert secret not in html
        if connector.token_hash:
            assert connector.token_hash not in html
        assert 'name="name"' not in html  # read-only
    html = admin_client.get(reverse("admin:connectors_connector_change", args=[sql.pk])).content
    assert b"connection refused" in html  # the latest runs inline
    assert admin_client.get(reverse("admin:connectors_connector_add")).status_code == 403


def test_connectors_are_filtered_by_kind_and_paused(admin_client, connectors):
    url = reverse("admin:connectors_connector_changelist")
    assert admin_client.get(url, {"kind__exact": "sql"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"paused__exact": "1"}).context["cl"].result_count == 1
    assert admin_client.get(url).context["cl"].result_count == 2


def test_the_pause_action_goes_through_the_service(admin_client, connectors):
    sql, _hook, _token = connectors
    url = reverse("admin:connectors_connector_changelist")
    admin_client.post(url, {"action": "pause", "_selected_action": [sql.pk]})
    sql.refresh_from_db()
    assert sql.paused and not PeriodicTask.objects.get(pk=sql.periodic_task_id).enabled
    admin_client.post(url, {"action": "resume", "_selected_action": [sql.pk]})
    assert PeriodicTask.objects.get(pk=sql.periodic_task_id).enabled


def test_deleting_in_the_admin_drops_the_schedule(admin_client, connectors):
    sql, _hook, _token = connectors
    task = sql.periodic_task_id
    url = reverse("admin:connectors_connector_delete", args=[sql.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Connector.objects.filter(pk=sql.pk).exists()
    assert not PeriodicTask.objects.filter(pk=task).exists()


def test_runs_are_listed_read_only(admin_client, connectors):
    sql, _hook, _token = connectors
    listed = admin_client.get(reverse("admin:connectors_run_changelist"), {"status": "failed"})
    assert listed.status_code == 200 and listed.context["cl"].result_count == 1
    run = Run.objects.get()
    page = admin_client.get(reverse("admin:connectors_run_change", args=[run.pk]))
    assert page.status_code == 200 and b'name="message"' not in page.content
    assert admin_client.get(reverse("admin:connectors_run_add")).status_code == 403


def test_a_connector_lists_its_own_latest_runs_not_the_newest_of_all(admin_client, connectors):
    sql, hook, _token = connectors
    later = timezone.now()
    Run.objects.bulk_create(
        Run(connector=hook, trigger=RunTrigger.WEBHOOK, started_at=later, message=f"call {n}")
        for n in range(30)
    )
    html = admin_client.get(reverse("admin:connectors_connector_change", args=[sql.pk])).content
    assert b"connection refused" in html and b"call 0" not in html
    html = admin_client.get(reverse("admin:connectors_connector_change", args=[hook.pk])).content
    assert b"connection refused" not in html and b"call 29" in html
