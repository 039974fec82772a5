"""Pages for people: roles, filters, detail with its chart, analyst forms through the services."""

import json
import re

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.services import create_user
from indicators.models import Deviation, Indicator, Measurement, Target
from indicators.services import ingest_measurements as _ingest
from indicators.services import recompute_dirty
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(organisation):
    return create_user(
        organisation=organisation, username="ada", role=Role.ADMIN, password="s3cret-pass!"
    )


def ingest_measurements(*, organisation, items):
    """Ingest, then recompute as the after-commit task would (tests run inside a transaction)."""
    result = _ingest(organisation=organisation, items=items)
    recompute_dirty()
    return result


def signed_in(client, user):
    client.force_login(user)
    return client


def make_indicators(organisation, count: int, months: int = 3) -> list[Indicator]:
    """`count` banded indicators with `months` monthly values each (one ingest batch)."""
    indicators = [
        IndicatorFactory(
            organisation=organisation,
            code=f"ind_{n}",
            band_low=10,
            band_high=50,
            action_below="fix it",
            action_above="learn",
            baseline_value=60,
        )
        for n in range(count)
    ]
    for indicator in indicators:
        Target.objects.create(indicator=indicator, valid_from="2026-01-01", value=30)
    items = [
        {"indicator": i.code, "observed_at": f"2026-{m + 1:02d}-15", "value": 20.0 + 20 * m + n}
        for n, i in enumerate(indicators)
        for m in range(months)
    ]
    ingest_measurements(organisation=organisation, items=items)
    return indicators


def queries_for(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    return response


# -- access ---------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_person_without_organisation_gets_403(client, django_user_model):
    user = django_user_model.objects.create_user("loner", password="x-very-long-pass")
    assert signed_in(client, user).get(reverse("home")).status_code == 403


def test_viewers_see_no_edit_buttons_and_get_403_on_edit_pages(client, viewer, organisation):
    make_indicators(organisation, 1)
    signed_in(client, viewer)
    detail = client.get(reverse("indicator-detail", args=["ind_0"])).content.decode()
    assert reverse("indicator-edit", args=["ind_0"]) not in detail
    assert reverse("upload") not in detail
    for name, args in [
        ("indicator-create", []),
        ("indicator-edit", ["ind_0"]),
        ("measurement-create", []),
        ("upload", []),
        ("members", []),
        ("api-keys", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    assert client.post(reverse("upload-confirm"), {"token": "x"}).status_code == 403


def test_analysts_edit_data_but_do_not_manage_members(client, analyst, organisation):
    make_indicators(organisation, 1)
    signed_in(client, analyst)
    page = client.get(reverse("home")).content.decode()
    assert reverse("upload") in page
    assert reverse("members") not in page
    assert client.get(reverse("indicator-create")).status_code == 200
    assert client.get(reverse("members")).status_code == 403
    assert client.get(reverse("api-keys")).status_code == 403


def test_another_organisations_indicator_answers_404(client, analyst, other_organisation):
    IndicatorFactory(organisation=other_organisation, code="secret")
    signed_in(client, analyst)
    assert client.get(reverse("indicator-detail", args=["secret"])).status_code == 404
    assert client.get(reverse("indicator-edit", args=["secret"])).status_code == 404


# -- dashboard, list, detail ---------------------------------------------------------------------


def test_dashboard_explains_how_to_start_when_empty(client, analyst):
    page = signed_in(client, analyst).get(reverse("home")).content.decode()
    assert "No indicators yet" in page
    assert reverse("indicator-create") in page
    assert "/api/v1/measurements/" in page


def test_dashboard_puts_indicators_outside_band_first(client, viewer, organisation):
    make_indicators(organisation, 2)
    IndicatorFactory(
        organisation=organisation, code="calm", name="Aaa calm", band_low=0, band_high=999
    )
    ingest_measurements(
        organisation=organisation,
        items=[{"indicator": "calm", "observed_at": "2026-03-15", "value": 5}],
    )
    page = signed_in(client, viewer).get(reverse("home")).content.decode()
    attention, rest = page.split("Other indicators")
    assert "Ind 0" in attention and "Ind 1" in attention  # latest 60/61 > band high 50
    assert "Aaa calm" in rest
    assert 'data-figure="fig-' in page


# home: + the "needs action" panel (deviation counts, biggest misses, oldest items) and the
# series behind the natural process limits of the small multiples
@pytest.mark.parametrize(("name", "limit"), [("home", 9), ("indicator-list", 6)])
def test_query_count_does_not_grow_with_indicators(
    client, viewer, organisation, django_assert_max_num_queries, name, limit
):
    signed_in(client, viewer)
    make_indicators(organisation, 2)
    with django_assert_max_num_queries(limit) as few:
        client.get(reverse(name))
    make_indicators_more = [
        IndicatorFactory(organisation=organisation, code=f"more_{n}") for n in range(18)
    ]
    ingest_measurements(
        organisation=organisation,
        items=[
            {"indicator": i.code, "observed_at": "2026-02-01", "value": 1}
            for i in make_indicators_more
        ],
    )
    with django_assert_max_num_queries(limit) as many:
        response = client.get(reverse(name))
    assert response.content.decode().count("more_") >= 18
    assert len(many.captured_queries) == len(few.captured_queries)


def test_detail_query_count_does_not_grow_with_measurements(
    client, viewer, organisation, django_assert_max_num_queries
):
    signed_in(client, viewer)
    make_indicators(organisation, 1, months=2)  # 11: session, user, membership, indicator and
    # its targets, benchmarks, bands, segments, values, comments; its sources (the connectors)
    url = reverse("indicator-detail", args=["ind_0"])
    with django_assert_max_num_queries(11) as few:
        client.get(url)
    ingest_measurements(
        organisation=organisation,
        items=[
            {
                "indicator": "ind_0",
                "observed_at": f"2025-{m:02d}-0{d}",
                "value": m + d,
                "segment": {"channel": "web" if d % 2 else "shop"},
            }
            for m in range(1, 13)
            for d in range(1, 6)
        ],
    )
    with django_assert_max_num_queries(11) as many:
        response = client.get(url + "?period=week&segment=channel:web")
    assert "channel:web" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_list_filters_by_kind_and_assessment(client, viewer, organisation):
    make_indicators(organisation, 2)
    IndicatorFactory(organisation=organisation, code="nps", kind="kpi")
    signed_in(client, viewer)
    page = client.get(reverse("indicator-list"), {"kind": "kpi"}).content.decode()
    assert "nps" in page and "ind_0" not in page
    page = client.get(reverse("indicator-list"), {"assessment": "none"}).content.decode()
    assert "nps" in page and "ind_0" not in page
    page = client.get(reverse("indicator-list"), {"assessment": "worse"}).content.decode()
    assert "ind_0" in page and "nps" not in page  # lower is better, latest 60 above the band
    page = client.get(reverse("indicator-list"), {"assessment": "better"}).content.decode()
    assert "ind_0" not in page
    htmx = client.get(reverse("indicator-list"), {"kind": "cpi"}, HTTP_HX_REQUEST="true")
    assert "<html" not in htmx.content.decode() and "ind_1" in htmx.content.decode()


def test_list_rows_show_latest_value_change_and_sparkline(client, viewer, organisation):
    make_indicators(organisation, 1)
    page = signed_in(client, viewer).get(reverse("indicator-list")).content.decode()
    assert "60 s" in page  # latest monthly value with its unit
    assert "+20" in page  # change against the previous month
    assert re.search(r'<polyline points="[0-9., ]+"', page)


def test_detail_embeds_a_plotly_figure_with_band_target_and_points(client, viewer, organisation):
    make_indicators(organisation, 1)
    page = (
        signed_in(client, viewer).get(reverse("indicator-detail", args=["ind_0"])).content.decode()
    )
    raw = re.search(r'<script type="application/json" id="figure-main">(.*?)</script>', page, re.S)
    figure = json.loads(raw.group(1))
    names = [trace.get("name") for trace in figure["data"]]
    assert {"Tolerance band", "Target", "Value"} <= set(names)
    assert any(trace.get("fill") == "tonexty" for trace in figure["data"])
    values = next(t for t in figure["data"] if t.get("name") == "Value")
    assert values["y"] == [20.0, 40.0, 60.0]
    assert "plotly/plotly.min.js" in page and "js/charts.js" in page
    assert "fix it" in page  # the band's corrective action


def table_cells(page: str) -> list[list[str]]:
    """The text of every cell of the values table, row by row."""
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in rows
    ]


def test_detail_table_shows_each_value_vs_target_last_period_and_benchmark(
    client, viewer, organisation
):
    make_indicators(organisation, 1)  # lower is better; 20, 40, 60 s in Jan-Mar; target 30
    page = signed_in(client, viewer).get(reverse("indicator-detail", args=["ind_0"])).content
    cells = table_cells(page.decode())
    # vs target: 60 - 30 = +30, 40 - 30 = +10 (worse: higher), 20 - 30 = -10 (better);
    # vs last period: 60 - 40 = +20, 40 - 20 = +20 (worse); no benchmark.
    assert cells == [
        ["March 2026", "60", "+30 s (worse)30 s", "+20 s (worse)40 s", "—", "10 … 50",
         "worse than expected", "", "1"],
        ["February 2026", "40", "+10 s (worse)30 s", "+20 s (worse)20 s", "—", "10 … 50",
         "as expected", "", "1"],
        ["January 2026", "20", "−10 s (better)30 s", "—", "—", "10 … 50", "as expected", "", "1"],
    ]  # fmt: skip
    assert '<td class="num vs better"' in page.decode()


def test_segment_choice_lists_each_segment_once(client, viewer, organisation):
    make_indicators(organisation, 1)
    ingest_measurements(
        organisation=organisation,
        items=[
            {
                "indicator": "ind_0",
                "observed_at": f"2025-{m:02d}-10",
                "value": m,
                "segment": {"channel": channel},
            }
            for m in range(1, 13)
            for channel in ("web", "shop")
        ],
    )
    page = signed_in(client, viewer).get(reverse("indicator-detail", args=["ind_0"])).content
    options = re.findall(r'<option value="(channel:[a-z]+)"', page.decode())
    assert options == ["channel:shop", "channel:web"]


def test_detail_period_selector_answers_a_partial_for_htmx(client, viewer, organisation):
    make_indicators(organisation, 1)
    signed_in(client, viewer)
    response = client.get(
        reverse("indicator-detail", args=["ind_0"]), {"period": "quarter"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and "Q1 2026" in body


def test_numbers_and_periods_follow_the_language(client, viewer, organisation):
    make_indicators(organisation, 1)
    IndicatorFactory(organisation=organisation, code="frac", band_low=None, band_high=None)
    ingest_measurements(
        organisation=organisation,
        items=[{"indicator": "frac", "observed_at": "2026-03-15", "value": 12.5}],
    )
    signed_in(client, viewer)
    client.cookies["django_language"] = "fi"
    page = client.get(reverse("indicator-detail", args=["frac"])).content.decode()
    assert "12,5" in page
    assert "maaliskuu 2026" in page.lower()
    assert 'lang="fi"' in page


# -- analyst forms --------------------------------------------------------------------------------


def indicator_post(**overrides):
    data = {
        "code": "fast_quote",
        "name": "Fast Quote",
        "unit": "s",
        "kind": "cpi",
        "direction": "lower_is_better",
        "aggregation": "mean",
        "period": "month",
        "evidence": "",
        "layer": "execution",
        "formula": "",
        "baseline_value": "90",
        "baseline_date": "2026-01-01",
        "spc_baseline_points": "20",
        "bands-TOTAL_FORMS": "1",
        "bands-INITIAL_FORMS": "0",
        "bands-0-valid_from": "",
        "bands-0-low": "20",
        "bands-0-high": "50,5",
        "bands-0-action_below": "learn",
        "bands-0-action_above": "fix",
        "targets-TOTAL_FORMS": "2",
        "targets-INITIAL_FORMS": "0",
        "targets-0-valid_from": "2026-01-01",
        "targets-0-value": "30",
        "targets-1-valid_from": "",
        "targets-1-value": "",
        "benchmarks-TOTAL_FORMS": "1",
        "benchmarks-INITIAL_FORMS": "0",
        "benchmarks-0-valid_from": "2026-01-01",
        "benchmarks-0-value": "40",
        "benchmarks-0-source": "mystery shopping",
    }
    data.update(overrides)
    return data


def test_analyst_creates_an_indicator_with_band_targets_and_benchmarks(
    client, analyst, organisation
):
    response = signed_in(client, analyst).post(reverse("indicator-create"), indicator_post())
    assert response.status_code == 302
    indicator = Indicator.objects.get(organisation=organisation, code="fast_quote")
    band = indicator.bands.get()
    assert (band.low, band.high) == (20, 50.5)
    assert indicator.baseline_value == 90
    assert [t.value for t in indicator.targets.all()] == [30]
    assert [(b.value, b.source) for b in indicator.benchmarks.all()] == [(40, "mystery shopping")]


def test_service_errors_are_shown_beside_their_fields(client, analyst, organisation):
    signed_in(client, analyst)
    response = client.post(
        reverse("indicator-create"),
        indicator_post(code="Bad Code", aggregation="", formula="", **{"bands-0-low": "abc"}),
    )
    assert response.status_code == 400
    assert Indicator.objects.count() == 0
    body = response.content.decode()
    assert "Enter a number" in body
    response = client.post(
        reverse("indicator-create"), indicator_post(code="Bad Code", aggregation="")
    )
    body = response.content.decode()
    assert "needs an aggregation" in body
    assert "lowercase letters" in body.lower()
    response = client.post(reverse("indicator-create"), indicator_post(formula="100 * nope"))
    assert "Unknown indicator" in response.content.decode()


def test_analyst_edits_an_indicator_through_the_service(client, analyst, organisation):
    make_indicators(organisation, 1)
    signed_in(client, analyst)
    form = client.get(reverse("indicator-edit", args=["ind_0"])).content.decode()
    assert 'value="ind_0"' in form
    response = client.post(
        reverse("indicator-edit", args=["ind_0"]),
        indicator_post(code="ind_0", name="Renamed", **{"bands-0-high": "70"}),
    )
    assert response.status_code == 302
    indicator = Indicator.objects.get(code="ind_0")
    assert indicator.name == "Renamed" and indicator.bands.get().high == 70


def test_single_measurement_goes_through_ingest_and_shows_errors(client, analyst, organisation):
    make_indicators(organisation, 1)
    signed_in(client, analyst)
    url = reverse("measurement-create")
    bad = client.post(url, {"indicator": "ind_0", "observed_at": "yesterday", "value": "1"})
    assert bad.status_code == 400
    assert "ISO-8601" in bad.content.decode()
    wrong = client.post(url, {"indicator": "ind_0", "observed_at": "2026-04-01", "value": "x"})
    assert "Enter a number" in wrong.content.decode()
    ratio = client.post(
        url, {"indicator": "ind_0", "observed_at": "2026-04-01", "value": "1", "numerator": "2"}
    )
    assert "only for ratio" in ratio.content.decode()
    good = client.post(
        url,
        {
            "indicator": "ind_0",
            "observed_at": "2026-04-01",
            "value": "12,5",
            "segment": "channel:web",
        },
    )
    assert good.status_code == 302
    measurement = Measurement.objects.get(indicator__code="ind_0", local_date="2026-04-01")
    assert measurement.value == 12.5 and measurement.segment == {"channel": "web"}


def test_deviations_list_and_analyst_state_change(client, analyst, viewer, organisation):
    make_indicators(organisation, 1)
    deviation = Deviation.objects.get(indicator__code="ind_0", period_start="2026-03-01")
    signed_in(client, viewer)
    page = client.get(reverse("deviations")).content.decode()
    assert "fix it" in page or "learn" in page
    assert reverse("deviation-update", args=[deviation.pk]) not in page
    assert client.post(reverse("deviation-update", args=[deviation.pk])).status_code == 403
    signed_in(client, analyst)
    response = client.post(
        reverse("deviation-update", args=[deviation.pk]),
        {f"d{deviation.pk}-state": "acknowledged", f"d{deviation.pk}-note": "looking"},
    )
    assert response.status_code == 302
    deviation.refresh_from_db()
    assert (deviation.state, deviation.note) == ("acknowledged", "looking")
