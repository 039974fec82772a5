"""The stored status of the chain stays fresh: after every recompute that changed values (the
values-changed hook, through a real push and recompute), hourly for the calendar (stale), and
at a fixed number of queries whatever the size of the chain."""

import logging
from datetime import datetime, time, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from indicators.hooks import ChangedValue, ValuesChanged
from indicators.models import PeriodValue
from indicators.selectors import today_of
from indicators.services import ingest_measurements
from outcomes import services
from outcomes.models import ChainLink, ChainNode, Initiative, NodeIndicator
from outcomes.services import status as status_module
from outcomes.services.status import refresh_on_values_changed
from outcomes.tasks import refresh_chain_statuses
from tests.factories import IndicatorFactory, push
from tests.outcomes.chain_data import node, stored

# --- builders -------------------------------------------------------------------------------


def banded(organisation, code):
    """A monthly mean, lower is better, expected between 0 and 30: 20 is on track, 45 off."""
    return IndicatorFactory(
        organisation=organisation,
        code=code,
        period="month",
        aggregation="mean",
        direction="lower_is_better",
        band_low=0.0,
        band_high=30.0,
    )


def noon(organisation, days_ago=0) -> str:
    day = today_of(organisation) - timedelta(days=days_ago)
    return datetime.combine(day, time(12), tzinfo=organisation.tz).isoformat()


def item(organisation, code, value, key="k1", days_ago=0):
    return {
        "indicator": code,
        "key": key,
        "observed_at": noon(organisation, days_ago),
        "value": value,
    }


@pytest.fixture
def pushed(api, django_capture_on_commit_callbacks):
    """Push a batch and run what it enqueues after commit: the recompute, then the hooks."""

    def run(items):
        with django_capture_on_commit_callbacks(execute=True):
            response = push(api, items)
        assert response.status_code == 200, response.json()
        return response.json()

    return run


@pytest.fixture
def chain(organisation):
    """outcome "fast" (by fast_quote) -> impact "customers"; outcome "ftr" (by
    first_time_resolution) -> impact "retention". No values yet: all no data."""
    fast_quote = banded(organisation, "fast_quote")
    ftr = banded(organisation, "first_time_resolution")
    customers = node(organisation, "impact", "New customers")
    retention = node(organisation, "impact", "Retention")
    fast = node(
        organisation,
        "outcome",
        "Price while on the page",
        indicators=[(fast_quote, 1.0)],
        contributes_to=[customers],
    )
    solved = node(
        organisation,
        "outcome",
        "Issue solved on first contact",
        indicators=[(ftr, 1.0)],
        contributes_to=[retention],
    )
    return {"fast": fast, "customers": customers, "ftr": solved, "retention": retention}


# --- the values-changed hook ------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_a_push_refreshes_the_nodes_its_indicator_measures_and_the_nodes_above_them(
    organisation, chain, pushed
):
    assert stored(chain["fast"]) == ("no_data", None, "indicators")
    # Stored statuses that a refresh would correct (their indicator has no value): they stay
    # as they are unless the refresh touches them.
    ChainNode.objects.filter(pk__in=[chain["ftr"].pk, chain["retention"].pk]).update(
        status="off_track", score=0.0
    )

    pushed([item(organisation, "fast_quote", 20.0)])

    assert stored(chain["fast"]) == ("on_track", 1.0, "indicators")
    assert stored(chain["customers"]) == ("on_track", 1.0, "contributors")
    assert stored(chain["ftr"])[:2] == ("off_track", 0.0)
    assert stored(chain["retention"])[:2] == ("off_track", 0.0)

    pushed([item(organisation, "first_time_resolution", 10.0)])

    assert stored(chain["ftr"]) == ("on_track", 1.0, "indicators")
    assert stored(chain["retention"]) == ("on_track", 1.0, "contributors")


def test_a_value_outside_the_band_turns_the_node_and_the_ones_above_off_track(
    organisation, chain, pushed
):
    pushed([item(organisation, "fast_quote", 20.0)])

    pushed([item(organisation, "fast_quote", 45.0)])  # the same measurement, corrected

    assert stored(chain["fast"]) == ("off_track", 0.0, "indicators")
    assert stored(chain["customers"]) == ("off_track", 0.0, "contributors")
    assert PeriodValue.objects.get(
        indicator__code="fast_quote", period="month", segment=""
    ).value == pytest.approx(45.0)


def test_a_replayed_push_writes_no_status(organisation, chain, pushed):
    items = [item(organisation, "fast_quote", 20.0)]
    pushed(items)
    before = dict(ChainNode.objects.values_list("pk", "status_at"))

    assert pushed(items)["unchanged"] == 1

    assert dict(ChainNode.objects.values_list("pk", "status_at")) == before


def test_a_push_of_another_organisation_leaves_this_chain_alone(
    organisation, other_organisation, chain, other_api, django_capture_on_commit_callbacks
):
    banded(other_organisation, "fast_quote")
    before = dict(ChainNode.objects.values_list("pk", "status_at"))

    with django_capture_on_commit_callbacks(execute=True):
        response = push(other_api, [item(other_organisation, "fast_quote", 20.0)])

    assert response.status_code == 200
    assert dict(ChainNode.objects.values_list("pk", "status_at")) == before


def test_a_change_of_an_organisation_that_is_gone_is_ignored(organisation, chain):
    indicator_id = NodeIndicator.objects.first().indicator_id
    change = ValuesChanged(
        organisation.pk + 1000,
        frozenset({ChangedValue(indicator_id, "month", today_of(organisation).replace(day=1))}),
    )

    refresh_on_values_changed(change)  # nothing raised, nothing written

    assert stored(chain["fast"]) == ("no_data", None, "indicators")


# --- the hourly task --------------------------------------------------------------------------


def test_the_hourly_task_is_scheduled_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-chain-statuses"]

    assert entry["task"] == refresh_chain_statuses.name
    assert entry["schedule"] == crontab(minute=17)


def test_the_hourly_task_turns_an_indicator_that_went_stale_into_no_data(
    organisation, other_organisation, chain, pushed, monkeypatch
):
    pushed([item(organisation, "fast_quote", 20.0)])
    theirs = banded(other_organisation, "nps")
    PeriodValue.objects.create(
        indicator=theirs,
        period="month",
        segment="",
        period_start=today_of(other_organisation).replace(day=1),
        value=5.0,
        assessment="expected",
        computed_at=timezone.now(),
    )
    their_node = node(other_organisation, "impact", "Theirs", indicators=[(theirs, 1.0)])
    assert stored(chain["fast"]) == ("on_track", 1.0, "indicators")
    assert stored(their_node) == ("on_track", 1.0, "indicators")

    # 75 days on, this month's value is two months old: the next one is overdue (stale).
    later = today_of(organisation) + timedelta(days=75)
    monkeypatch.setattr("indicators.selectors.indicators.today_of", lambda organisation: later)

    changed = refresh_chain_statuses.delay().get()

    # Every chain is refreshed: fast (and customers above it) and the other organisation's node.
    assert changed == 3
    assert stored(chain["fast"]) == ("no_data", None, "indicators")
    assert stored(chain["customers"]) == ("no_data", None, "contributors")
    assert stored(their_node) == ("no_data", None, "indicators")
    assert refresh_chain_statuses.delay().get() == 0  # safe to run twice


def test_the_hourly_task_without_any_chain_does_nothing(organisation):
    assert refresh_chain_statuses.delay().get() == 0


# --- queries flat in the size of the chain ----------------------------------------------------


def build_chain(organisation, n: int, prefix="big") -> list[int]:
    """n of each level; every activity, output and outcome measured by its own indicator (on
    track), every outcome at risk; 6n links. Returns the indicator ids."""
    initiative = Initiative.objects.create(organisation=organisation, title="Big")
    start = today_of(organisation).replace(day=1)
    indicators = [
        IndicatorFactory(organisation=organisation, code=f"{prefix}_{k}", period="month")
        for k in range(3 * n)
    ]
    PeriodValue.objects.bulk_create(
        PeriodValue(
            indicator=indicator,
            period="month",
            segment="",
            period_start=start,
            value=1.0,
            assessment="expected",
            progress=0.7 if k >= 2 * n else None,
            computed_at=timezone.now(),
        )
        for k, indicator in enumerate(indicators)
    )
    levels = {}
    for level in ("activity", "output", "outcome", "impact"):
        levels[level] = ChainNode.objects.bulk_create(
            ChainNode(
                organisation=organisation,
                level=level,
                title=f"{level} {k}",
                initiative=initiative if level in ("activity", "output") else None,
            )
            for k in range(n)
        )
    measured = levels["activity"] + levels["output"] + levels["outcome"]
    NodeIndicator.objects.bulk_create(
        NodeIndicator(node=node_, indicator=indicator, weight=1.0)
        for node_, indicator in zip(measured, indicators, strict=True)
    )
    links = set()
    for k in range(n):
        activity, output = levels["activity"][k], levels["output"][k]
        outcome, impact = levels["outcome"][k], levels["impact"][k]
        links |= {
            (activity.pk, output.pk),
            (activity.pk, impact.pk),
            (output.pk, outcome.pk),
            (output.pk, levels["outcome"][(k + 1) % n].pk),
            (outcome.pk, impact.pk),
            (outcome.pk, levels["impact"][(k + 1) % n].pk),
        }
    ChainLink.objects.bulk_create(ChainLink(source_id=s, target_id=t) for s, t in links)
    return [indicator.pk for indicator in indicators]


def count_queries(call) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as context:
        call()
    return len(context.captured_queries), [q["sql"] for q in context.captured_queries]


@pytest.mark.parametrize("n", [3, 30])
def test_refreshing_a_whole_chain_costs_the_same_queries_whatever_its_size(
    organisation, n, django_assert_max_num_queries
):
    build_chain(organisation, n)

    with django_assert_max_num_queries(8):
        changed = services.refresh_chain_status(organisation=organisation)

    assert changed == 4 * n
    statuses = dict(ChainNode.objects.values_list("title", "status"))
    # activities on track; outputs and outcomes at risk (0.75); impacts: the mean of one
    # activity (1), and two outcomes (0.75): (1 + 0.75 + 0.75) / 3 = 0.8333, at risk.
    assert statuses["activity 0"] == "on_track"
    assert statuses["outcome 0"] == "at_risk"
    assert statuses["impact 0"] == "at_risk"
    assert ChainNode.objects.get(title="impact 0").score == pytest.approx(2.5 / 3)


def test_the_query_count_of_a_refresh_does_not_grow_with_nodes_and_links(organisation):
    small_ids = build_chain(organisation, 3)
    small_full, _ = count_queries(lambda: services.refresh_chain_status(organisation=organisation))
    small_hook, _ = count_queries(
        lambda: services.refresh_chain_status(organisation=organisation, indicator_ids=small_ids)
    )
    ChainNode.objects.filter(organisation=organisation).delete()

    big_ids = build_chain(organisation, 40, prefix="bigger")  # 160 nodes, 240 links
    big_full, _ = count_queries(lambda: services.refresh_chain_status(organisation=organisation))
    big_hook, _ = count_queries(
        lambda: services.refresh_chain_status(organisation=organisation, indicator_ids=big_ids)
    )

    assert big_full == small_full
    assert big_hook == small_hook


def test_a_refresh_that_changes_no_status_writes_nothing(organisation):
    build_chain(organisation, 5)
    services.refresh_chain_status(organisation=organisation)

    changed = []
    _count, sql = count_queries(
        lambda: changed.append(services.refresh_chain_status(organisation=organisation))
    )

    assert changed == [0]
    assert not [q for q in sql if q.lstrip().upper().startswith("UPDATE")]


def test_the_hook_refreshes_only_the_touched_part_of_a_big_chain(organisation):
    ids = build_chain(organisation, 10)
    services.refresh_chain_status(organisation=organisation)
    # Break every stored status; the hook for activity 0's indicator must mend only activity 0
    # and the nodes above it: output 0, outcomes 0 and 1, impacts 0, 1 and 2.
    ChainNode.objects.update(status="no_data", score=None, status_source="none")
    change = ValuesChanged(
        organisation.pk,
        frozenset({ChangedValue(ids[0], "month", today_of(organisation).replace(day=1))}),
    )

    refresh_on_values_changed(change)

    fresh = set(ChainNode.objects.exclude(status="no_data").values_list("title", flat=True))
    assert fresh == {
        "activity 0",
        "output 0",
        "outcome 0",
        "outcome 1",
        "impact 0",
        "impact 1",
        "impact 2",
    }


# --- PostgreSQL: the set-based rebuild --------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_rebuild_path_refreshes_the_chain_too(organisation, monkeypatch):
    from indicators.services import recompute as recompute_module

    rebuilds = []
    real_rebuild = recompute_module.rebuild

    def recording_rebuild(indicators, now, **kwargs):
        rebuilds.append(sorted(indicator.code for indicator in indicators))
        return real_rebuild(indicators, now, **kwargs)

    monkeypatch.setattr(recompute_module, "rebuild", recording_rebuild)
    banded(organisation, "fast_quote")
    impact = node(organisation, "impact", "New customers")
    outcome = node(
        organisation,
        "outcome",
        "Price while on the page",
        indicators=[(organisation.indicators.get(code="fast_quote"), 1.0)],
        contributes_to=[impact],
    )

    def days_of(value):
        # 84 days up to today: every day dirty, so the recompute takes the rebuild.
        return [item(organisation, "fast_quote", value, key=f"d{n}", days_ago=n) for n in range(84)]

    ingest_measurements(organisation=organisation, items=days_of(20.0))

    assert rebuilds == [["fast_quote"]]
    assert stored(outcome) == ("on_track", 1.0, "indicators")
    assert stored(impact) == ("on_track", 1.0, "contributors")

    ingest_measurements(organisation=organisation, items=days_of(45.0))

    assert rebuilds == [["fast_quote"], ["fast_quote"]]
    assert stored(outcome) == ("off_track", 0.0, "indicators")
    assert stored(impact) == ("off_track", 0.0, "contributors")


def test_one_organisation_whose_refresh_fails_holds_back_no_other(
    organisation, other_organisation, monkeypatch, caplog
):
    ours = node(organisation, "impact", "Ours")
    theirs = node(other_organisation, "impact", "Theirs")
    ChainNode.objects.update(status="off_track", score=0.0)
    real_refresh = status_module.refresh_chain_status

    def broken_for_ours(*, organisation, **kwargs):
        if organisation.slug == "acme":
            raise RuntimeError("a bad row")
        return real_refresh(organisation=organisation, **kwargs)

    monkeypatch.setattr(status_module, "refresh_chain_status", broken_for_ours)
    with caplog.at_level(logging.ERROR, logger="outcomes.services.status"):
        assert refresh_chain_statuses.delay().get() == 1

    assert stored(theirs) == ("no_data", None, "none")
    assert stored(ours)[0] == "off_track"
    [record] = caplog.records
    assert "organisation=acme" in record.getMessage()
    assert record.exc_info[0] is RuntimeError
