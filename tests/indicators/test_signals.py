"""Signal vs noise end to end: the values answer, the indicator page's "recalculate from here",
the deviations' signals and the dashboard tiles, on one fixed weekly series worked by hand.

The series: 5, 7, 6, 8, 6, 5 then 20, 22, 21, 23, 22, 21 (weeks from Monday 5 January 2026), with
a baseline of 4 points. First 4 values: centre 6.5, moving ranges 2, 1, 2 -> mR-bar 5/3, limits
6.5 -/+ 2.66 * 5/3 = 2.0667 .. 10.9333, so the last six are beyond the upper limit. Recalculated
from week 8 (16 February): 20, 22, 21, 23 -> centre 21.5, the same mR-bar, limits 17.0667 .. 25.9333:
the last six are noise around a new level, and the first six keep limits of their own (6.5 ...).
"""

import json
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from indicators import selectors
from indicators.models import Deviation, Indicator
from indicators.services import recompute_dirty
from tests.factories import IndicatorFactory, push

VALUES = [5.0, 7.0, 6.0, 8.0, 6.0, 5.0, 20.0, 22.0, 21.0, 23.0, 22.0, 21.0]
WEEKS = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(len(VALUES))]
SPREAD = 2.66 * 5 / 3


def close(value):
    return pytest.approx(value, abs=1e-9)


@pytest.fixture
def wait(organisation, api, django_capture_on_commit_callbacks):
    indicator = IndicatorFactory(
        organisation=organisation,
        code="wait",
        period="week",
        spc_baseline_points=4,
        band_high=15,
        action_above="Find the slow step.",
    )
    items = [
        {"indicator": "wait", "observed_at": week.isoformat(), "value": value}
        for week, value in zip(WEEKS, VALUES, strict=True)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert push(api, items).status_code == 200
    return indicator


def answer(api, **query):
    return api.get("/api/v1/indicators/wait/values/", query).json()


def recalculate(client, **data):
    form = {"spc-baseline_points": 4, **{f"spc-{k}": v for k, v in data.items()}}
    return client.post(reverse("indicator-spc", args=["wait"]) + "?period=week", form)


def test_the_values_answer_carries_the_limits_in_force_and_the_signals(api, wait):
    body = answer(api)
    rows = body["results"]
    assert [r["centre"] for r in rows] == [close(6.5)] * 12
    assert [r["upper_limit"] for r in rows] == [close(6.5 + SPREAD)] * 12
    assert [r["lower_limit"] for r in rows] == [close(6.5 - SPREAD)] * 12
    assert [r["signal"] for r in rows] == [None] * 6 + ["above_limit"] * 6
    assert body["limits"] == [
        {
            "from": "2026-01-05",
            "to": "2026-03-23",
            "baseline_from": "2026-01-05",
            "baseline_to": "2026-01-26",
            "baseline_points": 4,
            "centre": close(6.5),
            "lower_limit": close(6.5 - SPREAD),
            "upper_limit": close(6.5 + SPREAD),
            "mean_moving_range": close(5 / 3),
        }
    ]


def test_a_window_of_the_answer_is_judged_by_the_limits_of_the_whole_series(api, wait):
    window = answer(api, **{"from": "2026-02-09", "to": "2026-02-23"})["results"]
    assert [(r["period_start"], r["signal"]) for r in window] == [
        ("2026-02-09", None),
        ("2026-02-16", "above_limit"),
        ("2026-02-23", "above_limit"),
    ]
    assert [r["centre"] for r in window] == [close(6.5)] * 3


def test_recalculate_from_here_through_the_page_changes_the_limits(client, analyst, api, wait):
    client.force_login(analyst)
    response = recalculate(client, baseline_from="2026-02-16")
    assert response.status_code == 302
    assert response["Location"] == reverse("indicator-detail", args=["wait"]) + "?period=week"
    assert Indicator.objects.get(pk=wait.pk).spc_baseline_from == date(2026, 2, 16)
    body = answer(api)
    rows = body["results"]
    assert [r["centre"] for r in rows] == [close(6.5)] * 6 + [close(21.5)] * 6
    assert rows[6]["lower_limit"] == close(21.5 - SPREAD)
    assert [r["signal"] for r in rows] == [None] * 12
    assert [(p["from"], p["baseline_from"], p["baseline_points"]) for p in body["limits"]] == [
        ("2026-01-05", "2026-01-05", 4),
        ("2026-02-16", "2026-02-16", 4),
    ]
    page = client.get(reverse("indicator-detail", args=["wait"])).content.decode()
    assert "From week 8, 2026 (recalculated): natural process limits 17.1 … 25.9 s" in page
    assert "Before week 8, 2026: natural process limits 2.07 … 10.9 s" in page


def test_a_window_shorter_than_two_points_is_refused_and_nothing_changes(client, analyst, wait):
    client.force_login(analyst)
    last_week = recalculate(client, baseline_from="2026-03-23")
    assert last_week.status_code == 400
    assert "Fewer than 2 values from this period on" in last_week.content.decode()
    one_point = recalculate(client, baseline_from="2026-02-16", baseline_points=1)
    assert one_point.status_code == 400
    assert "greater than or equal to 2" in one_point.content.decode()
    unchanged = Indicator.objects.get(pk=wait.pk)
    assert (unchanged.spc_baseline_from, unchanged.spc_baseline_points) == (None, 4)


def test_back_to_the_first_points_and_the_two_of_three_switch(client, analyst, wait):
    client.force_login(analyst)
    recalculate(client, baseline_from="2026-02-16")
    response = recalculate(client, baseline_from="2026-02-16", first="1", two_of_three="on")
    assert response.status_code == 302
    indicator = Indicator.objects.get(pk=wait.pk)
    assert (indicator.spc_baseline_from, indicator.spc_two_of_three) == (None, True)


def test_with_htmx_a_recalculation_answers_the_chart_and_a_refusal_the_panel(client, analyst, wait):
    client.force_login(analyst)
    url = reverse("indicator-spc", args=["wait"]) + "?period=week"
    done = client.post(
        url, {"spc-baseline_from": "2026-02-16", "spc-baseline_points": 4}, HTTP_HX_REQUEST="true"
    )
    assert done.status_code == 200
    text = done.content.decode()
    assert 'id="figure-main"' in text and "(recalculated)" in text
    refused = client.post(url, {"spc-baseline_points": 0}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400
    assert refused["HX-Retarget"] == "#spc-panel" and 'id="spc-panel"' in refused.content.decode()


def test_viewers_read_the_limits_and_signals_but_cannot_recalculate(client, viewer, wait):
    client.force_login(viewer)
    page = client.get(reverse("indicator-detail", args=["wait"])).content.decode()
    assert "Natural process limits 2.07 … 10.9 s (centre line 6.5)" in page
    assert "from the 4 weeks starting week 2, 2026" in page
    assert "6 values are signals, not noise" in page
    assert "week 13, 2026: 21 s — beyond the upper limit" in page
    assert "Recalculate the limits" not in page
    assert recalculate(client, baseline_from="2026-02-16").status_code == 403
    assert Indicator.objects.get(pk=wait.pk).spc_baseline_from is None


def test_deviation_signals_agree_with_the_values_answer(
    client, analyst, api, wait, django_assert_num_queries
):
    deviations = list(Deviation.objects.filter(indicator=wait).order_by("period_start"))
    assert [d.period_start for d in deviations] == WEEKS[6:]  # above the band high of 15
    with django_assert_num_queries(1):
        signals = selectors.deviation_signals(deviations=deviations)
    by_start = {r["period_start"]: r["signal"] for r in answer(api)["results"]}
    assert [signals[d.pk] for d in deviations] == [
        by_start[d.period_start.isoformat()] for d in deviations
    ]
    assert set(signals.values()) == {"above_limit"}  # outside the band and a real change
    client.force_login(analyst)
    recalculate(client, baseline_from="2026-02-16")
    # outside the band but within normal variation of the new level
    assert set(selectors.deviation_signals(deviations=deviations).values()) == {None}


def test_the_dashboard_tile_draws_the_limits_and_rings_the_signals(client, viewer, wait):
    client.force_login(viewer)
    page = client.get(reverse("home")).content.decode()
    figure = json.loads(
        re.search(r'<script type="application/json" id="fig-\d+">(.*?)</script>', page, re.S)[1]
    )
    traces = {t.get("name"): t for t in figure["data"]}
    assert traces["Centre line"]["y"] == [close(6.5)] * 12
    assert len(traces["Signal (not noise)"]["x"]) == 6


def test_the_panel_points_at_where_a_lasting_shift_began(client, viewer, wait, api):
    # six beyond the limit are not yet 8 in a row; two more high weeks make the shift lasting
    client.force_login(viewer)
    page = client.get(reverse("indicator-detail", args=["wait"])).content.decode()
    assert "the process has probably changed there" not in page
    with_more = [
        {"indicator": "wait", "observed_at": f"2026-03-{day}", "value": 22} for day in ("30", "31")
    ] + [{"indicator": "wait", "observed_at": "2026-04-06", "value": 21}]
    push(api, with_more)
    recompute_dirty()
    page = client.get(reverse("indicator-detail", args=["wait"])).content.decode()
    assert "stayed on one side of the centre line since week 8, 2026" in page
