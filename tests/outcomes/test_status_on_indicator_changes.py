"""The chain's stored status follows an indicator deleted or whose stale grace changed, right
after the commit (the indicators-changed hook), not only at the hourly refresh."""

import logging

import pytest
from django.utils import timezone

from indicators.compute.periods import previous_period_start
from indicators.hooks import register_indicators_changed, unregister_indicators_changed
from indicators.models import Indicator, PeriodValue
from indicators.selectors import today_of
from indicators.services import delete_indicator, update_indicator
from outcomes.models import NodeIndicator
from tests.factories import IndicatorFactory
from tests.outcomes.chain_data import node, stored

pytestmark = pytest.mark.django_db


def month_value(indicator, start, *, assessment):
    return PeriodValue.objects.create(
        indicator=indicator,
        period="month",
        segment="",
        period_start=start,
        value=1.0,
        assessment=assessment,
        computed_at=timezone.now(),
    )


def this_month(organisation):
    return today_of(organisation).replace(day=1)


@pytest.fixture
def measured(organisation):
    """An outcome measured by "fast" (on track) and "calls" (off track), weights 1 and 1, under
    an impact that follows it."""
    fast = IndicatorFactory(organisation=organisation, code="fast", period="month")
    calls = IndicatorFactory(organisation=organisation, code="calls", period="month")
    month_value(fast, this_month(organisation), assessment="expected")
    month_value(calls, this_month(organisation), assessment="worse")
    impact = node(organisation, "impact", "New customers")
    outcome = node(
        organisation,
        "outcome",
        "Price on the page",
        indicators=[(fast, 1.0), (calls, 1.0)],
        contributes_to=[impact],
    )
    return {"fast": fast, "calls": calls, "outcome": outcome, "impact": impact}


def test_deleting_an_indicator_refreshes_the_node_from_its_remaining_indicators(
    measured, django_capture_on_commit_callbacks
):
    # Worked example: on track scores 1, off track 0; (1 * 1 + 0 * 1) / 2 = 0.5 < 0.6: off track.
    assert stored(measured["outcome"]) == ("off_track", 0.5, "indicators")
    assert stored(measured["impact"]) == ("off_track", 0.5, "contributors")

    with django_capture_on_commit_callbacks(execute=True):
        delete_indicator(indicator=measured["calls"])

    # Only "fast" is left: 1 * 1 / 1 = 1.0, on track; the impact above follows.
    assert stored(measured["outcome"]) == ("on_track", 1.0, "indicators")
    assert stored(measured["impact"]) == ("on_track", 1.0, "contributors")
    assert list(NodeIndicator.objects.values_list("indicator__code", flat=True)) == ["fast"]


def test_deleting_the_last_indicator_of_a_node_leaves_it_unmeasured(
    measured, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delete_indicator(indicator=measured["calls"])
        delete_indicator(indicator=measured["fast"])

    # No indicator and no contributor: no data, from nothing; the impact has a contributor
    # without a score.
    assert stored(measured["outcome"]) == ("no_data", None, "none")
    assert stored(measured["impact"]) == ("no_data", None, "contributors")


def test_nothing_is_refreshed_before_the_commit(measured, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        delete_indicator(indicator=measured["calls"])

    assert stored(measured["outcome"]) == ("off_track", 0.5, "indicators")
    assert len(callbacks) == 1


def test_a_shorter_stale_grace_that_makes_the_indicator_stale_refreshes_the_node(
    organisation, django_capture_on_commit_callbacks
):
    # The latest value is of two months ago: the month after it ended at the start of this
    # month, so the indicator is stale from this month's 1st + grace. A grace of 40 days is not
    # reached in any month; a grace of 0 is reached today.
    two_months_ago = previous_period_start(
        previous_period_start(this_month(organisation), "month"), "month"
    )
    late = IndicatorFactory(
        organisation=organisation, code="late", period="month", stale_grace_days=40
    )
    month_value(late, two_months_ago, assessment="expected")
    outcome = node(organisation, "outcome", "Price on the page", indicators=[(late, 1.0)])
    assert stored(outcome) == ("on_track", 1.0, "indicators")

    with django_capture_on_commit_callbacks(execute=True):
        update_indicator(indicator=late, data={"stale_grace_days": 0})

    # Stale counts as no data: the node's only indicator has none.
    assert stored(outcome) == ("no_data", None, "indicators")

    with django_capture_on_commit_callbacks(execute=True):
        update_indicator(indicator=Indicator.objects.get(pk=late.pk), data={"stale_grace_days": 40})

    assert stored(outcome) == ("on_track", 1.0, "indicators")


def test_a_change_of_another_field_fires_no_refresh(
    organisation, django_capture_on_commit_callbacks
):
    late = IndicatorFactory(organisation=organisation, code="late", period="month")
    node(organisation, "outcome", "Price on the page", indicators=[(late, 1.0)])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        update_indicator(indicator=late, data={"name": "Late", "stale_grace_days": None})

    assert callbacks == []


@pytest.fixture
def broken_handler():
    def broken(change):
        raise RuntimeError("the handler broke")

    # Registered after the chain's own handler: it runs second, and breaks nothing before it.
    register_indicators_changed("tests.broken", broken)
    yield
    unregister_indicators_changed("tests.broken")


def test_a_failing_handler_is_logged_and_undoes_neither_the_delete_nor_the_refresh(
    measured, broken_handler, django_capture_on_commit_callbacks, caplog
):
    calls_id = measured["calls"].pk
    with (
        caplog.at_level(logging.ERROR, logger="indicators.hooks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        delete_indicator(indicator=measured["calls"])

    [record] = [r for r in caplog.records if r.name == "indicators.hooks"]
    assert record.getMessage() == (
        f"indicators-changed handler tests.broken failed organisation="
        f"{measured['outcome'].organisation_id} indicators=1 deleting=True"
    )
    assert record.exc_info[1].args == ("the handler broke",)
    assert not Indicator.objects.filter(pk=calls_id).exists()
    assert stored(measured["outcome"]) == ("on_track", 1.0, "indicators")


def test_a_refresh_that_fails_after_the_commit_is_logged_and_the_delete_stays(
    measured, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broken_refresh(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("outcomes.hooks.refresh_chain_status", broken_refresh)
    with (
        caplog.at_level(logging.ERROR, logger="indicators.hooks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        delete_indicator(indicator=measured["calls"])

    [record] = [r for r in caplog.records if r.name == "indicators.hooks"]
    assert "handler outcomes.chain_status failed after the commit" in record.getMessage()
    assert not Indicator.objects.filter(code="calls").exists()
    # Left for the hourly refresh.
    assert stored(measured["outcome"]) == ("off_track", 0.5, "indicators")
