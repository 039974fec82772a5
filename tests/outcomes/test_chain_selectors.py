"""Reads of the results chain: scoped to one organisation, a fixed number of queries, the
chain filtered by initiative and level, attention sorted by outcomes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import NotFound
from indicators.models import PeriodValue
from indicators.selectors import today_of
from outcomes import selectors, services
from outcomes.models import ChainLink, ChainNode, Initiative, NodeIndicator
from tests.factories import IndicatorFactory
from tests.outcomes.chain_data import node

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(organisation):
    """Two initiatives sharing an outcome:

    quote:   launch (activity) -> engine (output) -> price (outcome) -> customers (impact)
    careful: pack (activity) -> price; pack -> intact (outcome, unmeasured) -> retention
    """
    fast_quote = IndicatorFactory(organisation=organisation, code="fast_quote", period="month")
    PeriodValue.objects.create(
        indicator=fast_quote,
        period="month",
        segment="",
        period_start=today_of(organisation).replace(day=1),
        value=12.5,
        assessment="expected",
        computed_at=timezone.now(),
    )
    quote = services.create_initiative(organisation=organisation, data={"title": "Quote"})
    careful = services.create_initiative(organisation=organisation, data={"title": "Careful"})
    customers = node(organisation, "impact", "New customers")
    retention = node(organisation, "impact", "Retention")
    price = node(
        organisation,
        "outcome",
        "Price on the page",
        indicators=[(fast_quote, 1.0)],
        contributes_to=[customers],
    )
    intact = node(organisation, "outcome", "Nothing broke", contributes_to=[retention])
    engine = node(organisation, "output", "Quote engine live", quote, contributes_to=[price])
    launch = node(organisation, "activity", "Launch the quote", quote, contributes_to=[engine])
    pack = node(organisation, "activity", "Pack well", careful, contributes_to=[price, intact])
    return {
        "quote": quote,
        "careful": careful,
        "customers": customers,
        "retention": retention,
        "price": price,
        "intact": intact,
        "engine": engine,
        "launch": launch,
        "pack": pack,
    }


def titles(nodes):
    return [n.title for n in nodes]


def test_the_chain_lists_nodes_by_level_then_id_with_their_links(organisation, demo):
    chain = selectors.chain(organisation=organisation)

    assert titles(chain.nodes) == [
        "Launch the quote",
        "Pack well",
        "Quote engine live",
        "Price on the page",
        "Nothing broke",
        "New customers",
        "Retention",
    ]
    d = {name: n.pk for name, n in demo.items()}
    assert sorted(chain.links) == sorted(
        [
            (d["price"], d["customers"]),
            (d["intact"], d["retention"]),
            (d["engine"], d["price"]),
            (d["launch"], d["engine"]),
            (d["pack"], d["price"]),
            (d["pack"], d["intact"]),
        ]
    )
    price = next(n for n in chain.nodes if n.pk == d["price"])
    assert sorted(price.contributor_ids) == sorted([d["engine"], d["pack"]])
    assert price.target_ids == [d["customers"]]


def test_each_measure_carries_its_indicator_with_the_latest_value(organisation, demo):
    chain = selectors.chain(organisation=organisation)

    price = next(n for n in chain.nodes if n.title == "Price on the page")
    [measure] = price.measures.all()
    assert measure.indicator.code == "fast_quote"
    assert measure.indicator.latest_value == 12.5
    assert measure.indicator.latest_assessment == "expected"
    assert measure.indicator.stale is False
    assert price.status == "on_track"
    assert set(chain.indicators) == {measure.indicator_id}


def test_the_unmeasured_links_are_the_nodes_without_indicators(organisation, demo):
    chain = selectors.chain(organisation=organisation)

    assert "Price on the page" not in titles(chain.unmeasured)
    assert "Nothing broke" in titles(chain.unmeasured)
    assert len(chain.unmeasured) == 6


def test_an_initiatives_chain_is_its_own_nodes_and_everything_they_lead_to(organisation, demo):
    chain = selectors.chain(organisation=organisation, initiative=demo["quote"])

    assert titles(chain.nodes) == [
        "Launch the quote",
        "Quote engine live",
        "Price on the page",
        "New customers",
    ]
    # The other initiative's arrow into the shared outcome is not part of this chain.
    assert (demo["pack"].pk, demo["price"].pk) not in chain.links
    assert len(chain.links) == 3


def test_levels_hide_the_other_levels_and_the_links_through_them(organisation, demo):
    chain = selectors.chain(organisation=organisation, levels=["activity", "outcome"])

    assert titles(chain.nodes) == [
        "Launch the quote",
        "Pack well",
        "Price on the page",
        "Nothing broke",
    ]
    assert sorted(chain.links) == sorted(
        [(demo["pack"].pk, demo["price"].pk), (demo["pack"].pk, demo["intact"].pk)]
    )
    assert chain.by_level()["output"] == [] and len(chain.by_level()["activity"]) == 2


def test_hiding_a_middle_level_joins_the_shown_nodes_it_connected(organisation, demo):
    # Outputs hidden: launch -> engine -> price loses its path, so launch leads to price
    # through the one hidden output; pack -> price is a direct arrow and gets no second one.
    chain = selectors.chain(organisation=organisation, levels=["activity", "outcome", "impact"])

    assert chain.indirect == [
        selectors.IndirectLink(demo["launch"].pk, demo["price"].pk, (("output", 1),))
    ]
    assert (demo["launch"].pk, demo["price"].pk) not in chain.links


def test_every_level_shown_or_the_lowest_levels_hidden_give_no_indirect_links(organisation, demo):
    # Links only point upwards: hiding activities and outputs leaves no path between the
    # outcomes and impacts shown that ran through them.
    assert selectors.chain(organisation=organisation).indirect == []
    assert selectors.chain(organisation=organisation, levels=["outcome", "impact"]).indirect == []


def test_an_initiatives_chain_joins_through_hidden_levels_only_within_it(organisation, demo):
    # Careful's part: pack -> price, pack -> intact -> retention and price -> customers.
    # With outcomes hidden, pack reaches both impacts, each through one hidden outcome.
    chain = selectors.chain(
        organisation=organisation, initiative=demo["careful"], levels=["activity", "impact"]
    )

    assert chain.indirect == [
        selectors.IndirectLink(demo["pack"].pk, demo["customers"].pk, (("outcome", 1),)),
        selectors.IndirectLink(demo["pack"].pk, demo["retention"].pk, (("outcome", 1),)),
    ]


def test_links_through_hidden_nodes_are_one_per_pair_counting_the_nodes_on_the_way():
    # activity 1; outputs 10, 11, 12 hidden; outcomes 20, 21 shown.
    # 1 -> 10 -> 20 and 1 -> 11 -> 20: one indirect link through 2 outputs (not 12, a dead end);
    # 1 -> 21 is direct, so 1 -> 10 -> 21 adds nothing.
    level_of = {1: "activity", 10: "output", 11: "output", 12: "output", 20: "outcome"}
    level_of[21] = "outcome"
    links = [(1, 10), (1, 11), (1, 12), (10, 20), (11, 20), (1, 21), (10, 21)]

    found = selectors.links_through_hidden(links, shown={1, 20, 21}, level_of=level_of)

    assert found == [selectors.IndirectLink(1, 20, (("output", 2),))]


def test_a_path_through_two_hidden_levels_counts_both_and_a_shown_node_breaks_it():
    level_of = {1: "activity", 10: "output", 20: "outcome", 40: "impact"}
    links = [(1, 10), (10, 20), (20, 40)]

    assert selectors.links_through_hidden(links, shown={1, 40}, level_of=level_of) == [
        selectors.IndirectLink(1, 40, (("output", 1), ("outcome", 1)))
    ]
    # with the outcome shown, 1 reaches it through the output, and it reaches 40 directly
    assert selectors.links_through_hidden(links, shown={1, 20, 40}, level_of=level_of) == [
        selectors.IndirectLink(1, 20, (("output", 1),))
    ]


def test_an_initiative_and_levels_together(organisation, demo):
    chain = selectors.chain(
        organisation=organisation, initiative=demo["careful"], levels=["outcome", "impact"]
    )

    assert titles(chain.nodes) == [
        "Price on the page",
        "Nothing broke",
        "New customers",
        "Retention",
    ]


def test_another_organisations_chain_is_not_seen(organisation, other_organisation, demo):
    node(other_organisation, "impact", "Their revenue")

    assert "Their revenue" not in titles(selectors.chain(organisation=organisation).nodes)
    assert titles(selectors.chain(organisation=other_organisation).nodes) == ["Their revenue"]
    with pytest.raises(NotFound):
        selectors.node_by_id(organisation=other_organisation, pk=demo["price"].pk)
    with pytest.raises(NotFound):
        selectors.initiative_by_id(organisation=other_organisation, pk=demo["quote"].pk)


def test_not_found_names_what_and_which_id(organisation):
    with pytest.raises(NotFound, match=r"^No chain node 999999\.$"):
        selectors.node_by_id(organisation=organisation, pk=999999)
    with pytest.raises(NotFound, match=r"^No initiative abc\.$"):
        selectors.initiative_by_id(organisation=organisation, pk="abc")
    with pytest.raises(NotFound, match=r"^No chain link 7\.$"):
        selectors.link_by_id(organisation=organisation, pk=7)


@pytest.mark.parametrize("pk", ["abc", None, "1.5", 10**6])
def test_a_node_or_initiative_id_that_is_not_one_is_not_found(organisation, demo, pk):
    with pytest.raises(NotFound):
        selectors.node_by_id(organisation=organisation, pk=pk)
    with pytest.raises(NotFound):
        selectors.initiative_by_id(organisation=organisation, pk=pk)


def test_initiatives_come_by_title_with_their_node_count(organisation, demo):
    rows = list(selectors.initiatives_of(organisation=organisation))

    assert [(i.title, i.node_count) for i in rows] == [("Careful", 1), ("Quote", 2)]


def test_node_by_id_carries_its_indicators_and_links_up(organisation, demo):
    pack = selectors.node_by_id(organisation=organisation, pk=str(demo["pack"].pk))

    assert pack.initiative.title == "Careful"
    assert sorted(link.target_id for link in pack.links_up.all()) == sorted(
        [demo["price"].pk, demo["intact"].pk]
    )


def test_outcomes_come_first_then_impacts_outputs_activities_worst_first(organisation, demo):
    ChainNode.objects.filter(pk=demo["intact"].pk).update(status="off_track")
    ChainNode.objects.filter(pk=demo["retention"].pk).update(status="at_risk")
    nodes = selectors.chain(organisation=organisation).nodes

    assert titles(selectors.outcomes_first(nodes)) == [
        "Nothing broke",  # outcome, off track
        "Price on the page",  # outcome, on track
        "Retention",  # impact, at risk
        "New customers",  # impact, on track (from the outcome)
        "Quote engine live",
        "Launch the quote",
        "Pack well",
    ]


def test_status_counts_has_every_level_and_status(organisation, demo):
    counts = selectors.status_counts(organisation=organisation)

    assert counts == {
        "activity": {"on_track": 0, "at_risk": 0, "off_track": 0, "no_data": 2},
        "output": {"on_track": 0, "at_risk": 0, "off_track": 0, "no_data": 1},
        # Price on the page by its indicator, and New customers above it; Nothing broke and
        # Retention above it have only unmeasured contributors.
        "outcome": {"on_track": 1, "at_risk": 0, "off_track": 0, "no_data": 1},
        "impact": {"on_track": 1, "at_risk": 0, "off_track": 0, "no_data": 1},
    }


def test_status_counts_of_an_organisation_without_a_chain_are_all_zero(other_organisation):
    counts = selectors.status_counts(organisation=other_organisation)

    assert set(counts) == {"activity", "output", "outcome", "impact"}
    assert {sum(by_status.values()) for by_status in counts.values()} == {0}


def _bulk_chain(organisation, n: int, prefix: str) -> None:
    """n nodes of each level, each measured by one indicator, 3n links."""
    initiative = Initiative.objects.create(organisation=organisation, title=prefix)
    indicators = [
        IndicatorFactory(organisation=organisation, code=f"{prefix}_{k}") for k in range(4 * n)
    ]
    levels = [
        ChainNode.objects.bulk_create(
            ChainNode(
                organisation=organisation, level=level, title=f"{level} {k}", initiative=initiative
            )
            for k in range(n)
        )
        for level in ("activity", "output", "outcome", "impact")
    ]
    nodes = [n_ for level in levels for n_ in level]
    NodeIndicator.objects.bulk_create(
        NodeIndicator(node=n_, indicator=i) for n_, i in zip(nodes, indicators, strict=True)
    )
    ChainLink.objects.bulk_create(
        ChainLink(source=levels[rank][k], target=levels[rank + 1][k])
        for rank in range(3)
        for k in range(n)
    )


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as context:
        call()
    return len(context.captured_queries)


def test_the_chain_is_read_in_four_queries_whatever_its_size(organisation):
    _bulk_chain(organisation, 2, "small")
    small = _queries(lambda: selectors.chain(organisation=organisation))
    ChainNode.objects.all().delete()
    _bulk_chain(organisation, 50, "big")  # 200 nodes, 150 links

    big = _queries(lambda: selectors.chain(organisation=organisation))

    assert small == big == 4
    assert len(selectors.chain(organisation=organisation).nodes) == 200


def test_an_initiatives_chain_and_levels_cost_no_more_queries(organisation, demo):
    assert (
        _queries(
            lambda: selectors.chain(
                organisation=organisation, initiative=demo["quote"], levels=["outcome"]
            )
        )
        == 4
    )


def test_status_counts_is_one_query(organisation, demo, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.status_counts(organisation=organisation)
