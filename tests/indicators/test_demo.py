import re
import zoneinfo
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient
from scipy.stats import pearsonr

from accounts.models import ApiKey, Membership, Organisation
from accounts.services import authenticate_api_key
from indicators import selectors
from indicators.compute.periods import previous_period_start
from indicators.demo import TIME_ZONE, build_demo
from indicators.models import (
    FROM_THE_START,
    Deviation,
    Indicator,
    Measurement,
    Notification,
    PeriodValue,
)
from indicators.selectors import band_in_force

CPIS = {
    "fast_quote",
    "quote_turnaround",
    "first_time_resolution",
    "nothing_broke",
    "payment_plan_options",
    "prefilled_quotes",
}
# The initiatives' own outputs and prerequisites: internal measures, so KPIs (not in the
# customer's unit).
DELIVERY = {
    "agents_trained",
    "knowledge_base_answers",
    "quote_engine_availability",
    "repair_partners_audited",
}
KPIS = {
    "quote_conversion",  # the CPI demo's A/B test measures it (cpi/demo/evidence.json)
    "nps",
    "retention",
    "new_customers",
    "premium_revenue",
    "revenue_per_new_customer",
    *DELIVERY,
}
# Defined by the demo parts of the apps above, not by the story: the surveys' demo adds the
# branch offices' operating margin (beside their NPS and customer focus).
PART_KPIS = {"operating_margin"}
API_FIELDS = {"indicator", "observed_at", "value", "numerator", "denominator", "segment"}


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def api_key_in(output: str) -> str:
    return re.search(r"API key[^:]*: (oc_\S+)", output).group(1)


def monthly(code: str) -> dict[date, float]:
    rows = PeriodValue.objects.filter(
        indicator__organisation__slug="demo", indicator__code=code, period="month", segment=""
    )
    return {row.period_start: row.value for row in rows}


def test_build_demo_is_reproducible_and_shaped_like_the_api():
    demo = build_demo(today=date(2026, 3, 15))
    assert demo == build_demo(today=date(2026, 3, 15))
    assert demo.start == date(2024, 10, 1)
    assert demo.end == date(2026, 3, 14)
    assert 15_000 < len(demo.measurements) < 40_000
    ratio = {i["code"] for i in demo.indicators if i["aggregation"] == "ratio"}
    for item in demo.measurements:
        assert set(item) <= API_FIELDS
        if item["indicator"] in ratio:
            assert "value" not in item and item["denominator"] > 0
        else:
            assert isinstance(item["value"], float)
    assert {i["code"] for i in demo.indicators} == CPIS | KPIS
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i["code"]) for i in demo.indicators)
    assert "revenue_per_new_customer" not in {item["indicator"] for item in demo.measurements}
    assert len(CPIS) == 6 and len(KPIS) == 10 and len(demo.indicators) == 16
    assert {i["code"]: i["layer"] for i in demo.indicators if i["code"] in DELIVERY} == {
        "agents_trained": "prerequisite",
        "knowledge_base_answers": "prerequisite",
        "quote_engine_availability": "execution",
        "repair_partners_audited": "prerequisite",
    }


def series(demo, code: str) -> list[tuple[str, float]]:
    """(observed_at, value or percentage) of one indicator's measurements, in order."""
    return [
        (
            item["observed_at"],
            item["value"] if "value" in item else 100 * item["numerator"] / item["denominator"],
        )
        for item in demo.measurements
        if item["indicator"] == code
    ]


def test_the_initiatives_outputs_tell_the_same_story_as_the_cpis():
    """Loaded for 15 March 2026: month index 0 is October 2024."""
    demo = build_demo(today=date(2026, 3, 15))
    agents = series(demo, "agents_trained")
    before_intake = [v for at, v in agents if at < "2026-01-01"]
    # Agents are trained month by month ahead of First Time Resolution, until 24 new agents
    # join untrained in month 15 (January 2026) and the share falls under 90 % again.
    assert before_intake == sorted(before_intake) and before_intake[-1] == 87.9
    assert [v for at, v in agents if at >= "2026-01-01"] == [
        75.6, 75.6, 76.2, 76.8, 77.4, 78.0, 78.7, 79.3, 79.9, 80.5
    ]  # fmt: skip
    # The new knowledge base goes live on 15 November 2025 (month 13): 18 answers at once.
    answers = dict(series(demo, "knowledge_base_answers"))
    assert (answers["2025-11-14"], answers["2025-11-21"], answers["2026-03-13"]) == (22, 41, 48)
    # The quote engine's worst days are the rating-engine outage of 10-12 July 2025 (month 9).
    engine = sorted(series(demo, "quote_engine_availability"), key=lambda pair: pair[1])
    assert [at for at, _v in engine[:3]] == ["2025-07-11", "2025-07-10", "2025-07-12"]
    assert all(v > 96.5 for _at, v in engine[3:])
    # Audits start with the careful-delivery programme (June 2025) and stall in October and
    # November 2025, when the auditor left: far from every partner by March.
    audited = series(demo, "repair_partners_audited")
    assert audited[0][0] == "2025-06-02" and audited[-1] == ("2026-03-09", 45.8)
    stalled = {v for at, v in audited if "2025-10-06" <= at <= "2025-12-01"}
    assert stalled == {29.2}


@pytest.mark.django_db(transaction=True)
def test_load_demo_creates_the_insurer_and_replaces_it_when_run_again():
    """One test, because every load takes seconds: the second run must leave a complete demo."""
    first = load_demo()
    counts = (Measurement.objects.count(), PeriodValue.objects.count())

    output = load_demo()

    assert "Created the demo organisation" in first
    assert "Deleted the existing demo organisation and created it again" in output
    assert Organisation.objects.filter(slug="demo").count() == 1
    assert authenticate_api_key(api_key_in(first)) is None
    assert ApiKey.objects.count() == 1
    assert Membership.objects.count() == 3
    assert (Measurement.objects.count(), PeriodValue.objects.count()) == counts
    check_people_and_api_key(output)
    check_indicators()
    check_values_and_deviations()
    check_fast_quote_leads_new_customers_by_one_month()
    check_the_pipe_is_in_every_state()


def check_the_pipe_is_in_every_state() -> None:
    """The inbox a new user sees: open items of both kinds, one of them a real change, handled
    ones with their notes and history, every owner told, a stale indicator whose owner was
    reminded once."""
    organisation = Organisation.objects.get(slug="demo")
    deviations = list(Deviation.objects.filter(indicator__organisation=organisation))
    states = {(d.kind, d.state) for d in deviations}
    assert {("corrective", "open"), ("learning", "open"), ("corrective", "acknowledged")} <= states
    assert {("corrective", "closed"), ("learning", "closed")} <= states
    closed = [d for d in deviations if d.state == "closed"]
    assert all(d.note.startswith(("Done:", "Learned:")) for d in closed)
    assert all(d.history.filter(new_state="closed", by__isnull=False).exists() for d in closed)
    signals = selectors.deviation_signals(deviations=deviations)
    assert any(signals[d.pk] for d in deviations if d.state == "open")
    assert all(d.owner is not None and d.notified_at is not None for d in deviations)
    stale = Indicator.objects.get(organisation=organisation, code="payment_plan_options")
    assert selectors.indicator_is_stale(stale)
    assert Notification.objects.filter(indicator=stale, kind="stale").count() == 1


def check_people_and_api_key(output: str) -> None:
    organisation = Organisation.objects.get(slug="demo")
    assert (organisation.time_zone, organisation.language) == ("Europe/Stockholm", "en")
    assert "Nordic Mutual" in organisation.name
    for username, role in [("admin", "admin"), ("analyst", "analyst"), ("viewer", "viewer")]:
        user = get_user_model().objects.get(username=username)
        assert user.check_password("demo-password")
        assert Membership.objects.get(user=user, organisation=organisation).role == role
        assert username in output
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    for text in ["demo-password", "/api/docs/", "/admin/", "http://127.0.0.1:8000/"]:
        assert text in output
    assert "POST http://127.0.0.1:8000/api/v1/measurements/" in output
    assert "/api/v1/indicators/fast_quote/values/?period=month" in output

    key = api_key_in(output)
    assert f"Authorization: Api-Key {key}" in output
    assert authenticate_api_key(key).organisation == organisation
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = client.get("/api/v1/indicators/new_customers/values/", {"period": "month"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 17  # complete months only


def check_indicators() -> None:
    organisation = Organisation.objects.get(slug="demo")
    indicators = {i.code: i for i in Indicator.objects.filter(organisation=organisation)}
    assert set(indicators) == CPIS | KPIS | PART_KPIS
    assert {c for c, i in indicators.items() if i.kind == "cpi"} == CPIS
    assert indicators["revenue_per_new_customer"].formula == "premium_revenue / new_customers"
    for indicator in indicators.values():
        band = band_in_force(indicator=indicator)
        assert band.low is not None and band.high is not None
        assert indicator.targets.count() == 2 and indicator.benchmarks.count() == 1
        assert "What made this possible?" in band.action_below + band.action_above
        assert indicator.owner_user.username == {"cpi": "analyst", "kpi": "admin"}[indicator.kind]
    # Fast Quote's band was tightened from 1 January, with the new target.
    fast_quote = indicators["fast_quote"].bands.all()
    this_year = date(timezone.localdate(timezone=zoneinfo.ZoneInfo(TIME_ZONE)).year, 1, 1)
    assert [(b.valid_from, b.high) for b in fast_quote] == [(FROM_THE_START, 50), (this_year, 40)]
    assert Measurement.objects.filter(indicator__organisation=organisation).count() > 15_000


def check_values_and_deviations() -> None:
    organisation = Organisation.objects.get(slug="demo")
    indicators = {i.code: i for i in Indicator.objects.filter(organisation=organisation)}
    for code, indicator in indicators.items():
        own = PeriodValue.objects.filter(indicator=indicator, period=indicator.period, segment="")
        assert own.exists(), code
    assert PeriodValue.objects.filter(
        indicator=indicators["fast_quote"], period="week", segment="channel:web"
    ).exists()

    per_customer = monthly("revenue_per_new_customer")
    revenue, customers = monthly("premium_revenue"), monthly("new_customers")
    assert len(per_customer) == 17
    for month, value in per_customer.items():
        assert value == pytest.approx(revenue[month] / customers[month])

    deviations = Deviation.objects.filter(indicator__organisation=organisation)
    assert deviations.filter(kind="corrective").exists()
    assert deviations.filter(kind="learning").exists()
    # Each deviation carries the action of the band version in force at its period's start.
    fast_quote = indicators["fast_quote"]
    for week in deviations.filter(indicator=fast_quote, kind="corrective"):
        band = band_in_force(indicator=fast_quote, on=week.period_start)
        assert (week.action, week.band_high) == (band.action_above, band.high)


def check_fast_quote_leads_new_customers_by_one_month() -> None:
    """Pearson r of new customers with last month's mean Fast Quote beats the same month's."""
    customers = monthly("new_customers")
    quotes = monthly("fast_quote")
    lag_1 = [(quotes.get(previous_period_start(m, "month")), n) for m, n in customers.items()]
    lag_1 = [(q, n) for q, n in lag_1 if q is not None]
    lag_0 = [(quotes[m], n) for m, n in customers.items()]
    r_lag_1 = pearsonr(*zip(*lag_1, strict=True)).statistic
    r_lag_0 = pearsonr(*zip(*lag_0, strict=True)).statistic
    assert len(lag_1) >= 15
    assert r_lag_1 < -0.6
    assert abs(r_lag_1) > abs(r_lag_0) + 0.1
