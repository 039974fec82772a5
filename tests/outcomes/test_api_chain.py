"""`GET /api/v1/chain/`: `{nodes, links}` with each node's status, its filters, scoping, and a
query count that stays flat from a small chain to 200 nodes and 1,000 links."""

import random

import pytest

from outcomes import services
from outcomes.models import ChainLink, ChainNode, Initiative, NodeIndicator
from tests.factories import IndicatorFactory
from tests.outcomes.chain_data import node

pytestmark = pytest.mark.django_db

URL = "/api/v1/chain/"
MAX_QUERIES = 10


def fields_of(response, status=400) -> list[str]:
    assert response.status_code == status, response.content
    return [e["field"] for e in response.json()["errors"]]


@pytest.fixture
def demo(organisation):
    """Two initiatives, each with an activity and an output, towards shared outcomes and impacts:

    launch (q) -> engine live (q) -> price on the page -> new customers
    train (f)  -> agents trained (f) -> solved first time -> retention
    price on the page -> retention
    """
    quote = services.create_initiative(organisation=organisation, data={"title": "Quote"})
    ftr = services.create_initiative(organisation=organisation, data={"title": "FTR"})
    fast_quote = IndicatorFactory(organisation=organisation, code="fast_quote")
    new_customers = node(organisation, "impact", "New customers")
    retention = node(organisation, "impact", "Retention")
    price = node(
        organisation,
        "outcome",
        "Price on the page",
        indicators=[(fast_quote, 1)],
        contributes_to=[new_customers, retention],
    )
    solved = node(organisation, "outcome", "Solved first time", contributes_to=[retention])
    engine = node(organisation, "output", "Engine live", initiative=quote, contributes_to=[price])
    trained = node(
        organisation, "output", "Agents trained", initiative=ftr, contributes_to=[solved]
    )
    launch = node(organisation, "activity", "Launch", initiative=quote, contributes_to=[engine])
    train = node(organisation, "activity", "Train", initiative=ftr, contributes_to=[trained])
    return {
        "quote": quote,
        "ftr": ftr,
        **{
            n.title: n
            for n in (new_customers, retention, price, solved, engine, trained, launch, train)
        },
    }


def test_the_chain_answers_nodes_in_level_order_and_links_with_the_contract_fields(api, demo):
    answer = api.get(URL).json()

    assert set(answer) == {"nodes", "links"}
    titles = [n["title"] for n in answer["nodes"]]
    assert titles == [
        "Launch",
        "Train",
        "Engine live",
        "Agents trained",
        "Price on the page",
        "Solved first time",
        "New customers",
        "Retention",
    ]
    price = next(n for n in answer["nodes"] if n["title"] == "Price on the page")
    assert price == {
        "id": demo["Price on the page"].pk,
        "level": "outcome",
        "title": "Price on the page",
        "status": "no_data",
        "indicators": ["fast_quote"],
        "initiative": None,
        "score": None,
        "status_source": "indicators",
        "unmeasured": False,
        "leading": True,
        "lagging": False,
    }
    launch = answer["nodes"][0]
    assert (launch["initiative"], launch["unmeasured"], launch["status_source"]) == (
        demo["quote"].pk,
        True,
        "none",
    )
    ids = {title: n.pk for title, n in demo.items() if isinstance(n, ChainNode)}
    assert sorted((link["source"], link["target"]) for link in answer["links"]) == sorted(
        [
            (ids["Price on the page"], ids["New customers"]),
            (ids["Price on the page"], ids["Retention"]),
            (ids["Solved first time"], ids["Retention"]),
            (ids["Engine live"], ids["Price on the page"]),
            (ids["Agents trained"], ids["Solved first time"]),
            (ids["Launch"], ids["Engine live"]),
            (ids["Train"], ids["Agents trained"]),
        ]
    )


def test_an_initiative_shows_its_own_nodes_and_every_node_they_lead_to(api, demo):
    answer = api.get(URL, {"initiative": demo["quote"].pk}).json()

    assert [n["title"] for n in answer["nodes"]] == [
        "Launch",
        "Engine live",
        "Price on the page",
        "New customers",
        "Retention",
    ]
    # Only links between the nodes shown: nothing from "Solved first time".
    assert len(answer["links"]) == 4


def test_levels_filter_the_nodes_and_hide_the_links_through_hidden_levels(api, demo):
    answer = api.get(f"{URL}?level=outcome&level=impact").json()

    assert {n["level"] for n in answer["nodes"]} == {"outcome", "impact"}
    assert len(answer["nodes"]) == 4 and len(answer["links"]) == 3
    only_activities = api.get(URL, {"level": "activity"}).json()
    assert ([n["title"] for n in only_activities["nodes"]], only_activities["links"]) == (
        ["Launch", "Train"],
        [],
    )


def test_an_empty_chain_is_two_empty_lists(api):
    assert api.get(URL).json() == {"nodes": [], "links": []}


@pytest.mark.parametrize(
    "query",
    [
        {"level": "goal"},
        {"level": ""},
        {"initiative": ""},
        {"initiative": "x"},
        {"initiative": "1.5"},
        {"initiative": "-1"},
        {"initiative": "0"},
        {"initiative": "01"},
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, query):
    assert fields_of(api.get(URL, query)) == list(query)


def test_an_initiative_of_another_organisation_is_not_found(api, other_api, demo):
    assert fields_of(other_api.get(URL, {"initiative": demo["quote"].pk}), status=404) == [""]
    assert api.get(URL, {"initiative": 987654}).status_code == 404
    assert other_api.get(URL).json() == {"nodes": [], "links": []}


def test_a_viewer_reads_the_chain(client, viewer, demo):
    client.force_login(viewer)

    assert len(client.get(URL).json()["nodes"]) == 8


def build_chain(organisation, nodes: int, links: int, seed: int = 11) -> None:
    """`nodes` nodes spread over the four levels (each measured by two of 20 indicators but
    every fifth, unmeasured) and `links` distinct upward links, written in bulk."""
    rng = random.Random(seed)
    work = Initiative.objects.create(organisation=organisation, title="Bulk")
    indicators = [IndicatorFactory(organisation=organisation) for _ in range(20)]
    levels = ["activity", "output", "outcome", "impact"]
    made = ChainNode.objects.bulk_create(
        ChainNode(
            organisation=organisation,
            level=levels[n % 4],
            title=f"Node {n}",
            initiative=work if n % 4 < 2 else None,
        )
        for n in range(nodes)
    )
    NodeIndicator.objects.bulk_create(
        NodeIndicator(node=made_node, indicator=indicators[(n + k) % 20], weight=1 + k)
        for n, made_node in enumerate(made)
        if n % 5
        for k in range(2)
    )
    rank = {level: i for i, level in enumerate(levels)}
    pairs = set()
    while len(pairs) < links:
        source, target = rng.sample(made, 2)
        if rank[source.level] < rank[target.level]:
            pairs.add((source.pk, target.pk))
    ChainLink.objects.bulk_create(ChainLink(source_id=s, target_id=t) for s, t in pairs)
    services.refresh_chain_status(organisation=organisation)


@pytest.mark.parametrize("query", [{}, {"level": "outcome"}, {"initiative": "own"}])
def test_the_chain_costs_at_most_ten_queries_the_same_for_8_nodes_and_for_200_with_1000_links(
    api, organisation, django_assert_max_num_queries, query
):
    build_chain(organisation, nodes=8, links=7)
    if query.get("initiative") == "own":
        query = {"initiative": Initiative.objects.get().pk}
    with django_assert_max_num_queries(MAX_QUERIES) as small:
        assert len(api.get(URL, query).json()["nodes"]) > 0
    ChainNode.objects.all().delete()
    Initiative.objects.all().delete()
    build_chain(organisation, nodes=200, links=1000, seed=12)
    if "initiative" in query:
        query = {"initiative": Initiative.objects.get().pk}

    with django_assert_max_num_queries(len(small.captured_queries)):
        answer = api.get(URL, query).json()

    if not query:
        assert (len(answer["nodes"]), len(answer["links"])) == (200, 1000)


@pytest.mark.parametrize("which", ["all", "quote", "ftr", "outcome+impact"])
def test_the_answer_holds_the_same_nodes_and_links_as_the_chain_the_pages_read(
    organisation, demo, which
):
    from outcomes import selectors

    filters = {
        "all": {},
        "quote": {"initiative": demo["quote"]},
        "ftr": {"initiative": demo["ftr"]},
        "outcome+impact": {"levels": ["outcome", "impact"]},
    }[which]

    rows, links = selectors.chain_rows(organisation=organisation, **filters)
    chain = selectors.chain(organisation=organisation, **filters)

    assert [(n.pk, n.status, n.codes) for n in rows] == [
        (n.pk, n.status, tuple(m.indicator.code for m in n.measures.all())) for n in chain.nodes
    ]
    assert [link.pair for link in links] == chain.links
