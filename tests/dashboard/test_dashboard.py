"""The dashboard: what needs attention first (band exits, the shared status rule), small figures of
the last 12 periods, and a query count that does not grow with indicators or measurements."""

import json
import re

import pytest
from django.urls import reverse

from indicators.models import Target
from indicators.services import ingest_measurements, recompute_dirty
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


def push(organisation, items):
    """Ingest, then recompute as the after-commit task would (tests run inside a transaction)."""
    ingest_measurements(organisation=organisation, items=items)
    recompute_dirty()


def indicator(organisation, code, *, value, target=None, baseline=None, band=(0, 999)):
    made = IndicatorFactory(
        organisation=organisation,
        code=code,
        name=code.replace("_", " ").title(),
        direction="higher_is_better",
        band_low=band[0],
        band_high=band[1],
        action_below="fix it",
        action_above="learn from it",
        baseline_value=baseline,
    )
    if target is not None:
        Target.objects.create(indicator=made, valid_from="2026-01-01", value=target)
    push(organisation, [{"indicator": code, "observed_at": "2026-03-15", "value": value}])
    return made


def sections(client) -> tuple[str, str]:
    page = client.get(reverse("home")).content.decode()
    attention, _sep, rest = page.partition("Other indicators")
    return attention, rest


def tile(html: str, name: str) -> str:
    match = re.search(
        rf'<article class="card tile[^>]*>\s*<header>\s*<a [^>]*>{name}</a>.*?</article>',
        html,
        re.S,
    )
    assert match, name
    return match.group(0)


def test_attention_holds_band_exits_on_both_sides_and_what_is_behind_target(
    client, viewer, organisation
):
    indicator(organisation, "learning_side", value=70, band=(10, 50))  # better than the band
    indicator(organisation, "corrective_side", value=5, band=(10, 50))  # worse than the band
    indicator(organisation, "at_risk", value=75, target=100, baseline=0)  # progress 0.75
    indicator(organisation, "off_track", value=40, target=100, baseline=0)  # progress 0.40
    indicator(organisation, "no_baseline", value=80, target=100)  # off target, no progress
    indicator(organisation, "nearly_there", value=95, target=100, baseline=0)  # progress 0.95
    indicator(organisation, "calm", value=5)
    client.force_login(viewer)
    attention, rest = sections(client)
    for name in ("Learning Side", "Corrective Side", "At Risk", "Off Track", "No Baseline"):
        assert name in attention, name
        assert name not in rest, name
    assert "Nearly There" in rest and "Calm" in rest
    assert '<span class="pill at-risk">at risk</span>' in tile(attention, "At Risk")
    assert '<span class="pill worse">off track</span>' in tile(attention, "Off Track")
    assert '<span class="pill worse">off target</span>' in tile(attention, "No Baseline")
    assert "pill at-risk" not in tile(rest, "Nearly There")


def test_each_tile_draws_the_last_twelve_periods_of_its_own_period(client, viewer, organisation):
    IndicatorFactory(organisation=organisation, code="monthly", name="Monthly", band_low=0)
    means = {}
    items = []
    for m in range(15):
        year, month = 2025 + m // 12, m % 12 + 1
        day_values = [10.0 + m, 20.0 + 2 * m]
        means[(year, month)] = sum(day_values) / 2
        items += [
            {"indicator": "monthly", "observed_at": f"{year}-{month:02d}-{d + 3:02d}", "value": v}
            for d, v in enumerate(day_values)
        ]
    push(organisation, items)
    client.force_login(viewer)
    page = client.get(reverse("home")).content.decode()
    figure = json.loads(
        re.search(r'<script type="application/json" id="fig-\d+">(.*?)</script>', page, re.S).group(
            1
        )
    )
    value_trace = next(t for t in figure["data"] if t.get("name") == "Value")
    assert value_trace["y"] == list(means.values())[-12:]
    assert value_trace["x"][-1] == "March 2026"
    assert figure["layout"]["height"] == 120 and figure["layout"]["showlegend"] is False


def test_query_count_is_at_most_twelve_whatever_the_indicators_and_measurements(
    client, viewer, organisation, django_assert_max_num_queries
):
    client.force_login(viewer)
    indicator(organisation, "first", value=1, target=5, baseline=0)
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("home")).status_code == 200
    for n in range(15):
        IndicatorFactory(
            organisation=organisation, code=f"more_{n}", period="week" if n % 2 else "month"
        )
    push(
        organisation,
        [
            {
                "indicator": f"more_{n}",
                "observed_at": f"2025-{m:02d}-{d:02d}",
                "value": n + m + d,
                "segment": {"channel": "web" if d % 2 else "shop"},
            }
            for n in range(15)
            for m in range(1, 13)
            for d in (3, 17)
        ],
    )
    with django_assert_max_num_queries(12) as many:
        response = client.get(reverse("home"))
    assert response.content.decode().count('data-figure="fig-') == 16
    assert len(many.captured_queries) == len(few.captured_queries)
