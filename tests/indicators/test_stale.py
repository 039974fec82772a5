"""Stale data: the rule by hand, the flag on indicator rows, the API and every page, and the
owner's reminder, once per staleness."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import formats

from indicators import selectors
from indicators.compute.stale import stale
from indicators.compute.status import NO_DATA, ON_TRACK, STALE, indicator_status, rollup_status
from indicators.models import Notification
from indicators.services import ingest_measurements, recompute_dirty, remind_stale
from indicators.tasks import remind_stale_indicators
from tests.factories import IndicatorFactory

D = date.fromisoformat


# -- the rule, worked by hand -----------------------------------------------------------------


def test_a_daily_indicator_is_stale_after_two_days_without_a_value():
    # Latest value 1 Mar; 2 Mar ends (3 Mar 00:00) without a value; grace 0.
    assert not stale(latest_start=D("2026-03-01"), period="day", today=D("2026-03-02"))
    assert stale(latest_start=D("2026-03-01"), period="day", today=D("2026-03-03"))


def test_a_weekly_indicator_is_stale_two_days_after_the_next_week_ended():
    # Latest week starts Mon 2 Mar; the next (9-15 Mar) ends 16 Mar; grace 2 -> stale 18 Mar.
    assert not stale(latest_start=D("2026-03-02"), period="week", today=D("2026-03-17"))
    assert stale(latest_start=D("2026-03-02"), period="week", today=D("2026-03-18"))


def test_a_monthly_indicator_is_stale_ten_days_into_the_month_after_the_missing_one():
    # Latest value in October; November's is due; 10 days into December it is late.
    assert not stale(latest_start=D("2026-10-01"), period="month", today=D("2026-12-10"))
    assert stale(latest_start=D("2026-10-01"), period="month", today=D("2026-12-11"))
    assert not stale(latest_start=D("2026-10-01"), period="month", today=D("2026-11-30"))


def test_quarter_and_year_have_their_own_grace():
    # Q3 2026: Q4 ends 1 Jan 2027, + 20 days; year 2025: 2026 ends 1 Jan 2027, + 30 days.
    assert not stale(latest_start=D("2026-07-01"), period="quarter", today=D("2027-01-20"))
    assert stale(latest_start=D("2026-07-01"), period="quarter", today=D("2027-01-21"))
    assert not stale(latest_start=D("2025-01-01"), period="year", today=D("2027-01-30"))
    assert stale(latest_start=D("2025-01-01"), period="year", today=D("2027-01-31"))


def test_the_indicators_own_grace_overrides_the_default():
    # Grace 0: stale the day November ends; grace 3: from 4 Dec.
    assert stale(latest_start=D("2026-10-01"), period="month", today=D("2026-12-01"), grace=0)
    assert not stale(latest_start=D("2026-10-01"), period="month", today=D("2026-12-03"), grace=3)
    assert stale(latest_start=D("2026-10-01"), period="month", today=D("2026-12-04"), grace=3)


def test_an_indicator_without_any_value_has_no_data_and_is_not_stale():
    assert not stale(latest_start=None, period="day", today=D("2030-01-01"))


def test_a_stale_value_is_never_on_track_and_rolls_up_as_no_data():
    on_track = {"value": 95.0, "assessment": "expected", "progress": 0.95}
    assert indicator_status(**on_track) == ON_TRACK
    assert indicator_status(**on_track, stale=True) == STALE
    assert rollup_status(indicator_status(**on_track, stale=True)) == NO_DATA
    assert indicator_status(value=None, assessment=None, progress=None, stale=True) == NO_DATA
    assert rollup_status(ON_TRACK) == ON_TRACK


# -- the flag on rows, the API and the pages --------------------------------------------------


def push(organisation, code, day: date, value=1.0):
    ingest_measurements(
        organisation=organisation,
        items=[{"indicator": code, "observed_at": day.isoformat(), "value": value}],
    )
    recompute_dirty()


@pytest.mark.django_db
def test_indicator_rows_carry_stale_on_the_given_day(organisation):
    IndicatorFactory(organisation=organisation, code="claims", period="month")
    IndicatorFactory(organisation=organisation, code="empty", period="month")
    push(organisation, "claims", D("2026-10-15"))

    def flags(today):
        rows = selectors.indicators_with_latest_detail(organisation=organisation, today=today)
        return {row.code: row.stale for row in rows.filter(code__in=["claims", "empty"])}

    assert flags(D("2026-12-10")) == {"claims": False, "empty": False}
    assert flags(D("2026-12-11")) == {"claims": True, "empty": False}
    rows = selectors.indicators_with_latest(organisation=organisation, today=D("2026-12-11"))
    assert [i.code for i in selectors.stale_indicators(indicators=rows)] == ["claims"]


@pytest.fixture
def today(organisation):
    return selectors.today_of(organisation)


@pytest.fixture
def daily(organisation, today):
    """A stale daily indicator (latest value 5 days ago) and a fresh one (a value today)."""
    IndicatorFactory(organisation=organisation, code="late", name="Late Daily", period="day",
                     direction="higher_is_better", band_low=0, band_high=100)  # fmt: skip
    IndicatorFactory(organisation=organisation, code="fresh", name="Fresh Daily", period="day",
                     direction="higher_is_better", band_low=0, band_high=100)  # fmt: skip
    push(organisation, "late", today - timedelta(days=5), 50)
    push(organisation, "fresh", today, 50)


@pytest.mark.django_db
def test_the_api_answers_stale_read_only(api, organisation, daily):
    IndicatorFactory(organisation=organisation, code="nothing", period="day")
    answers = {
        code: api.get(f"/api/v1/indicators/{code}/").json()["stale"]
        for code in ("late", "fresh", "nothing")
    }
    assert answers == {"late": True, "fresh": False, "nothing": False}
    listed = api.get("/api/v1/indicators/").json()["results"]
    assert {i["code"]: i["stale"] for i in listed}["late"] is True
    response = api.patch("/api/v1/indicators/late/", {"stale": False}, format="json")
    assert response.status_code == 200 and response.json()["stale"] is True


def short(day: date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def stale_label(today: date, days_ago: int) -> str:
    return f"stale: no value since {short(today - timedelta(days=days_ago))}"


@pytest.mark.django_db
def test_the_list_shows_stale_instead_of_the_assessment(client, viewer, daily, today):
    client.force_login(viewer)
    page = client.get(reverse("indicator-list")).content.decode()
    late = page[page.index("Late Daily") : page.index("</tr>", page.index("Late Daily"))]
    fresh = page[page.index("Fresh Daily") : page.index("</tr>", page.index("Fresh Daily"))]
    assert stale_label(today, 5) in late and "as expected" not in late
    assert "stale" not in fresh and "as expected" in fresh


@pytest.mark.django_db
def test_the_indicator_page_has_a_stale_banner(client, viewer, daily, today):
    client.force_login(viewer)
    page = client.get(reverse("indicator-detail", args=["late"])).content.decode()
    # Latest 5 days ago; the day after (4 days ago) ended 3 days ago, grace 0.
    since, missing, due = (short(today - timedelta(days=n)) for n in (5, 4, 3))
    assert "stale-banner" in page
    assert f"no value since {since}. The value for {missing} was due by {due}." in page
    fresh = client.get(reverse("indicator-detail", args=["fresh"])).content.decode()
    assert "stale-banner" not in fresh


@pytest.mark.django_db
def test_the_dashboard_shows_a_stale_tile_as_stale_and_lists_it_as_waiting_for_data(
    client, viewer, daily, today
):
    client.force_login(viewer)
    page = client.get(reverse("home")).content.decode()
    waiting = page[page.index('id="waiting-for-data"') : page.index("</section>")]
    assert "Late Daily" in waiting and "Fresh Daily" not in waiting
    late_tile = page[page.rindex("<article", 0, page.rindex("Late Daily")) :]
    late_tile = late_tile[: late_tile.index("</article>")]
    assert "tile" in late_tile and " stale" in late_tile.split(">")[0]
    assert stale_label(today, 5) in late_tile and "as expected" not in late_tile
    assert "on track" not in late_tile


# -- the reminder -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_owner_is_reminded_once_per_staleness(organisation, analyst):
    IndicatorFactory(organisation=organisation, code="claims", name="Claims", owner_user=analyst)
    IndicatorFactory(organisation=organisation, code="unowned")
    push(organisation, "claims", D("2026-10-15"))
    push(organisation, "unowned", D("2026-10-15"))
    assert remind_stale(organisation=organisation, today=D("2026-12-10")) == 0  # not stale yet
    assert remind_stale(organisation=organisation, today=D("2026-12-11")) == 1
    assert remind_stale(organisation=organisation, today=D("2026-12-12")) == 0  # not twice
    reminder = Notification.objects.get()
    assert (reminder.user, reminder.kind, reminder.indicator.code) == (analyst, "stale", "claims")
    assert reminder.subject == "No new value of Claims since October 2026"
    assert reminder.url == reverse("indicator-detail", args=["claims"])
    push(organisation, "claims", D("2026-11-20"))  # November arrives: fresh again
    assert remind_stale(organisation=organisation, today=D("2027-01-10")) == 0
    assert remind_stale(organisation=organisation, today=D("2027-01-11")) == 1  # December late
    assert Notification.objects.filter(kind="stale").count() == 2
    assert Notification.objects.last().subject == "No new value of Claims since November 2026"


@pytest.mark.django_db
def test_the_daily_task_reminds_today(organisation, analyst, today):
    IndicatorFactory(organisation=organisation, code="old", period="day", owner_user=analyst)
    push(organisation, "old", today - timedelta(days=2))  # 2 days without: stale today
    assert remind_stale_indicators.delay().get() == 1
    assert remind_stale_indicators.delay().get() == 0
