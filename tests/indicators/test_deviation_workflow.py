"""Deviations with an owner and a history: what the recompute opens, resolves and reopens as
data change, what people change through the one service, and what the API answers."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from accounts.services import create_user
from indicators.models import Band, Deviation, DeviationChange
from indicators.services import update_deviation
from indicators.services.period_values import miss
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "low", "high", "expected"),
    [
        (42.0, 10.0, 30.0, 0.6),  # (42 - 30) / (30 - 10)
        (4.0, 10.0, 30.0, 0.3),  # (10 - 4) / 20
        (20.0, 10.0, 30.0, 0.0),  # inside
        (45.0, None, 30.0, 0.5),  # one-sided: (45 - 30) / |30|
        (-10.0, -8.0, None, 0.25),  # one-sided: (-8 - -10) / |-8|
        (-3.0, 0.0, None, 3.0),  # limit 0: divide by 1
        (7.0, 5.0, 5.0, 0.4),  # zero width: (7 - 5) / |5|
    ],
)
def test_the_miss_is_the_distance_outside_the_band_in_band_widths(value, low, high, expected):
    assert miss(value, low, high) == pytest.approx(expected)


@pytest.fixture
def month(api, django_capture_on_commit_callbacks):
    """Push one monthly value of `code` (the same key each time), recomputed at once."""

    def push_month(code, number, value):
        with django_capture_on_commit_callbacks(execute=True):
            _month(api, code, number, value)

    return push_month


def _month(api, code, month, value):
    response = push(
        api,
        [
            {
                "indicator": code,
                "observed_at": f"2026-{month:02d}-01",
                "value": value,
                "key": f"{code}-{month}",
            }
        ],
    )
    assert response.status_code == 200, response.json()


def _states(deviation):
    return [(c.by_id, c.old_state, c.new_state) for c in deviation.history.order_by("at", "id")]


def test_data_open_resolve_and_reopen_a_deviation_keeping_each_step(
    api, month, organisation, analyst, mailoutbox
):
    indicator = IndicatorFactory(
        organisation=organisation, code="handling_time", band_low=10.0, band_high=30.0
    )
    Band.objects.filter(indicator=indicator).update(owner=analyst)
    analyst.email = "anna@example.com"
    analyst.save(update_fields=["email"])

    month("handling_time", 3, 42.0)  # above the band; lower is better: corrective
    deviation = Deviation.objects.get(indicator=indicator)
    assert (deviation.state, deviation.kind, deviation.owner) == ("open", "corrective", analyst)
    assert deviation.notified_at is not None  # the sender ran after the recompute's commit
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [analyst.email]
    assert deviation.miss == pytest.approx(0.6)  # (42 - 30) / 20
    first_opened = deviation.opened_at
    assert first_opened is not None

    month("handling_time", 3, 20.0)  # back inside
    deviation.refresh_from_db()
    assert (deviation.state, deviation.value, deviation.miss) == ("resolved_by_data", 20.0, 0.0)

    month("handling_time", 3, 5.0)  # below the band: better, a learning action
    deviation.refresh_from_db()
    assert (deviation.state, deviation.kind) == ("open", "learning")
    assert deviation.notified_at >= deviation.opened_at  # reopened by data: told again
    assert len(mailoutbox) == 2
    assert deviation.miss == pytest.approx(0.25)  # (10 - 5) / 20
    assert deviation.opened_at > first_opened
    assert deviation.action == "Act on a low value."
    assert _states(deviation) == [
        (None, "", "open"),
        (None, "open", "resolved_by_data"),
        (None, "resolved_by_data", "open"),
    ]
    assert Deviation.objects.filter(indicator=indicator).count() == 1

    history = api.get(f"/api/v1/deviations/{deviation.pk}/").json()["history"]
    assert [(h["by"], h["old_state"], h["new_state"]) for h in history] == [
        (None, "", "open"),
        (None, "open", "resolved_by_data"),
        (None, "resolved_by_data", "open"),
    ]
    assert history[0]["new_owner"] == "anna"


def test_a_value_changing_inside_the_same_side_adds_no_history(month, organisation):
    IndicatorFactory(organisation=organisation, code="handling_time", band_low=10.0, band_high=30.0)

    month("handling_time", 3, 42.0)
    month("handling_time", 3, 50.0)

    deviation = Deviation.objects.get()
    assert deviation.miss == pytest.approx(1.0)  # (50 - 30) / 20
    assert _states(deviation) == [(None, "", "open")]


def test_a_closed_deviation_stays_closed_when_its_value_comes_back(month, organisation, analyst):
    IndicatorFactory(organisation=organisation, code="handling_time", band_low=10.0, band_high=30.0)
    month("handling_time", 3, 42.0)
    deviation = Deviation.objects.get()
    update_deviation(deviation=deviation, by=analyst, state="closed", note="Hired two agents")

    month("handling_time", 3, 20.0)

    deviation.refresh_from_db()
    assert deviation.state == "closed"
    assert len(_states(deviation)) == 2


def test_the_owner_is_the_bands_else_the_indicators(month, organisation, analyst, viewer):
    IndicatorFactory(
        organisation=organisation,
        code="with_band_owner",
        band_low=10.0,
        band_high=30.0,
        owner_user=viewer,
    )
    Band.objects.filter(indicator__code="with_band_owner").update(owner=analyst)
    IndicatorFactory(
        organisation=organisation,
        code="indicator_owner_only",
        band_low=10.0,
        band_high=30.0,
        owner_user=viewer,
    )
    IndicatorFactory(organisation=organisation, code="nobody", band_low=10.0, band_high=30.0)

    for code in ("with_band_owner", "indicator_owner_only", "nobody"):
        month(code, 3, 42.0)

    owners = dict(Deviation.objects.values_list("indicator__code", "owner__username"))
    assert owners == {
        "with_band_owner": "anna",
        "indicator_owner_only": "ville",
        "nobody": None,
    }


@pytest.fixture
def deviation(organisation):
    indicator = IndicatorFactory(organisation=organisation, code="handling_time")
    return Deviation.objects.create(
        indicator=indicator,
        period="month",
        period_start=date(2026, 3, 1),
        kind="corrective",
        value=42.0,
        band_low=10.0,
        band_high=30.0,
        miss=0.6,
        action="Call the team lead",
    )


def test_each_change_by_a_person_is_kept_with_who_states_and_note(deviation, analyst):
    update_deviation(deviation=deviation, by=analyst, state="acknowledged")
    update_deviation(deviation=deviation, by=analyst, state="closed", note="Hired two agents")
    update_deviation(deviation=deviation, by=analyst, state="open")

    rows = list(deviation.history.values_list("by__username", "old_state", "new_state", "note"))
    assert rows == [
        ("anna", "open", "acknowledged", ""),
        ("anna", "acknowledged", "closed", "Hired two agents"),
        ("anna", "closed", "open", ""),
    ]


def test_saving_nothing_new_keeps_no_history(deviation, analyst):
    update_deviation(deviation=deviation, by=analyst, state="open", note="")

    assert not deviation.history.exists()


def test_the_owner_changes_to_a_member_and_the_change_is_kept(deviation, analyst, viewer):
    update_deviation(deviation=deviation, by=analyst, owner=viewer)
    update_deviation(deviation=deviation, by=analyst, owner=None)

    deviation.refresh_from_db()
    assert deviation.owner is None
    rows = list(deviation.history.values_list("old_owner__username", "new_owner__username"))
    assert rows == [(None, "ville"), ("ville", None)]


def test_an_owner_from_another_organisation_is_refused_and_nothing_changes(
    deviation, analyst, other_organisation
):
    stranger = create_user(organisation=other_organisation, username="stranger", role=Role.ADMIN)

    with pytest.raises(ValidationError) as refused:
        update_deviation(deviation=deviation, by=analyst, state="acknowledged", owner=stranger)

    assert set(refused.value.error_dict) == {"owner"}
    deviation.refresh_from_db()
    assert (deviation.state, deviation.owner) == ("open", None)
    assert not deviation.history.exists()


def _patch(api, deviation, body):
    return api.patch(f"/api/v1/deviations/{deviation.pk}/", body, format="json")


def test_the_api_hands_a_deviation_over_by_username(api, deviation, viewer):
    response = _patch(api, deviation, {"owner": "ville", "state": "acknowledged"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["owner"], body["state"], body["miss"]) == ("ville", "acknowledged", 0.6)
    assert body["history"][-1] == {
        "at": body["history"][-1]["at"],
        "by": None,  # an API key acts for the organisation, not for a person
        "old_state": "open",
        "new_state": "acknowledged",
        "old_owner": None,
        "new_owner": "ville",
        "note": "",
    }
    assert body["signal"] is None and body["is_signal"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": "nobody-here", "state": "acknowledged"}, "owner"),
        ({"owner": "stranger", "state": "acknowledged"}, "owner"),
        ({"owner": 7}, "owner"),
        ({"state": "resolved_by_data"}, "state"),
        ({"state": "closed", "note": "  "}, "note"),
    ],
)
def test_the_api_refuses_a_bad_change_naming_the_field_and_changes_nothing(
    api, deviation, other_organisation, body, field
):
    create_user(organisation=other_organisation, username="stranger", role=Role.ADMIN)

    response = _patch(api, deviation, body)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    deviation.refresh_from_db()
    assert (deviation.state, deviation.owner) == ("open", None)
    assert not deviation.history.exists()


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
            owner=analyst,
        )
        DeviationChange.objects.create(
            deviation=deviation, by=analyst, new_state="open", new_owner=analyst
        )


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200
    return len(captured)


def test_the_api_list_costs_the_same_queries_for_3_and_30_deviations(
    api, organisation, analyst, django_assert_max_num_queries
):
    _many(organisation, analyst, 3)
    few = _queries(lambda: api.get("/api/v1/deviations/"))
    _many(organisation, analyst, 27)

    with django_assert_max_num_queries(few):
        body = api.get("/api/v1/deviations/").json()
    assert body["count"] == 30
    assert all(len(d["history"]) == 1 and d["owner"] == "anna" for d in body["results"])


def test_the_api_filters_by_owner_kind_state_and_indicator(api, organisation, analyst, viewer):
    _many(organisation, analyst, 4)
    Deviation.objects.filter(period_start=date(2000, 1, 1)).update(owner=viewer)

    def ids(**query):
        return len(api.get("/api/v1/deviations/", query).json()["results"])

    assert ids(owner="ville") == 1
    assert ids(owner="anna") == 3
    assert ids(kind="learning") == 2
    assert ids(kind="learning", owner="anna") == 1
    assert ids(state="closed") == 0
    assert ids(indicator=Deviation.objects.first().indicator.code) == 4
