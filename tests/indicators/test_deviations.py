"""One service moves deviations through their states; the API and the page both go through it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from indicators.models import Deviation
from indicators.services import update_deviation
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = {
    "id",
    "indicator",
    "period_start",
    "kind",
    "value",
    "band_low",
    "band_high",
    "action",
    "state",
    "note",
}


@pytest.fixture
def make_deviation(organisation):
    indicator = IndicatorFactory(organisation=organisation, code="handling_time")

    def make(state="open", note="", organisation_indicator=indicator):
        return Deviation.objects.create(
            indicator=organisation_indicator,
            period="month",
            period_start=date(2026, 3, 1),
            kind="corrective",
            value=42.0,
            band_low=10.0,
            band_high=30.0,
            action="Call the team lead",
            state=state,
            note=note,
        )

    return make


def _refused_field(call) -> set[str]:
    with pytest.raises(ValidationError) as refused:
        call()
    return set(refused.value.error_dict)


@pytest.mark.parametrize(
    ("before", "after", "note"),
    [
        ("open", "acknowledged", ""),
        ("open", "closed", "Rerouted the calls"),
        ("acknowledged", "closed", "Rerouted the calls"),
        ("acknowledged", "open", ""),
        ("closed", "open", "Rerouted the calls"),
    ],
)
def test_allowed_state_changes_are_saved(make_deviation, before, after, note):
    deviation = make_deviation(state=before)

    updated = update_deviation(deviation=deviation, by=None, state=after, note=note)

    deviation.refresh_from_db()
    assert (deviation.state, deviation.note) == (after, note)
    assert (updated.state, updated.note) == (after, note)


@pytest.mark.parametrize("before", ["open", "acknowledged"])
@pytest.mark.parametrize("note", ["", "   "])
def test_closing_without_a_note_is_refused_naming_the_note(make_deviation, before, note):
    deviation = make_deviation(state=before)

    assert _refused_field(
        lambda: update_deviation(deviation=deviation, by=None, state="closed", note=note)
    ) == {"note"}
    deviation.refresh_from_db()
    assert deviation.state == before


def test_a_deviation_with_a_note_already_closes_without_a_new_one(make_deviation):
    deviation = make_deviation(state="acknowledged", note="Rerouted the calls")

    update_deviation(deviation=deviation, by=None, state="closed")

    deviation.refresh_from_db()
    assert (deviation.state, deviation.note) == ("closed", "Rerouted the calls")


def test_a_closed_deviation_keeps_a_note(make_deviation):
    deviation = make_deviation(state="closed", note="Rerouted the calls")

    assert _refused_field(lambda: update_deviation(deviation=deviation, by=None, note="")) == {
        "note"
    }
    update_deviation(deviation=deviation, by=None, note="Rerouted the calls to the second line")

    deviation.refresh_from_db()
    assert deviation.note == "Rerouted the calls to the second line"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("open", "resolved_by_data"),
        ("acknowledged", "resolved_by_data"),
        ("closed", "resolved_by_data"),
        ("closed", "acknowledged"),
        ("resolved_by_data", "open"),
        ("resolved_by_data", "acknowledged"),
        ("resolved_by_data", "closed"),
        ("open", "forgotten"),
    ],
)
def test_other_state_changes_are_refused_naming_the_state(make_deviation, before, after):
    deviation = make_deviation(state=before, note="Rerouted the calls")

    assert _refused_field(lambda: update_deviation(deviation=deviation, by=None, state=after)) == {
        "state"
    }
    deviation.refresh_from_db()
    assert deviation.state == before


def test_a_deviation_resolved_by_data_takes_a_note_and_stays_resolved(make_deviation):
    deviation = make_deviation(state="resolved_by_data")

    update_deviation(deviation=deviation, by=None, state="resolved_by_data", note="Seasonal peak")

    deviation.refresh_from_db()
    assert (deviation.state, deviation.note) == ("resolved_by_data", "Seasonal peak")


def test_the_service_sees_a_state_the_recompute_set_meanwhile(make_deviation):
    deviation = make_deviation(state="open")
    Deviation.objects.filter(pk=deviation.pk).update(state="resolved_by_data")

    # The caller's copy still says open; the stored row is resolved by data.
    assert _refused_field(
        lambda: update_deviation(deviation=deviation, by=None, state="open", note="")
    ) == {"state"}


def _patch(api, deviation, body):
    return api.patch(f"/api/v1/deviations/{deviation.pk}/", body, format="json")


def test_the_api_refuses_to_close_without_a_note(api, make_deviation):
    deviation = make_deviation()

    response = _patch(api, deviation, {"state": "closed"})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["note"]
    deviation.refresh_from_db()
    assert deviation.state == "open"


def test_the_api_closes_with_a_note_and_answers_the_contract_fields(api, make_deviation):
    deviation = make_deviation()

    response = _patch(api, deviation, {"state": "closed", "note": "Rerouted the calls"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) >= CONTRACT_FIELDS
    assert (body["indicator"], body["state"], body["note"]) == (
        "handling_time",
        "closed",
        "Rerouted the calls",
    )
    deviation.refresh_from_db()
    assert deviation.state == "closed"


def test_the_api_refuses_resolved_by_data_naming_the_state(api, make_deviation):
    deviation = make_deviation(state="acknowledged")

    response = _patch(api, deviation, {"state": "resolved_by_data"})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["state"]


def test_the_api_reopens_a_closed_deviation(api, make_deviation):
    deviation = make_deviation(state="closed", note="Rerouted the calls")

    response = _patch(api, deviation, {"state": "open"})

    assert response.status_code == 200
    assert response.json()["state"] == "open"


def _post(client, deviation, state, note=""):
    return client.post(
        reverse("deviation-update", args=[deviation.pk]),
        {f"d{deviation.pk}-state": state, f"d{deviation.pk}-note": note},
        follow=True,
    )


def test_the_page_shows_why_a_deviation_was_not_closed(client, analyst, make_deviation):
    deviation = make_deviation()
    client.force_login(analyst)

    page = _post(client, deviation, "closed").content.decode()

    assert "Closing a deviation needs a note: what was done or learned." in page
    deviation.refresh_from_db()
    assert deviation.state == "open"


def test_the_page_closes_a_deviation_with_a_note(client, analyst, make_deviation):
    deviation = make_deviation(state="acknowledged")
    client.force_login(analyst)

    page = _post(client, deviation, "closed", "Rerouted the calls").content.decode()

    assert "The deviation was updated." in page
    deviation.refresh_from_db()
    assert (deviation.state, deviation.note) == ("closed", "Rerouted the calls")


def test_the_deviation_page_keeps_a_resolved_deviation_resolved_when_saving_a_note(
    client, analyst, make_deviation
):
    resolved = make_deviation(state="resolved_by_data")
    client.force_login(analyst)

    page = client.get(reverse("deviation-detail", args=[resolved.pk])).content.decode()

    assert f'name="d{resolved.pk}-state" value="resolved_by_data"' in page
    assert "Acknowledge</button>" not in page and "Reopen</button>" not in page
    _post(client, resolved, "resolved_by_data", "Seasonal peak")
    resolved.refresh_from_db()
    assert (resolved.state, resolved.note) == ("resolved_by_data", "Seasonal peak")


def test_another_organisations_deviation_answers_the_404_page(
    client, analyst, make_deviation, other_organisation
):
    theirs = make_deviation(
        organisation_indicator=IndicatorFactory(organisation=other_organisation, code="secret")
    )
    client.force_login(analyst)

    response = client.post(
        reverse("deviation-update", args=[theirs.pk]),
        {f"d{theirs.pk}-state": "acknowledged", f"d{theirs.pk}-note": ""},
    )

    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]
    theirs.refresh_from_db()
    assert theirs.state == "open"
