"""Outbound webhooks: a signed JSON POST per opened deviation and active webhook, retried with
back-off until the receiver answers 2xx, logged per delivery; pages for admins only."""

import hashlib
import hmac
import json
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.services import create_user
from indicators.models import DeliveryState, Deviation, Webhook, WebhookDelivery
from indicators.services import webhooks
from indicators.services.deviation_notices import notify_opened_deviations
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

WEEK_9 = date(2026, 2, 23)  # ISO week 9 of 2026
TOLERANCE = 300  # seconds a receiver accepts between the signed timestamp and its clock


def verified(secret: str, header: str, body: bytes) -> bool:
    """The receiver's check, written from docs/webhooks.md, not from the service's code."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    if abs(time.time() - int(parts["t"])) > TOLERANCE:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, "sha256").hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class Receiver:
    """An HTTP server on 127.0.0.1:<free port> answering the scripted statuses in turn (then
    200), recording each request's headers and raw body."""

    def __init__(self, statuses=()):
        self.statuses, self.requests = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", "/elsewhere")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    started = []

    def start(statuses=()):
        started.append(Receiver(statuses))
        return started[-1]

    yield start
    for one in started:
        one.close()


@pytest.fixture
def admin(organisation):
    return create_user(organisation=organisation, username="ada", role=Role.ADMIN)


@pytest.fixture
def olga(organisation):
    return create_user(organisation=organisation, username="olga", role=Role.ANALYST)


@pytest.fixture
def fast_quote(organisation, olga):
    return IndicatorFactory(
        organisation=organisation, code="fast_quote", name="Fast Quote", period="week",
        band_high=30.0, action_above="Call the team lead", owner_user=olga,
    )  # fmt: skip


@pytest.fixture
def pushed(api, django_capture_on_commit_callbacks):
    def run(value=42.0, key="q1"):
        item = {"indicator": "fast_quote", "key": key, "observed_at": str(WEEK_9), "value": value}
        with django_capture_on_commit_callbacks(execute=True):
            response = push(api, [item])
        assert response.status_code == 200, response.json()

    return run


def hook(organisation, url, **kwargs):
    return webhooks.create_webhook(organisation=organisation, name="Tickets", url=url, **kwargs)


def test_a_receiver_gets_a_verified_signed_payload_when_a_deviation_opens(
    settings, organisation, fast_quote, receiver, pushed
):
    settings.SITE_URL = "https://oc.example.com"
    server = receiver()
    webhook = hook(organisation, server.url)

    pushed()

    ((headers, body),) = server.requests
    delivery = WebhookDelivery.objects.get()
    deviation = Deviation.objects.get()
    assert verified(webhook.secret, headers["X-Outcome-Chain-Signature"], body)
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Outcome-Chain-Event"] == "deviation.opened"
    assert headers["X-Outcome-Chain-Delivery"] == str(delivery.pk)
    payload = json.loads(body)
    assert payload["event"] == "deviation.opened"
    assert payload["id"] == delivery.pk
    assert payload["organisation"] == "acme"
    assert payload["deviation"] == {
        "id": deviation.pk,
        "indicator": "fast_quote",
        "indicator_name": "Fast Quote",
        "period": "week",
        "period_start": "2026-02-23",
        "kind": "corrective",
        "value": 42.0,
        "band_low": None,
        "band_high": 30.0,
        "action": "Call the team lead",
        "owner": "olga",
        "url": f"https://oc.example.com/deviations/{deviation.pk}/",
    }
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("succeeded", 1, 200)
    assert delivery.delivered_at is not None


def test_a_receiver_failing_twice_gets_one_delivery_succeeded_after_three_attempts(
    settings, organisation, fast_quote, receiver, pushed
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    server = receiver([500, 500])
    webhook = hook(organisation, server.url)

    pushed()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("succeeded", 3, 200)
    assert delivery.last_error == ""
    bodies = [body for _headers, body in server.requests]
    assert len(bodies) == 3 and len(set(bodies)) == 1  # the identical bytes each time
    for headers, body in server.requests:
        assert verified(webhook.secret, headers["X-Outcome-Chain-Signature"], body)
        assert headers["X-Outcome-Chain-Delivery"] == str(delivery.pk)


def test_in_process_attempts_stop_after_three_and_leave_the_delivery_pending(
    settings, organisation, fast_quote, receiver, pushed
):
    settings.WEBHOOK_MAX_ATTEMPTS = 8
    server = receiver([500] * 10)
    hook(organisation, server.url)

    pushed()  # no broker: the attempts run inside this request, back to back

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 3, 500)
    assert len(server.requests) == 3


def test_a_receiver_that_keeps_failing_leaves_a_failed_delivery_after_the_last_attempt(
    settings, organisation, fast_quote, receiver, pushed
):
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_IN_PROCESS_ATTEMPTS = 10
    server = receiver([500] * 10)
    hook(organisation, server.url)

    pushed()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 4, 500)
    assert delivery.last_error == "The receiver answered 500."
    assert len(server.requests) == 4


def test_an_unreachable_receiver_is_logged_as_a_network_error(
    settings, organisation, fast_quote, receiver, pushed
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    server = receiver()
    url = server.url
    server.close()  # nobody listens on that port any more
    hook(organisation, url)

    pushed()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 2, None)
    assert "refused" in delivery.last_error.lower()


def test_a_redirect_is_an_unsuccessful_answer_and_is_not_followed(
    settings, organisation, fast_quote, receiver, pushed
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    server = receiver([302])
    hook(organisation, server.url)

    pushed()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_status) == ("failed", 302)
    assert len(server.requests) == 1


def test_only_active_webhooks_of_the_deviations_organisation_get_it(
    organisation, other_organisation, fast_quote, receiver, pushed
):
    server = receiver()
    hook(organisation, server.url, active=False)
    hook(other_organisation, server.url)

    pushed()

    assert server.requests == []
    assert not WebhookDelivery.objects.exists()
    assert Deviation.objects.get().notified_at is not None


def test_each_webhook_gets_one_delivery_per_opened_deviation(organisation, fast_quote, receiver):
    first, second = receiver(), receiver()
    hook(organisation, first.url)
    hook(organisation, second.url)
    for week in range(3):
        Deviation.objects.create(
            indicator=fast_quote, period="week", period_start=WEEK_9 + timedelta(weeks=week),
            kind="corrective", value=40.0, band_high=30.0, action="Call the team lead",
        )  # fmt: skip

    assert notify_opened_deviations() == 3
    assert notify_opened_deviations() == 0  # told once

    assert WebhookDelivery.objects.count() == 6
    by_webhook = {w.pk: set(w.deliveries.values_list("payload__deviation__id", flat=True))
                  for w in Webhook.objects.all()}  # fmt: skip
    assert all(len(ids) == 3 for ids in by_webhook.values())


def test_the_secret_is_random_long_and_never_logged(
    settings, organisation, fast_quote, receiver, pushed, caplog
):
    server = receiver([500])
    webhook = hook(organisation, server.url)
    other = hook(organisation, server.url)

    pushed()

    assert len(webhook.secret) >= 43 and webhook.secret != other.secret  # 32 random bytes
    assert WebhookDelivery.objects.filter(state="succeeded").count() == 2
    assert webhook.secret not in caplog.text and other.secret not in caplog.text


def test_the_signature_is_hmac_sha256_of_the_timestamp_dot_body():
    body = b'{"event":"deviation.opened"}'
    # Worked by hand with Python's hmac on the signed string "1767225600.<body>"
    expected = hmac.new(b"s3cret", b"1767225600." + body, hashlib.sha256).hexdigest()

    assert webhooks.signature("s3cret", 1767225600, body) == f"t=1767225600,v1={expected}"


def test_the_body_is_the_same_bytes_whatever_order_the_payload_keys_come_back_in():
    assert webhooks.body_of({"b": 1, "a": [1.5, None]}) == b'{"a":[1.5,null],"b":1}'
    assert webhooks.body_of({"a": [1.5, None], "b": 1}) == webhooks.body_of(
        {"b": 1, "a": [1.5, None]}
    )


def test_the_back_off_doubles_from_the_base_up_to_the_cap(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS, settings.WEBHOOK_RETRY_MAX_SECONDS = 30, 3600
    # 30 x 2^(n-1): 30, 60, 120, 240, 480, 960, 1920, then 3840 capped at 3600
    assert [webhooks.retry_in(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]


def test_the_sweep_sends_a_delivery_whose_message_was_lost(organisation, receiver):
    server = receiver()
    webhook = hook(organisation, server.url)
    lost = WebhookDelivery.objects.create(
        webhook=webhook, event="deviation.opened", payload={"id": 1}
    )
    fresh = WebhookDelivery.objects.create(
        webhook=webhook, event="deviation.opened", payload={"id": 2}
    )
    WebhookDelivery.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )

    assert webhooks.sweep_lost_deliveries() == 1

    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.state, lost.attempts) == ("succeeded", 1)
    assert (fresh.state, fresh.attempts) == ("pending", 0)
    assert [json.loads(body)["id"] for _h, body in server.requests] == [1]


# Pages: admins only.


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.mark.parametrize("url", ["ftp://files.example.com/hook", "javascript:alert(1)", "hook"])
def test_a_webhook_url_that_is_not_http_is_a_form_error_and_nothing_is_saved(admin_client, url):
    answer = admin_client.post(
        "/settings/webhooks/new/", {"name": "Tickets", "url": url, "active": "on"}
    )

    assert answer.status_code == 400
    assert answer.context["form"].errors["url"] == [
        "Enter a web address that starts with http:// or https://."
    ]
    assert not Webhook.objects.exists()


def test_an_admin_creates_a_webhook_and_sees_its_secret(admin_client, organisation):
    answer = admin_client.post(
        "/settings/webhooks/new/",
        {"name": "Tickets", "url": " https://tickets.example.com/hook ", "active": "on"},
    )

    webhook = Webhook.objects.get()
    assert answer.status_code == 302 and answer.url == f"/settings/webhooks/{webhook.pk}/"
    assert (webhook.organisation, webhook.url, webhook.active) == (
        organisation, "https://tickets.example.com/hook", True,
    )  # fmt: skip
    page = admin_client.get(answer.url).content.decode()
    assert webhook.secret in page
    assert "Tickets" in admin_client.get("/settings/webhooks/").content.decode()


def test_an_edit_with_a_bad_url_changes_nothing(admin_client, organisation):
    webhook = hook(organisation, "https://tickets.example.com/hook")

    answer = admin_client.post(
        f"/settings/webhooks/{webhook.pk}/", {"name": "New name", "url": "javascript:x"}
    )

    assert answer.status_code == 400
    webhook.refresh_from_db()
    assert (webhook.name, webhook.url, webhook.active) == (
        "Tickets", "https://tickets.example.com/hook", True,
    )  # fmt: skip


def test_an_admin_pauses_and_deletes_a_webhook_after_confirming(admin_client, organisation):
    webhook = hook(organisation, "https://tickets.example.com/hook")
    admin_client.post(
        f"/settings/webhooks/{webhook.pk}/", {"name": "Tickets", "url": webhook.url}
    )  # "active" unticked
    webhook.refresh_from_db()
    assert webhook.active is False

    confirm = admin_client.get(f"/settings/webhooks/{webhook.pk}/delete/")
    assert confirm.status_code == 200 and Webhook.objects.exists()  # asking deletes nothing
    admin_client.post(f"/settings/webhooks/{webhook.pk}/delete/")

    assert not Webhook.objects.exists()


def test_send_again_makes_a_new_attempt_with_the_same_payload_and_a_fresh_signature(
    settings,
    admin_client,
    organisation,
    fast_quote,
    receiver,
    pushed,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    server = receiver([500])
    webhook = hook(organisation, server.url)
    pushed()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    later = time.time() + 90
    monkeypatch.setattr("indicators.services.webhooks.time.time", lambda: later)

    log = admin_client.get(f"/settings/webhooks/{webhook.pk}/deliveries/").content.decode()
    assert "The receiver answered 500." in log and "Send again" in log
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/settings/webhooks/deliveries/{delivery.pk}/send-again/")

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("succeeded", 2, 200)
    (first_headers, first), (again_headers, again) = server.requests
    assert first == again
    assert again_headers["X-Outcome-Chain-Delivery"] == str(delivery.pk)
    assert again_headers["X-Outcome-Chain-Signature"] != first_headers["X-Outcome-Chain-Signature"]
    assert f"t={int(later)}," in again_headers["X-Outcome-Chain-Signature"]
    assert WebhookDelivery.objects.count() == 1


def test_the_delivery_log_is_paginated_newest_first(admin_client, organisation):
    webhook = hook(organisation, "https://tickets.example.com/hook")
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=webhook, event="deviation.opened", payload={"id": n})
        for n in range(30)
    )
    newest = WebhookDelivery.objects.order_by("-id").first()

    first_page = admin_client.get(f"/settings/webhooks/{webhook.pk}/deliveries/")

    assert len(first_page.context["rows"]) == 25
    assert first_page.context["rows"][0]["delivery"] == newest
    second = admin_client.get(f"/settings/webhooks/{webhook.pk}/deliveries/?page=2")
    assert len(second.context["rows"]) == 5


@pytest.mark.parametrize("who", ["analyst", "viewer"])
def test_analysts_and_viewers_cannot_reach_the_webhook_pages(client, organisation, who, request):
    webhook = hook(organisation, "https://tickets.example.com/hook")
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="e", payload={})
    client.force_login(request.getfixturevalue(who))

    for url in [
        "/settings/webhooks/", "/settings/webhooks/new/", f"/settings/webhooks/{webhook.pk}/",
        f"/settings/webhooks/{webhook.pk}/delete/", f"/settings/webhooks/{webhook.pk}/deliveries/",
    ]:  # fmt: skip
        assert client.get(url).status_code == 403, url
    assert (
        client.post(f"/settings/webhooks/deliveries/{delivery.pk}/send-again/").status_code == 403
    )
    assert client.post(f"/settings/webhooks/{webhook.pk}/delete/").status_code == 403
    assert client.post(f"/settings/webhooks/{webhook.pk}/secret/").status_code == 403
    assert Webhook.objects.get().secret == webhook.secret
    assert WebhookDelivery.objects.get().attempts == 0


def test_another_organisations_webhook_is_not_found(admin_client, other_organisation):
    webhook = hook(other_organisation, "https://tickets.example.com/hook")

    assert admin_client.get(f"/settings/webhooks/{webhook.pk}/").status_code == 404
    assert admin_client.post(f"/settings/webhooks/{webhook.pk}/delete/").status_code == 404
    assert Webhook.objects.exists()


def test_the_django_admin_lists_webhooks_deliveries_and_notifications_read_only(
    client, organisation
):
    from django.contrib.auth import get_user_model

    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(superuser)
    webhook = hook(organisation, "https://tickets.example.com/hook")
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="e", payload={})

    for url in [
        "/admin/indicators/webhook/", f"/admin/indicators/webhook/{webhook.pk}/change/",
        "/admin/indicators/webhookdelivery/", "/admin/indicators/notification/",
    ]:  # fmt: skip
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/indicators/webhookdelivery/add/").status_code == 403
    assert (
        client.post(
            f"/admin/indicators/webhookdelivery/{delivery.pk}/change/", {"event": "changed"}
        ).status_code
        == 403
    )
    assert WebhookDelivery.objects.get().state == DeliveryState.PENDING


def test_the_delivery_log_costs_the_same_queries_for_5_or_25_deliveries(
    admin_client, organisation, django_assert_max_num_queries
):
    webhook = hook(organisation, "https://tickets.example.com/hook")
    url = f"/settings/webhooks/{webhook.pk}/deliveries/"

    def add(count):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(webhook=webhook, event="deviation.opened", payload={"id": n})
            for n in range(count)
        )

    add(5)
    with django_assert_max_num_queries(12) as few:
        admin_client.get(url)
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(url)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_notifier_skips_the_deviations_a_first_one_holds(organisation, fast_quote):
    """Two workers never tell of the same deviation: the second skips the locked rows."""
    from django.db import connection, transaction

    from indicators.services.deviation_notices import _claim

    Deviation.objects.create(
        indicator=fast_quote, period="week", period_start=WEEK_9, kind="corrective",
        value=40.0, band_high=30.0, action="Call the team lead",
    )  # fmt: skip
    holding, release = threading.Event(), threading.Event()

    def first_worker():
        with transaction.atomic():
            assert len(list(_claim(10))) == 1
            holding.set()
            release.wait(5)
        connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    assert holding.wait(5)
    try:
        assert notify_opened_deviations() == 0  # skipped, not waited for
    finally:
        release.set()
        worker.join()
    assert notify_opened_deviations() == 1


def test_an_admin_makes_a_new_secret_and_later_attempts_are_signed_with_it(
    admin_client, organisation, receiver
):
    server = receiver()
    webhook = hook(organisation, server.url)
    old = webhook.secret

    admin_client.post(f"/settings/webhooks/{webhook.pk}/secret/")

    webhook.refresh_from_db()
    assert webhook.secret != old and len(webhook.secret) >= 43
    page = admin_client.get(f"/settings/webhooks/{webhook.pk}/").content.decode()
    assert webhook.secret in page and old not in page
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="e", payload={"id": 1})
    webhooks.attempt_delivery(delivery_id=delivery.pk)
    ((headers, body),) = server.requests
    assert verified(webhook.secret, headers["X-Outcome-Chain-Signature"], body)
    assert not verified(old, headers["X-Outcome-Chain-Signature"], body)
