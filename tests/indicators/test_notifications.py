"""When a deviation opens, its owner is told: one mail per person per batch, or a daily digest,
or nothing, as each member chose on their profile page."""

from datetime import date, timedelta

import pytest
from django.core import mail

from accounts.models import Membership, NotifyChoice, Role
from accounts.services import create_user
from indicators.models import Band, Deviation, Notification
from indicators.services import deviation_notices, recompute_all
from indicators.services.notifications import send_pending
from indicators.tasks import send_daily_digests
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

WEEK_9 = date(2026, 2, 23)  # ISO week 9 of 2026 starts on Monday 23 February


def person(organisation, username, notify=NotifyChoice.IMMEDIATE, role=Role.ANALYST):
    user = create_user(organisation=organisation, username=username, role=role)
    user.email = f"{username}@example.com"
    user.save()
    Membership.objects.filter(user=user).update(notify=notify)
    return user


@pytest.fixture
def olga(organisation):
    return person(organisation, "olga")


@pytest.fixture
def fast_quote(organisation, olga):
    """Quotes should take at most 30 s a week on average (lower is better)."""
    return IndicatorFactory(
        organisation=organisation,
        code="fast_quote",
        name="Fast Quote",
        period="week",
        band_high=30.0,
        action_above="Call the team lead",
        owner_user=olga,
    )


@pytest.fixture
def pushed(api, django_capture_on_commit_callbacks):
    """Push measurements and run what follows the commit: recompute, notices, mails."""

    def run(items):
        with django_capture_on_commit_callbacks(execute=True):
            response = push(api, items)
        assert response.status_code == 200, response.json()

    return run


def weekly(code, values, first=WEEK_9):
    return [
        {"indicator": code, "key": f"{code}-{n}", "observed_at": str(first + timedelta(weeks=n)),
         "value": value}
        for n, value in enumerate(values)
    ]  # fmt: skip


def test_the_owner_is_mailed_when_a_deviation_opens(settings, fast_quote, pushed):
    settings.SITE_URL = "https://oc.example.com"

    pushed(weekly("fast_quote", [42.0]))

    deviation = Deviation.objects.get(indicator=fast_quote)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["olga@example.com"]
    assert message.subject == "Fast Quote is outside its band in week 9, 2026: corrective action"
    assert "Value: 42 s" in message.body
    assert "Band: −∞ … 30 s" in message.body
    assert "Agreed action: Call the team lead" in message.body
    assert f"https://oc.example.com/deviations/{deviation.pk}/" in message.body
    assert deviation.notified_at is not None


def test_a_value_inside_the_band_mails_nobody(fast_quote, pushed):
    pushed(weekly("fast_quote", [25.0]))

    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_a_deviation_is_told_of_once_however_often_it_is_recomputed(fast_quote, pushed):
    pushed(weekly("fast_quote", [42.0]))
    pushed([{**weekly("fast_quote", [50.0])[0], "key": "second"}])  # still outside: same one

    assert len(mail.outbox) == 1
    assert deviation_notices.notify_opened_deviations() == 0


def test_a_backfill_opening_many_deviations_sends_one_mail_per_person(
    organisation, fast_quote, olga, pushed
):
    piet = person(organisation, "piet")
    IndicatorFactory(
        organisation=organisation, code="claims", name="Claims", period="week",
        band_low=100.0, action_below="Ask why", owner_user=piet, direction="higher_is_better",
    )  # fmt: skip

    # 12 weeks above Fast Quote's band (olga), 12 below Claims' band (piet), in one batch
    pushed(weekly("fast_quote", [40.0 + n for n in range(12)]) + weekly("claims", [50.0] * 12))

    assert Deviation.objects.count() == 24
    assert sorted(m.to[0] for m in mail.outbox) == ["olga@example.com", "piet@example.com"]
    olga_mail = next(m for m in mail.outbox if m.to == ["olga@example.com"])
    assert olga_mail.subject == "12 new items from Outcome Chain"
    assert olga_mail.body.count("Fast Quote is outside its band") == 12
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


def test_a_recompute_of_all_values_opening_many_deviations_sends_one_mail(
    fast_quote, pushed, django_capture_on_commit_callbacks
):
    pushed(weekly("fast_quote", [25.0] * 8))  # inside the band of at most 30 s
    assert mail.outbox == []
    Band.objects.filter(indicator=fast_quote).update(high=20.0)  # now all 8 weeks are outside

    with django_capture_on_commit_callbacks(execute=True):
        recompute_all(indicators=[fast_quote])  # PostgreSQL: the rebuild

    assert Deviation.objects.filter(state="open", notified_at__isnull=False).count() == 8
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "8 new items from Outcome Chain"


def test_daily_digest_people_get_one_digest_from_the_daily_run(organisation, fast_quote, pushed):
    Membership.objects.filter(user__username="olga").update(notify=NotifyChoice.DAILY)

    pushed(weekly("fast_quote", [42.0, 43.0, 44.0]))
    assert mail.outbox == []  # nothing at once

    assert send_daily_digests() == 1
    assert send_daily_digests() == 0  # the next day's digest starts empty

    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.subject == "Your daily digest from Outcome Chain: 3 new items"
    assert digest.body.count("Fast Quote is outside its band") == 3


def test_the_immediate_run_leaves_digest_rows_for_the_daily_run(organisation, fast_quote, pushed):
    Membership.objects.filter(user__username="olga").update(notify=NotifyChoice.DAILY)
    pushed(weekly("fast_quote", [42.0]))

    assert send_pending() == 0
    assert Notification.objects.filter(sent_at__isnull=True).count() == 1


def test_people_who_chose_never_get_no_mail(organisation, fast_quote, pushed):
    Membership.objects.filter(user__username="olga").update(notify=NotifyChoice.OFF)

    pushed(weekly("fast_quote", [42.0]))
    send_daily_digests()

    assert mail.outbox == []
    assert not Notification.objects.filter(sent_at__isnull=True).exists()  # nothing piles up


def test_someone_who_left_the_organisation_gets_no_mail(organisation, fast_quote, olga, pushed):
    Membership.objects.filter(user=olga).delete()

    pushed(weekly("fast_quote", [42.0]))

    assert mail.outbox == []
    assert Deviation.objects.get().notified_at is not None


def test_a_mail_server_error_leaves_the_mail_for_the_next_run(
    monkeypatch, fast_quote, pushed, caplog
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("indicators.services.notifications.send_mail", refuse)
    pushed(weekly("fast_quote", [42.0]))
    assert Notification.objects.filter(sent_at__isnull=True).count() == 1
    assert "notification mail failed" in caplog.text

    monkeypatch.undo()
    assert send_pending() == 1
    assert len(mail.outbox) == 1


def test_the_wake_up_after_a_recompute_costs_one_query_when_nothing_waits(
    fast_quote, django_assert_num_queries
):
    with django_assert_num_queries(1):
        deviation_notices.wake_if_awaiting()


def test_a_long_mail_lists_fifty_items_and_points_to_the_inbox(organisation, olga):
    for n in range(53):
        Notification.objects.create(
            organisation=organisation, user=olga, kind="other", subject=f"item {n}"
        )

    assert send_pending() == 1

    body = mail.outbox[0].body
    assert body.count("- item ") == 50
    assert "… and 3 more items. See them all in the deviations inbox:" in body


# The profile page: each member chooses how notifications reach them.


def test_a_member_chooses_the_daily_digest_and_a_new_address_on_the_profile_page(
    client, organisation, viewer
):
    client.force_login(viewer)

    page = client.get("/account/")
    assert page.status_code == 200
    assert "At once" in page.content.decode() or "at once" in page.content.decode()

    answer = client.post("/account/", {"email": "ville@example.com", "notify": "daily"})

    assert answer.status_code == 302
    viewer.refresh_from_db()
    assert viewer.email == "ville@example.com"
    assert Membership.objects.get(user=viewer).notify == NotifyChoice.DAILY


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not an address", "notify": "daily"}, "email"),
        ({"email": "ville@example.com", "notify": "hourly"}, "notify"),
    ],
)
def test_a_bad_profile_answer_is_a_form_error_and_changes_nothing(
    client, organisation, viewer, data, field
):
    client.force_login(viewer)

    answer = client.post("/account/", data)

    assert answer.status_code == 400
    assert field in answer.context["form"].errors
    viewer.refresh_from_db()
    assert viewer.email == ""
    assert Membership.objects.get(user=viewer).notify == NotifyChoice.IMMEDIATE


def test_the_profile_page_needs_a_sign_in(client):
    assert client.get("/account/").status_code == 302


def test_the_mail_is_written_in_the_organisations_language(organisation, fast_quote, pushed):
    organisation.language = "sv"
    organisation.save()

    pushed(weekly("fast_quote", [42.0]))

    subject = mail.outbox[0].subject  # the sentence itself waits for the translator
    assert "vecka 9, 2026" in subject
    assert "korrigerande åtgärd" in subject
