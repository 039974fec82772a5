"""CPI profiles: warnings (never refusals) and customer-centricity counts per organisation and team."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cpi import selectors
from cpi.compute.profiles import profile_warnings
from cpi.models import CpiProfile
from cpi.services import add_evidence_note, save_profile
from indicators.services import ingest_measurements
from tests.factories import IndicatorFactory

TODAY = date(2026, 3, 15)


def codes(**definition):
    base = {"code": "fast_quote", "name": "Fast Quote", "unit": "s", "evidence": "do"}
    base.update(notes=1, value_unit="time")
    base.update(definition)
    return {w["code"] for w in profile_warnings(**base)}


def test_a_good_cpi_has_no_warning():
    assert codes() == set()


def test_a_cpi_without_customer_evidence_or_profile_is_warned_about():
    assert codes(notes=0) == {"no_customer_evidence"}
    assert codes(value_unit=None) == {"no_profile"}


@pytest.mark.parametrize(
    "unit", ["SEK", "kSEK", "EUR", "€", "$", "revenue", "Revenue per customer", "kr", "omsättning"]
)
def test_a_company_unit_is_warned_about(unit):
    assert "company_unit" in codes(unit=unit)


def test_money_the_customer_saves_is_no_company_unit_but_revenue_is():
    assert "company_unit" not in codes(unit="EUR", value_unit="money_saved")
    assert "company_unit" in codes(unit="revenue EUR", value_unit="money_saved")
    assert "company_unit" in codes(name="Sales per rep", unit="count")
    # Words, not letters: "seconds" contains no currency.
    assert "company_unit" not in codes(unit="seconds")
    assert "company_unit" not in codes(unit="Kronologisk ordning")


@pytest.mark.parametrize(
    ("code", "name", "evidence"),
    [
        ("nps", "Net Promoter Score", "do"),
        ("customer_nps", "Customer score", "do"),
        ("csat_support", "Support", "do"),
        ("effort", "Customer Effort Score", "do"),
        ("quote_feeling", "How fast quotes feel", "say"),
    ],
)
def test_a_survey_score_typed_as_a_cpi_is_warned_about(code, name, evidence):
    assert "survey_score" in codes(code=code, name=name, evidence=evidence)


def test_the_warnings_say_why_in_plain_words():
    [warning] = profile_warnings(
        code="q", name="Quote", unit="SEK", evidence="do", notes=1, value_unit="time"
    )
    assert "SEK" in warning["message"] and "KPI" in warning["message"]


@pytest.mark.django_db
def test_cpi_selectors_carry_the_warnings_of_the_stored_profile(organisation):
    quote = IndicatorFactory(organisation=organisation, code="fast_quote", name="Fast Quote")
    IndicatorFactory(organisation=organisation, code="nps", name="NPS", kind="kpi")
    assert {
        w["code"]
        for w in selectors.cpi_by_code(organisation=organisation, code="fast_quote").warnings
    } == {
        "no_customer_evidence",
        "no_profile",
    }
    save_profile(
        indicator=quote,
        data={"desired_outcome": "A price now", "value_unit": "time", "team": "Sales"},
    )
    add_evidence_note(
        indicator=quote,
        data={
            "kind": "interview",
            "noted_on": date(2026, 2, 1),
            "source": "Ten buyers",
            "text": "Slow quotes lose us.",
        },
    )
    found = selectors.cpi_by_code(organisation=organisation, code="fast_quote")
    assert found.warnings == [] and len(found.notes) == 1 and found.team == "Sales"
    [listed] = selectors.cpis_of(organisation=organisation, today=TODAY)
    assert (listed.code, listed.note_count, listed.warnings) == ("fast_quote", 1, [])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"value_unit": "money"}, "value_unit"),
        ({"customer_segment": "aliens"}, "customer_segment"),
        ({"expectation": "x" * 201}, "expectation"),
        ({"team": "t" * 101}, "team"),
    ],
)
def test_bad_profiles_name_the_field_and_write_nothing(organisation, data, field):
    quote = IndicatorFactory(organisation=organisation, code="fast_quote")
    with pytest.raises(ValidationError) as caught:
        save_profile(indicator=quote, data=data)
    assert field in caught.value.message_dict
    assert CpiProfile.objects.count() == 0


@pytest.mark.django_db
def test_a_kpi_has_no_profile_and_no_notes(organisation):
    kpi = IndicatorFactory(organisation=organisation, code="churn", kind="kpi")
    with pytest.raises(ValidationError):
        save_profile(indicator=kpi, data={"value_unit": "time"})
    with pytest.raises(ValidationError) as caught:
        add_evidence_note(indicator=kpi, data={"kind": "nope"})
    assert set(caught.value.message_dict) == {"indicator", "kind", "noted_on", "source", "text"}


# --- customer-centricity ----------------------------------------------------------------------


@pytest.mark.django_db
def test_customer_centricity_counts_tracked_cpis_and_kpis_per_organisation_and_team(
    organisation, other_organisation, django_capture_on_commit_callbacks
):
    make = lambda code, **kw: IndicatorFactory(organisation=organisation, code=code, **kw)  # noqa: E731
    make("fast_quote", team="Sales")  # tracked: a value in February
    make("turnaround", team="Sales")  # stale: the latest value in November
    make("first_time_fix", team="Service")  # tracked
    make("nothing_broke", team="Service")  # no value at all: not tracked
    make("new_customers", kind="kpi", team="Sales")  # tracked
    make("revenue", kind="kpi")  # tracked, no team
    make("churn", kind="kpi", team="Service")  # stale
    IndicatorFactory(organisation=other_organisation, code="fast_quote")  # not ours
    recent, old = "2026-02-10", "2025-11-10"
    items = [
        {"indicator": code, "observed_at": day, "value": 1.0}
        for code, day in (
            ("fast_quote", recent),
            ("turnaround", old),
            ("first_time_fix", recent),
            ("new_customers", recent),
            ("revenue", recent),
            ("churn", old),
        )
    ]
    with django_capture_on_commit_callbacks(execute=True):
        ingest_measurements(organisation=organisation, items=items)

    found = selectors.customer_centricity(organisation=organisation, today=TODAY)
    whole = found["organisation"].as_dict()
    assert whole == {"cpi": 2, "kpi": 2, "cpi_total": 4, "kpi_total": 3, "share": 0.5}
    teams = {t.team: t.as_dict() for t in found["teams"]}
    assert [t.team for t in found["teams"]] == ["Sales", "Service", ""]  # no team last
    assert teams["Sales"] == {"cpi": 1, "kpi": 1, "cpi_total": 2, "kpi_total": 1, "share": 0.5}
    assert teams["Service"] == {"cpi": 1, "kpi": 0, "cpi_total": 2, "kpi_total": 1, "share": 1.0}
    assert teams[""] == {"cpi": 0, "kpi": 1, "cpi_total": 0, "kpi_total": 1, "share": 0.0}
    tracked = {i.code: i.tracked for i in found["organisation"].indicators}
    assert tracked == {
        "fast_quote": True,
        "turnaround": False,
        "first_time_fix": True,
        "nothing_broke": False,
        "new_customers": True,
        "revenue": True,
        "churn": False,
    }


@pytest.mark.django_db
def test_nothing_tracked_has_no_share(organisation):
    IndicatorFactory(organisation=organisation, code="fast_quote")
    whole = selectors.customer_centricity(organisation=organisation, today=TODAY)["organisation"]
    assert (whole.tracked, whole.share, whole.cpi_total) == (0, None, 1)
