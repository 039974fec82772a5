"""Bands as data in force over time: each period is judged by the band version in force at its
start, with the action agreed for that side; changing a band later leaves earlier periods alone."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from accounts.services import create_user
from indicators.compute.periods import period_start
from indicators.models import FROM_THE_START, Band, Deviation, DirtyMark, Indicator, PeriodValue
from indicators.services import (
    bands as bands_module,
)
from indicators.services import (
    create_indicator,
    ingest_measurements,
    recompute_dirty,
    update_indicator,
)

pytestmark = pytest.mark.django_db

BAND = {"low": 20.0, "high": 50.0, "action_below": "act below", "action_above": "act above"}


def make(organisation, direction="higher_is_better", **data) -> Indicator:
    return create_indicator(
        organisation=organisation,
        data={
            "code": "x",
            "name": "X",
            "kind": "cpi",
            "direction": direction,
            "aggregation": "mean",
            "period": "month",
            **data,
        },
    )


def push(organisation, by_day: dict[str, float], code="x") -> None:
    items = [{"indicator": code, "observed_at": day, "value": v} for day, v in by_day.items()]
    ingest_measurements(organisation=organisation, items=items)
    recompute_dirty()


def row(indicator, start: str) -> PeriodValue:
    return PeriodValue.objects.get(
        indicator=indicator, period="month", segment="", period_start=date.fromisoformat(start)
    )


def deviation(indicator, start: str) -> Deviation | None:
    return Deviation.objects.filter(
        indicator=indicator, period="month", period_start=date.fromisoformat(start)
    ).first()


@pytest.fixture
def today_is(monkeypatch):
    """Fix the day a `band` change is made (the start of its period is the new version's)."""

    def set_today(day: date):
        monkeypatch.setattr(bands_module, "today_in", lambda organisation: day)

    return set_today


# direction, value, position, assessment, deviation kind, action of the band in force
WORKED_EXAMPLES = [
    ("higher_is_better", 10, "below", "worse", "corrective", "act below"),
    ("higher_is_better", 60, "above", "better", "learning", "act above"),
    ("higher_is_better", 35, "within", "expected", None, None),
    ("lower_is_better", 10, "below", "better", "learning", "act below"),
    ("lower_is_better", 60, "above", "worse", "corrective", "act above"),
    ("lower_is_better", 35, "within", "expected", None, None),
    ("in_range", 10, "below", "worse", "corrective", "act below"),
    ("in_range", 60, "above", "worse", "corrective", "act above"),
    ("in_range", 20, "within", "expected", None, None),  # a limit itself is inside the band
]


@pytest.mark.parametrize(
    ("direction", "value", "position", "assessment", "kind", "action"), WORKED_EXAMPLES
)
def test_a_value_is_judged_by_its_side_of_the_band_in_the_indicators_direction(
    organisation, direction, value, position, assessment, kind, action
):
    indicator = make(organisation, direction, band=BAND)
    push(organisation, {"2026-03-10": value})
    stored = row(indicator, "2026-03-01")
    assert (stored.band_low, stored.band_high) == (20, 50)
    assert (stored.position, stored.assessment) == (position, assessment)
    found = deviation(indicator, "2026-03-01")
    if kind is None:
        assert found is None
    else:
        assert (found.kind, found.action, found.value) == (kind, action, value)


def test_each_period_is_judged_by_the_band_version_in_force_at_its_start(organisation):
    indicator = make(
        organisation,
        bands=[
            {"from": None, **BAND},
            {
                "from": date(2026, 3, 1),
                "low": 30.0,
                "high": 45.0,
                "action_below": "tight below",
                "action_above": "tight above",
            },
            # Mid-May: in force at the start of June, not of May.
            {"from": date(2026, 5, 15), "low": None, "high": None},
        ],
    )
    push(
        organisation,
        {
            "2026-01-10": 25,  # 20..50: within
            "2026-02-10": 48,  # 20..50: within
            "2026-03-10": 25,  # 30..45: below, worse
            "2026-04-10": 48,  # 30..45: above, better
            "2026-05-10": 48,  # still 30..45 on 1 May: above
            "2026-06-10": 99,  # no band from June
        },
    )
    judged = {
        start: (r.band_low, r.band_high, r.position, r.assessment)
        for start in ("2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01")
        for r in [row(indicator, start)]
    }
    assert judged == {
        "2026-01-01": (20, 50, "within", "expected"),
        "2026-02-01": (20, 50, "within", "expected"),
        "2026-03-01": (30, 45, "below", "worse"),
        "2026-04-01": (30, 45, "above", "better"),
        "2026-05-01": (30, 45, "above", "better"),
    }
    june = row(indicator, "2026-06-01")
    assert (june.band_low, june.band_high, june.position, june.assessment) == (None, None, "", "")
    kinds = {
        d.period_start.isoformat(): (d.kind, d.action)
        for d in Deviation.objects.filter(indicator=indicator)
    }
    assert kinds == {
        "2026-03-01": ("corrective", "tight below"),
        "2026-04-01": ("learning", "tight above"),
        "2026-05-01": ("learning", "tight above"),
    }


def test_a_band_changed_later_holds_from_the_current_period_and_leaves_history_alone(
    organisation, today_is
):
    indicator = make(organisation, band=BAND)
    push(organisation, {"2026-01-10": 25, "2026-03-10": 25, "2026-04-03": 25})
    before = {s: row(indicator, s) for s in ("2026-01-01", "2026-03-01")}
    today_is(date(2026, 4, 15))

    update_indicator(indicator=indicator, data={"band": {**BAND, "low": 30.0}})
    recompute_dirty()

    versions = list(Band.objects.filter(indicator=indicator).values_list("valid_from", "low"))
    assert versions == [(FROM_THE_START, 20), (date(2026, 4, 1), 30)]
    for start, old in before.items():
        now = row(indicator, start)
        assert (now.band_low, now.position, now.computed_at) == (20, "within", old.computed_at)
        assert deviation(indicator, start) is None
    april = row(indicator, "2026-04-01")
    assert (april.band_low, april.position, april.assessment) == (30, "below", "worse")
    assert (deviation(indicator, "2026-04-01").kind, deviation(indicator, "2026-04-01").action) == (
        "corrective",
        "act below",
    )


def test_resending_the_band_in_force_adds_no_version_and_recomputes_nothing(organisation, today_is):
    indicator = make(organisation, band=BAND)
    push(organisation, {"2026-03-10": 25})
    today_is(date(2026, 4, 15))
    update_indicator(indicator=indicator, data={"band": {**BAND, "low": 30.0}})
    recompute_dirty()

    update_indicator(indicator=indicator, data={"band": {**BAND, "low": 30.0}})

    assert Band.objects.filter(indicator=indicator).count() == 2
    assert not DirtyMark.objects.exists()


def test_a_second_change_in_the_same_period_replaces_that_periods_version(
    organisation, today_is, analyst
):
    indicator = make(organisation, band=BAND)
    today_is(date(2026, 4, 15))
    update_indicator(indicator=indicator, data={"band": {**BAND, "low": 30.0}})
    update_indicator(indicator=indicator, data={"band": {**BAND, "low": 30.0, "owner": analyst}})
    versions = list(
        Band.objects.filter(indicator=indicator).values_list("valid_from", "low", "owner")
    )
    assert versions == [(FROM_THE_START, 20, None), (date(2026, 4, 1), 30, analyst.pk)]
    # Changing it back to what held before the period leaves no version for the period.
    update_indicator(indicator=indicator, data={"band": {**BAND, "owner": None}})
    assert list(Band.objects.filter(indicator=indicator).values_list("valid_from", "low")) == [
        (FROM_THE_START, 20)
    ]


def test_a_band_sent_without_owner_keeps_the_owner_of_the_band_in_force(
    organisation, today_is, analyst
):
    indicator = make(organisation, band={**BAND, "owner": analyst})
    today_is(date(2026, 4, 15))
    update_indicator(indicator=indicator, data={"band": {**BAND, "high": 60.0}})
    assert [b.owner for b in Band.objects.filter(indicator=indicator)] == [analyst, analyst]


def test_ending_the_band_resolves_the_current_periods_deviation_and_keeps_earlier_ones(
    organisation, today_is
):
    indicator = make(organisation, band=BAND)
    push(organisation, {"2026-03-10": 10, "2026-04-03": 10})
    today_is(date(2026, 4, 15))

    update_indicator(indicator=indicator, data={"band": None})
    recompute_dirty()

    versions = Band.objects.filter(indicator=indicator).values_list("valid_from", "low", "high")
    assert list(versions) == [(FROM_THE_START, 20, 50), (date(2026, 4, 1), None, None)]
    assert row(indicator, "2026-04-01").position == ""
    assert deviation(indicator, "2026-04-01").state == "resolved_by_data"
    assert (row(indicator, "2026-03-01").position, deviation(indicator, "2026-03-01").state) == (
        "below",
        "open",
    )
    # No band in force: ending it again changes nothing.
    update_indicator(indicator=indicator, data={"band": None})
    assert Band.objects.filter(indicator=indicator).count() == 2


def test_a_first_band_on_an_indicator_with_data_holds_from_the_start(organisation, today_is):
    indicator = make(organisation)
    push(organisation, {"2026-01-10": 10})
    today_is(date(2026, 4, 15))
    update_indicator(indicator=indicator, data={"band": BAND})
    recompute_dirty()
    assert list(Band.objects.filter(indicator=indicator).values_list("valid_from", flat=True)) == [
        FROM_THE_START
    ]
    assert row(indicator, "2026-01-01").position == "below"


# -- refused input: a ValidationError naming the field, nothing written --------------------------


def refused(organisation, field: str, **data) -> str:
    with pytest.raises(ValidationError) as caught:
        make(organisation, **data)
    assert not Indicator.objects.exists() and not Band.objects.exists()
    return " ".join(caught.value.message_dict[field])


@pytest.mark.parametrize(
    ("direction", "band", "sentence"),
    [
        (
            "higher_is_better",
            {**BAND, "action_below": ""},
            "Values below this band are worse: give the corrective action below the band.",
        ),
        (
            "higher_is_better",
            {**BAND, "action_above": " "},
            "Values above this band are better: give the learning action above the band.",
        ),
        (
            "lower_is_better",
            {**BAND, "action_below": ""},
            "Values below this band are better: give the learning action below the band.",
        ),
        (
            "in_range",
            {**BAND, "action_above": ""},
            "Values above this band are worse: give the corrective action above the band.",
        ),
    ],
)
def test_a_band_without_the_action_of_a_side_it_bounds_is_refused(
    organisation, direction, band, sentence
):
    message = refused(organisation, "band", direction=direction, band=band)
    assert message.startswith("band: A band needs an action for each side it bounds")
    assert sentence in message


def test_a_one_sided_band_needs_only_the_action_of_its_side(organisation):
    indicator = make(organisation, band={"low": 20.0, "action_below": "act below"})
    assert indicator.bands.get().high is None


def test_the_bad_band_version_is_named_by_its_index(organisation):
    bands = [{"from": None, **BAND}, {"from": date(2026, 3, 1), **BAND, "low": 60.0}]
    message = refused(organisation, "bands", bands=bands)
    assert message == "bands[1]: The low limit is above the high limit."


def test_two_band_versions_from_the_same_day_are_refused(organisation):
    message = refused(organisation, "bands", bands=[{"from": None, **BAND}, BAND])
    assert message == "bands[1]: Two band versions from the same day (from the start)."


def test_a_band_owner_or_indicator_owner_from_another_organisation_is_refused(
    organisation, other_organisation
):
    outsider = create_user(organisation=other_organisation, username="olle", role="analyst")
    bands = [{"from": None, **BAND, "owner": outsider}]
    assert refused(organisation, "bands", bands=bands) == (
        "bands[0]: olle is not a member of the organisation."
    )
    assert refused(organisation, "owner_user", owner_user=outsider) == (
        "olle is not a member of the organisation."
    )


@pytest.mark.parametrize("points", [0, 1, 1001])
def test_a_baseline_window_outside_2_to_1000_points_is_refused(organisation, points):
    message = refused(organisation, "spc_baseline_points", spc_baseline_points=points)
    assert message == (
        f"A baseline window needs at least 2 and at most 1000 points (not {points})."
    )


def test_an_update_the_service_refuses_changes_nothing(organisation, today_is):
    indicator = make(organisation, band=BAND)
    today_is(date(2026, 4, 15))
    with pytest.raises(ValidationError):
        update_indicator(
            indicator=indicator, data={"name": "Renamed", "band": {**BAND, "action_below": ""}}
        )
    indicator.refresh_from_db()
    assert indicator.name == "X"
    assert list(Band.objects.values_list("valid_from", "action_below")) == [
        (FROM_THE_START, "act below")
    ]


def test_a_stored_version_from_before_actions_were_required_is_kept_as_it_is(organisation):
    indicator = make(organisation)
    Band.objects.create(indicator=indicator, low=20.0, high=50.0)  # e.g. copied by 0006
    later = {"from": date(2026, 3, 1), **BAND}
    update_indicator(
        indicator=indicator,
        data={"bands": [{"from": None, "low": 20.0, "high": 50.0}, later]},
    )
    assert Band.objects.filter(indicator=indicator).count() == 2


def test_the_pipe_settings_are_stored(organisation, analyst):
    indicator = make(
        organisation,
        owner_user=analyst,
        spc_baseline_from=date(2026, 1, 1),
        spc_baseline_points=12,
        spc_two_of_three=True,
        stale_grace_days=3,
    )
    indicator.refresh_from_db()
    assert (
        indicator.owner_user,
        indicator.spc_baseline_from,
        indicator.spc_baseline_points,
        indicator.spc_two_of_three,
        indicator.stale_grace_days,
    ) == (analyst, date(2026, 1, 1), 12, True, 3)


def test_the_current_period_is_the_indicators_own_in_the_organisations_time_zone(
    organisation, today_is
):
    indicator = make(organisation, band=BAND)
    update_indicator(indicator=indicator, data={"period": "week"})
    today_is(date(2026, 4, 15))  # a Wednesday
    update_indicator(indicator=indicator, data={"band": {**BAND, "low": 30.0}})
    assert (
        Band.objects.filter(indicator=indicator).last().valid_from
        == period_start(date(2026, 4, 15), "week")
        == date(2026, 4, 13)
    )
