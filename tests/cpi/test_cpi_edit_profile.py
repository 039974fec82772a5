"""The CPI profile and customer-evidence forms: saved through the services, errors on the field,
analysts only, the analyst's own organisation only."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from cpi.models import CpiProfile, EvidenceNote
from cpi.services import add_evidence_note
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def fast_quote(organisation):
    return IndicatorFactory(organisation=organisation, code="fast_quote", name="Fast Quote")


@pytest.fixture
def note(fast_quote, analyst):
    data = {"kind": "interview", "noted_on": date(2026, 2, 3), "source": "6 home buyers",
            "text": "They left when the price took a day."}  # fmt: skip
    return add_evidence_note(indicator=fast_quote, data=data, created_by=analyst)


def profile_post(**fields) -> dict:
    data = {
        "desired_outcome": "I get a price while I am still on the page.",
        "expectation": "a price while I am still on the page",
        "value_unit": "time",
        "customer_segment": "consumers",
        "team": "Online sales",
    }
    return data | fields


def test_the_profile_form_asks_for_the_customers_words_with_an_example(anna, fast_quote):
    response = anna.get(reverse("cpi-profile-edit", args=["fast_quote"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "customer&#x27;s words" in page or "customer's words" in page
    assert "a price while I am still on the page" in page
    assert 'value="money_saved"' in page  # the unit customers value is a select


def test_saving_the_profile_stores_it_and_the_team_and_goes_to_the_cpi_page(anna, fast_quote):
    response = anna.post(reverse("cpi-profile-edit", args=["fast_quote"]), profile_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("cpi-detail", args=["fast_quote"])
    profile = CpiProfile.objects.get(indicator=fast_quote)
    assert (profile.desired_outcome, profile.expectation) == (
        "I get a price while I am still on the page.",
        "a price while I am still on the page",
    )
    assert (profile.value_unit, profile.customer_segment) == ("time", "consumers")
    fast_quote.refresh_from_db()
    assert fast_quote.team == "Online sales"


def test_saving_again_changes_the_same_profile_and_shows_its_values(anna, fast_quote):
    anna.post(reverse("cpi-profile-edit", args=["fast_quote"]), profile_post())
    page = anna.get(reverse("cpi-profile-edit", args=["fast_quote"])).content.decode()
    assert 'value="Online sales"' in page and '<option value="time" selected>' in page
    anna.post(reverse("cpi-profile-edit", args=["fast_quote"]), profile_post(value_unit="options"))
    assert CpiProfile.objects.get().value_unit == "options"


def test_an_unknown_unit_is_a_form_error_on_the_unit_and_nothing_is_saved(anna, fast_quote):
    response = anna.post(
        reverse("cpi-profile-edit", args=["fast_quote"]), profile_post(value_unit="revenue")
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["value_unit"]
    assert not CpiProfile.objects.exists()


def test_a_too_long_team_is_a_form_error_on_the_team(anna, fast_quote):
    response = anna.post(
        reverse("cpi-profile-edit", args=["fast_quote"]), profile_post(team="x" * 101)
    )
    assert response.status_code == 400
    assert "team" in response.context["form"].errors


def test_a_kpi_has_no_cpi_profile(anna, organisation):
    IndicatorFactory(organisation=organisation, code="revenue", kind="kpi")
    assert anna.get(reverse("cpi-profile-edit", args=["revenue"])).status_code == 404
    assert (
        anna.post(reverse("cpi-profile-edit", args=["revenue"]), profile_post()).status_code == 404
    )


def test_viewers_may_not_edit_and_another_organisations_cpi_is_not_found(
    client, viewer, anna, other_organisation, fast_quote, note
):
    IndicatorFactory(organisation=other_organisation, code="their_cpi")
    assert anna.get(reverse("cpi-profile-edit", args=["their_cpi"])).status_code == 404
    assert anna.get(reverse("cpi-note-create", args=["their_cpi"])).status_code == 404
    client.force_login(viewer)
    assert client.get(reverse("cpi-profile-edit", args=["fast_quote"])).status_code == 403
    assert (
        client.post(reverse("cpi-profile-edit", args=["fast_quote"]), profile_post()).status_code
        == 403
    )
    assert client.get(reverse("cpi-note-create", args=["fast_quote"])).status_code == 403
    assert client.post(reverse("cpi-note-delete", args=[note.pk])).status_code == 403
    assert EvidenceNote.objects.filter(pk=note.pk).exists()


# -- evidence notes -------------------------------------------------------------------------------


def test_a_new_note_is_dated_today_in_the_organisations_zone(anna, fast_quote):
    response = anna.get(reverse("cpi-note-create", args=["fast_quote"]))
    today = datetime.now(ZoneInfo("Europe/Helsinki")).date()
    assert f'value="{today.isoformat()}"' in response.content.decode()


def test_adding_a_note_stores_it_with_its_author_and_goes_back_to_the_cpi(
    anna, analyst, fast_quote
):
    response = anna.post(
        reverse("cpi-note-create", args=["fast_quote"]),
        {"kind": "contextual_inquiry", "noted_on": "2026-03-04", "source": "Visit at a broker",
         "text": "The broker phones the customer back with the price."},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("cpi-detail", args=["fast_quote"])
    note = EvidenceNote.objects.get()
    assert (note.indicator, note.kind, note.noted_on, note.source, note.created_by) == (
        fast_quote, "contextual_inquiry", date(2026, 3, 4), "Visit at a broker", analyst,
    )  # fmt: skip


def test_a_note_without_source_or_text_names_those_fields(anna, fast_quote):
    response = anna.post(
        reverse("cpi-note-create", args=["fast_quote"]),
        {"kind": "survey", "noted_on": "2026-03-04", "source": "  ", "text": ""},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"source", "text"}
    assert not EvidenceNote.objects.exists()


def test_a_note_of_an_unknown_kind_is_an_error_on_the_kind(anna, fast_quote):
    response = anna.post(
        reverse("cpi-note-create", args=["fast_quote"]),
        {"kind": "rumour", "noted_on": "2026-03-04", "source": "x", "text": "y"},
    )
    assert response.status_code == 400 and list(response.context["form"].errors) == ["kind"]


def test_a_kpi_takes_no_customer_evidence(anna, organisation):
    IndicatorFactory(organisation=organisation, code="revenue", kind="kpi")
    assert anna.get(reverse("cpi-note-create", args=["revenue"])).status_code == 404


def test_deleting_a_note_is_a_post_that_goes_back_to_the_cpi(anna, note):
    url = reverse("cpi-note-delete", args=[note.pk])
    assert anna.get(url).status_code == 405
    response = anna.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("cpi-detail", args=["fast_quote"])
    assert not EvidenceNote.objects.exists()


def test_another_organisations_note_is_not_found(anna, other_organisation):
    theirs = IndicatorFactory(organisation=other_organisation, code="their_cpi")
    note = add_evidence_note(
        indicator=theirs,
        data={"kind": "survey", "noted_on": date(2026, 1, 1), "source": "s", "text": "t"},
    )
    assert anna.post(reverse("cpi-note-delete", args=[note.pk])).status_code == 404
    assert EvidenceNote.objects.filter(pk=note.pk).exists()
