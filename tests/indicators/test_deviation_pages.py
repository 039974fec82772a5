"""The managers' pages: the deviations inbox and one deviation's page."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.models import Deviation, DeviationChange, ValueComment
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

REAL = "Outside the band and a real change"
NOISE = "Outside the band but within normal variation"


@pytest.fixture
def pushed(api, django_capture_on_commit_callbacks):
    def push_months(code, values):
        items = [
            {"indicator": code, "observed_at": f"{2025 + m // 12}-{m % 12 + 1:02d}-01", "value": v}
            for m, v in enumerate(values)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            assert push(api, items).status_code == 200

    return push_months


@pytest.fixture
def signal_and_noise(organisation, pushed):
    """`queue_time`: ten steady months then 42. Mean (200 + 42) / 11 = 22, mean moving range
    (1+2+1+1+2+1+1+2+1+22) / 10 = 3.4, upper limit 22 + 2.66 * 3.4 = 31.04 < 42: a signal.
    `claims`: 5, 35, 5, 35 all outside 10..30, but limits 20 +/- 2.66 * 30: within variation."""
    IndicatorFactory(
        organisation=organisation,
        code="queue_time",
        name="Queue time",
        band_low=10.0,
        band_high=30.0,
    )
    pushed("queue_time", [20, 21, 19, 20, 21, 19, 20, 21, 19, 20, 42])
    IndicatorFactory(
        organisation=organisation, code="claims", name="Claims", band_low=10.0, band_high=30.0
    )
    pushed("claims", [5, 35, 5, 35])


def test_the_inbox_shows_corrective_and_learning_apart_with_counts_and_plain_words(
    client, viewer, signal_and_noise
):
    client.force_login(viewer)

    page = client.get(reverse("deviations")).content.decode()

    corrective, learning = page.split('id="inbox-learning"')
    # Lower is better: 42 and both 35s are corrective; both 5s are learning.
    assert '<span class="count">3</span>' in corrective
    assert '<span class="count">2</span>' in learning
    assert corrective.count(REAL) == 1 and corrective.count(NOISE) == 2
    assert learning.count(NOISE) == 2 and REAL not in learning
    assert "0.6 band widths above the band" in corrective  # (42 - 30) / 20
    assert "0.25 band widths below the band" in learning  # (10 - 5) / 20


def test_the_inbox_sorts_by_the_size_of_the_miss(client, viewer, signal_and_noise):
    client.force_login(viewer)

    page = client.get(reverse("deviations"), {"sort": "miss", "kind": "corrective"}).content
    page = page.decode().split('class="inbox"')[1]

    assert 'id="inbox-learning"' not in page
    assert page.index("Queue time") < page.index("Claims")  # 0.6 before 0.25
    by_age = client.get(reverse("deviations"), {"kind": "corrective"}).content.decode()
    assert "0.6 band widths" in by_age


def test_the_inbox_filters_by_owner_and_indicator_and_says_when_nothing_matches(
    client, viewer, analyst, signal_and_noise
):
    Deviation.objects.filter(indicator__code="claims").update(owner=analyst)
    client.force_login(viewer)

    def count(**query):
        page = client.get(reverse("deviations"), query).content.decode()
        return page.count('class="card deviation ')

    assert count(owner="anna") == 4
    assert count(owner="-") == 1
    assert count(indicator="queue_time") == 1
    assert count(state="closed") == 0
    page = client.get(reverse("deviations"), {"state": "closed"}).content.decode()
    assert "Nothing here: no deviation of this kind matches the filter." in page


def _many(organisation, analyst, count):
    indicator = IndicatorFactory(organisation=organisation)
    for n in range(count):
        deviation = Deviation.objects.create(
            indicator=indicator,
            period="month",
            period_start=date(2000 + n, 1, 1),
            kind="corrective" if n % 2 else "learning",
            value=42.0,
            band_low=10.0,
            band_high=30.0,
            miss=0.6,
            owner=analyst,
        )
        DeviationChange.objects.create(deviation=deviation, new_state="open")


def test_the_inbox_costs_the_same_queries_for_3_and_30_deviations(
    client, organisation, analyst, django_assert_max_num_queries
):
    client.force_login(analyst)
    _many(organisation, analyst, 3)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("deviations"))
    _many(organisation, analyst, 27)

    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("deviations")).content.decode()
    assert page.count('class="card deviation ') == 30


def test_the_deviation_page_shows_chart_action_owner_history_and_comments(
    client, viewer, analyst, signal_and_noise
):
    deviation = Deviation.objects.get(indicator__code="queue_time")
    Deviation.objects.filter(pk=deviation.pk).update(owner=analyst)
    ValueComment.objects.create(
        indicator=deviation.indicator,
        period="month",
        period_start=deviation.period_start,
        author=analyst,
        text="The phone system was down two days",
    )
    client.force_login(viewer)

    page = client.get(reverse("deviation-detail", args=[deviation.pk])).content.decode()

    assert REAL in page
    assert 'id="figure-deviation"' in page and '"rect"' in page  # this period shaded
    assert "Act on a high value." in page
    assert '<span class="owner">anna</span>' in page
    assert "The phone system was down two days" in page
    assert "the recompute" in page  # the history's first row
    assert reverse("deviation-update", args=[deviation.pk]) not in page  # viewers read


def test_an_analyst_hands_over_and_closes_on_the_deviation_page(
    client, analyst, viewer, signal_and_noise
):
    deviation = Deviation.objects.get(indicator__code="queue_time")
    client.force_login(analyst)
    url = reverse("deviation-update", args=[deviation.pk])
    prefix = f"d{deviation.pk}"

    client.post(url, {f"{prefix}-state": "open", f"{prefix}-note": "", f"{prefix}-owner": "ville"})
    page = client.post(
        url,
        {f"{prefix}-state": "closed", f"{prefix}-note": "", f"{prefix}-owner": "nobody-here"},
        follow=True,
    ).content.decode()
    assert "Owner: no member of the organisation is called that." in page
    client.post(
        url,
        {
            f"{prefix}-state": "closed",
            f"{prefix}-note": "Added a second line",
            f"{prefix}-owner": "ville",
        },
    )

    deviation.refresh_from_db()
    assert (deviation.state, deviation.note, deviation.owner) == (
        "closed",
        "Added a second line",
        viewer,
    )
    rows = list(
        deviation.history.values_list("by__username", "new_state", "new_owner__username", "note")
    )
    assert rows == [
        (None, "open", None, ""),
        ("anna", "open", "ville", ""),
        ("anna", "closed", "ville", "Added a second line"),
    ]


def test_a_viewer_cannot_change_a_deviation(client, viewer, signal_and_noise):
    deviation = Deviation.objects.get(indicator__code="queue_time")
    client.force_login(viewer)

    response = client.post(
        reverse("deviation-update", args=[deviation.pk]),
        {f"d{deviation.pk}-state": "acknowledged", f"d{deviation.pk}-note": ""},
    )

    assert response.status_code == 403
    deviation.refresh_from_db()
    assert deviation.state == "open"


def test_the_inbox_shows_what_still_waits_open_or_acknowledged_by_default(
    client, viewer, signal_and_noise
):
    claims = Deviation.objects.filter(indicator__code="claims").order_by("period_start")
    Deviation.objects.filter(pk=claims[0].pk).update(state="acknowledged")
    Deviation.objects.filter(pk=claims[1].pk).update(state="closed", note="Done")
    client.force_login(viewer)

    page = client.get(reverse("deviations")).content.decode()

    assert page.count('class="card deviation ') == 4  # 5 minus the closed one
    assert f'data-deviation="{claims[0].pk}"' in page
    assert f'data-deviation="{claims[1].pk}"' not in page
