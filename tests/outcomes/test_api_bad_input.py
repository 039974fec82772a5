"""Every writable field of the results chain's API with input of the wrong type or out of range:
a 400 whose error names the field, and nothing written, for POST and for PATCH alike."""

import pytest

from cpi import services as cpi_services
from outcomes import services
from outcomes.models import ChainLink, ChainNode, Initiative, NodeIndicator
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

INITIATIVES = "/api/v1/initiatives/"
NODES = "/api/v1/chain/nodes/"
LINKS = "/api/v1/chain/links/"
# Wrong in every field that is not free text: nested garbage, huge or negative numbers.
GARBAGE = [
    ["a"],
    {"a": {"b": [1]}},
    [[1, [2]]],
    2**64,
    10**400,
    -(2**63),
]


def rows() -> list:
    """Every row the chain's writes could touch, to compare before and after a refusal."""
    return [
        list(model.objects.order_by("pk").values())
        for model in (Initiative, ChainNode, ChainLink, NodeIndicator)
    ]


def refused_fields(response) -> list[str]:
    assert response.status_code == 400, response.content
    return [error["field"] for error in response.json()["errors"]]


@pytest.fixture
def chain(organisation, other_organisation):
    """Ours: an initiative, an outcome measured by x and y contributing to an impact. Theirs:
    an initiative, a node and an indicator of the other organisation."""
    x = IndicatorFactory(organisation=organisation, code="x")
    y = IndicatorFactory(organisation=organisation, code="y")
    work = services.create_initiative(organisation=organisation, data={"title": "Quote"})
    impact = services.create_node(organisation=organisation, data={"level": "impact", "title": "I"})
    outcome = services.create_node(
        organisation=organisation,
        data={
            "level": "outcome",
            "title": "O",
            "initiative": work,
            "indicators": [(x, 2.0), (y, 1.0)],
            "contributes_to": [impact],
        },
    )
    IndicatorFactory(organisation=other_organisation, code="z")
    their_work = services.create_initiative(organisation=other_organisation, data={"title": "T"})
    their_node = services.create_node(
        organisation=other_organisation, data={"level": "impact", "title": "Theirs"}
    )
    return {
        "work": work,
        "impact": impact,
        "outcome": outcome,
        "link": ChainLink.objects.get(source=outcome, target=impact),
        "their_work": their_work,
        "their_node": their_node,
    }


def resolve(value, chain):
    """A value of the cases below: "@name" is the id of the chain fixture's object `name`."""
    if isinstance(value, str) and value.startswith("@"):
        return chain[value[1:]].pk
    if isinstance(value, list):
        return [resolve(item, chain) for item in value]
    return value


# -- initiatives --------------------------------------------------------------------------------

INITIATIVE_CASES = [
    *[("title", value) for value in [None, [], ["Quote"], {"a": 1}, 5, True]],
    *[("description", value) for value in [None, ["a"], {"a": 1}, 5]],
    *[("owner", value) for value in [[], ["anna"], {"username": "anna"}, 5, "nobody", "a\x00b"]],
    *[("start", value) for value in ["2026-02-30", "2026-13-01", "10000-01-01", 20260101]],
    *[("start", value) for value in [[], {"a": 1}, "2026-1-1", ""]],
    *[("end", value) for value in ["2026-02-30", ["2026-01-01"], True]],
    *[("state", value) for value in [None, ["running"], {"a": 1}, 1, "paused"]],
    *[("budget", value) for value in ["100", ["1"], {"a": 1}, True, -0.01, 1e13]],
    *[("budget", value) for value in GARBAGE],
]


@pytest.mark.parametrize(("field", "value"), INITIATIVE_CASES)
def test_a_bad_initiative_field_is_a_400_naming_it_on_post(api, chain, field, value, request):
    before = rows()
    body = {"title": "New", field: value}
    assert refused_fields(api.post(INITIATIVES, body, format="json")) == [field]
    assert rows() == before


@pytest.mark.parametrize(("field", "value"), INITIATIVE_CASES)
def test_a_bad_initiative_field_is_a_400_naming_it_on_patch(api, chain, field, value, request):
    before = rows()
    url = f"{INITIATIVES}{chain['work'].pk}/"
    assert refused_fields(api.patch(url, {"state": "done", field: value}, format="json")) == [field]
    assert rows() == before


# -- chain nodes --------------------------------------------------------------------------------

# (field, value, the field the refusal names): an item of a list is named by its index, a
# weight by its code.
NODE_CASES = [
    *[("level", value, "level") for value in [None, [], ["outcome"], {"a": 1}, 3, "goal"]],
    *[("title", value, "title") for value in [None, ["O"], {"a": 1}, 5, "\x00"]],
    *[("description", value, "description") for value in [None, ["a"], 5]],
    *[
        ("initiative", value, "initiative")
        for value in ["abc", "1", 1.5, True, [1], {"id": 1}, "@their_work", 0, 987654, *GARBAGE]
    ],
    *[("indicators", value, "indicators") for value in [None, "x", {"x": 1}, ["z"], ["x", "x"]]],
    *[("indicators", value, "indicators.0") for value in [[["x"]], [None], [1], ["X"], [""]]],
    ("indicators", ["a" * 64], "indicators.0"),
    *[("weights", value, "weights") for value in [None, [1], "x", {"z": 1}, {"": 1}]],
    *[
        ("weights", {"x": weight}, "weights.x")
        for weight in [None, [1], {"a": 1}, "1", True, -1, 2**64, 10**400, 1_000_000.5]
    ],
    ("weights", {"x": 1e308, "y": 1e308}, ["weights.x", "weights.y"]),
    ("weights", {"x": 0, "y": 0}, "indicators"),  # every weight 0: nothing would count
    *[("contributes_to", value, "contributes_to") for value in [None, 1, "@impact"]],
    *[("contributes_to", value, "contributes_to") for value in [["@their_node"], [987654]]],
    ("contributes_to", ["@outcome"], "contributes_to"),  # to itself
    *[
        ("contributes_to", value, "contributes_to.0")
        for value in [["1"], [None], [[1]], [{}], ["abc"], [1.5], [True], [2**64], [0], [-1]]
    ],
]


def listed(names) -> list[str]:
    return names if isinstance(names, list) else [names]


@pytest.mark.parametrize(("field", "value", "names"), NODE_CASES)
def test_a_bad_node_field_is_a_400_naming_it_on_post(api, chain, field, value, names):
    before = rows()
    body = {"level": "outcome", "title": "New", "indicators": ["x", "y"]}
    body[field] = resolve(value, chain)
    assert refused_fields(api.post(NODES, body, format="json")) == listed(names)
    assert rows() == before


@pytest.mark.parametrize(("field", "value", "names"), NODE_CASES)
def test_a_bad_node_field_is_a_400_naming_it_on_patch(api, chain, field, value, names):
    before = rows()
    url = f"{NODES}{chain['outcome'].pk}/"
    body = {"title": "Renamed", field: resolve(value, chain)}
    assert refused_fields(api.patch(url, body, format="json")) == listed(names)
    assert rows() == before


# -- links --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["abc", "1", 1.5, True, [1], {"id": 1}, 0, -1, 987654, "@their_hypothesis", *GARBAGE],
)
def test_a_bad_hypothesis_of_an_arrow_is_a_400_naming_it(
    api, chain, organisation, other_organisation, value
):
    cited = cpi_services.create_hypothesis(
        organisation=organisation,
        data={
            "cause": chain["outcome"].measures.first().indicator,
            "effect": IndicatorFactory(organisation=organisation, code="kpi"),
            "expected_sign": "positive",
            "max_lag": 2,
        },
    )
    services.update_node(
        node=chain["impact"], data={"indicators": [(cited.effect, 1.0)]}
    )  # so that it fits the arrow
    services.cite_hypothesis(link=chain["link"], hypothesis=cited)
    if value == "@their_hypothesis":
        value = cpi_services.create_hypothesis(
            organisation=other_organisation,
            data={
                "cause": IndicatorFactory(organisation=other_organisation, code="v"),
                "effect": IndicatorFactory(organisation=other_organisation, code="w"),
                "expected_sign": "positive",
                "max_lag": 2,
            },
        ).pk
    before = rows()
    url = f"{LINKS}{chain['link'].pk}/"
    assert refused_fields(api.patch(url, {"hypothesis": value}, format="json")) == ["hypothesis"]
    assert rows() == before
    assert ChainLink.objects.get(pk=chain["link"].pk).hypothesis_id == cited.pk


@pytest.mark.parametrize("body", ["null", "[]", "1", '"x"', "[1, 2]", "{"])
@pytest.mark.parametrize("target", ["initiative", "node", "link"])
def test_a_body_that_is_not_a_json_object_is_a_400_and_writes_nothing(api, chain, body, target):
    url = {
        "initiative": f"{INITIATIVES}{chain['work'].pk}/",
        "node": f"{NODES}{chain['outcome'].pk}/",
        "link": f"{LINKS}{chain['link'].pk}/",
    }[target]
    before = rows()
    assert api.patch(url, body, content_type="application/json").status_code == 400
    assert rows() == before
