"""`/api/v1/chain/nodes/`: the contract's shape, the level rule, weights, every kind of bad input
the issue lists (nothing half-changed), deletes with contributors, filters, pages and scoping."""

import pytest

from outcomes import services
from outcomes.models import ChainLink, ChainNode, NodeIndicator
from tests.factories import IndicatorFactory
from tests.outcomes.chain_data import node

pytestmark = pytest.mark.django_db

URL = "/api/v1/chain/nodes/"


def fields_of(response, status=400) -> list[str]:
    assert response.status_code == status, response.content
    return [e["field"] for e in response.json()["errors"]]


def messages_of(response) -> list[str]:
    return [e["message"] for e in response.json()["errors"]]


@pytest.fixture
def work(organisation):
    return services.create_initiative(
        organisation=organisation, data={"title": "Instant online quote"}
    )


def test_creating_a_node_answers_201_with_every_field_of_the_contract(api, organisation, work):
    IndicatorFactory(organisation=organisation, code="fast_quote")
    IndicatorFactory(organisation=organisation, code="quote_turnaround")
    impact = node(organisation, "impact", "New customers")
    body = {
        "level": "outcome",
        "title": "Customers get a price while still on the page",
        "description": "Leading.",
        "initiative": work.pk,
        "indicators": ["fast_quote", "quote_turnaround"],
        "weights": {"fast_quote": 3},
        "contributes_to": [impact.pk],
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) == {
        "id",
        "level",
        "title",
        "description",
        "initiative",
        "indicators",
        "weights",
        "contributes_to",
        "contributors",
        "status",
        "score",
        "status_source",
        "unmeasured",
        "leading",
        "lagging",
        "created_at",
        "updated_at",
    }
    assert answer["indicators"] == ["fast_quote", "quote_turnaround"]
    # Weights not sent default to 1.
    assert answer["weights"] == {"fast_quote": 3.0, "quote_turnaround": 1.0}
    assert (answer["contributes_to"], answer["contributors"]) == ([impact.pk], [])
    assert (answer["initiative"], answer["leading"], answer["lagging"]) == (work.pk, True, False)
    # No values yet: no data from its own indicators; it is measured, so not unmeasured.
    assert (answer["status"], answer["score"], answer["status_source"]) == (
        "no_data",
        None,
        "indicators",
    )
    assert answer["unmeasured"] is False
    impact_answer = api.get(f"{URL}{impact.pk}/").json()
    assert impact_answer["contributors"] == [answer["id"]]
    assert (impact_answer["lagging"], impact_answer["unmeasured"]) == (True, True)


def test_a_node_measured_by_an_off_track_indicator_is_off_track_and_so_is_the_node_above(
    api, organisation, django_capture_on_commit_callbacks
):
    from indicators.selectors import today_of

    # Lower is better, band up to 10 minutes: 25 is worse than the band, so off track (score 0).
    IndicatorFactory(organisation=organisation, code="wait", band_high=10)
    impact = node(organisation, "impact", "Retention")
    outcome = node(organisation, "outcome", "Short waits", contributes_to=[impact])
    api.patch(f"{URL}{outcome.pk}/", {"indicators": ["wait"]}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            "/api/v1/measurements/",
            {
                "measurements": [
                    {"indicator": "wait", "observed_at": str(today_of(organisation)), "value": 25}
                ]
            },
            format="json",
        )

    measured = api.get(f"{URL}{outcome.pk}/").json()
    above = api.get(f"{URL}{impact.pk}/").json()

    assert (measured["status"], measured["score"], measured["status_source"]) == (
        "off_track",
        0.0,
        "indicators",
    )
    assert (above["status"], above["score"], above["status_source"]) == (
        "off_track",
        0.0,
        "contributors",
    )


def test_patching_indicators_keeps_the_weights_already_there_and_gives_new_codes_one(
    api, organisation
):
    for code in ("a", "b", "c"):
        IndicatorFactory(organisation=organisation, code=code)
    outcome = node(organisation, "outcome", "O")
    api.patch(f"{URL}{outcome.pk}/", {"indicators": ["a", "b"], "weights": {"a": 2}}, "json")

    added = api.patch(f"{URL}{outcome.pk}/", {"indicators": ["a", "c"]}, format="json").json()
    reweighed = api.patch(f"{URL}{outcome.pk}/", {"weights": {"c": 0.5}}, format="json").json()

    assert added["weights"] == {"a": 2.0, "c": 1.0}
    assert (reweighed["indicators"], reweighed["weights"]) == (["a", "c"], {"a": 2.0, "c": 0.5})


def test_patch_replaces_the_links_upwards_and_keeps_what_was_not_sent(api, organisation, work):
    first, second = node(organisation, "outcome", "First"), node(organisation, "impact", "Second")
    activity = node(
        organisation, "activity", "Launch", initiative=work, contributes_to=[first], description="D"
    )

    answer = api.patch(f"{URL}{activity.pk}/", {"contributes_to": [second.pk]}, "json").json()

    assert (answer["contributes_to"], answer["description"], answer["title"]) == (
        [second.pk],
        "D",
        "Launch",
    )
    assert list(ChainLink.objects.values_list("source", "target")) == [(activity.pk, second.pk)]


@pytest.mark.parametrize(
    ("level", "target_level"),
    [("output", "activity"), ("outcome", "output"), ("outcome", "outcome"), ("impact", "impact")],
)
def test_a_link_downwards_or_to_the_same_level_is_refused(
    api, organisation, work, level, target_level
):
    target = node(organisation, target_level, "Target", initiative=work)
    body = {"level": level, "title": "N", "initiative": work.pk, "contributes_to": [target.pk]}

    response = api.post(URL, body, format="json")

    assert fields_of(response) == ["contributes_to"]
    assert "'Target'" in messages_of(response)[0]
    assert ChainNode.objects.count() == 1


def test_skipping_a_level_is_allowed(api, organisation, work):
    impact = node(organisation, "impact", "Premium revenue")
    body = {"level": "activity", "title": "A", "initiative": work.pk, "contributes_to": [impact.pk]}

    assert api.post(URL, body, format="json").status_code == 201


def test_a_link_to_another_organisations_node_is_refused_as_unknown(
    api, organisation, other_organisation, work
):
    theirs = node(other_organisation, "impact", "Their impact")
    body = {"level": "activity", "title": "A", "initiative": work.pk, "contributes_to": [theirs.pk]}

    response = api.post(URL, body, format="json")

    assert fields_of(response) == ["contributes_to"]
    assert messages_of(response) == [f"No chain node {theirs.pk}."]


def test_a_node_in_another_organisations_initiative_is_refused(api, other_organisation):
    theirs = services.create_initiative(organisation=other_organisation, data={"title": "Theirs"})
    body = {"level": "activity", "title": "A", "initiative": theirs.pk}

    response = api.post(URL, body, format="json")

    assert fields_of(response) == ["initiative"]
    assert messages_of(response) == [f"No initiative {theirs.pk}."]
    assert not ChainNode.objects.exists()


def test_another_organisations_indicator_is_refused_as_unknown(api, other_organisation):
    IndicatorFactory(organisation=other_organisation, code="theirs")

    response = api.post(URL, {"level": "impact", "title": "I", "indicators": ["theirs"]}, "json")

    assert fields_of(response) == ["indicators"]
    assert messages_of(response) == ["No indicator 'theirs' in the organisation."]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"weights": {"x": -1}}, "weights.x"),
        ({"weights": {"x": "2"}}, "weights.x"),
        ({"weights": {"x": True}}, "weights.x"),
        ({"weights": {"x": None}}, "weights.x"),
        ({"weights": {"x": 0}}, "indicators"),  # every weight 0: nothing would count
        ({"weights": [1]}, "weights"),
        ({"weights": {"y": 1}}, "weights"),  # not among the node's indicators
        ({"indicators": ["x", "x"]}, "indicators"),
        ({"indicators": ["X"]}, "indicators.0"),
        ({"indicators": "x"}, "indicators"),
        ({"indicators": ["nope"]}, "indicators"),
    ],
)
def test_bad_indicators_and_weights_are_a_400_naming_the_field(api, organisation, extra, field):
    IndicatorFactory(organisation=organisation, code="x")
    IndicatorFactory(organisation=organisation, code="y")
    body = {"level": "outcome", "title": "O", "indicators": ["x"], **extra}

    assert fields_of(api.post(URL, body, format="json")) == [field]
    assert not ChainNode.objects.exists()


def test_a_weight_that_is_not_a_json_number_at_all_is_refused(api, organisation):
    IndicatorFactory(organisation=organisation, code="x")
    for raw in ("NaN", "Infinity", "1e999"):
        body = (
            f'{{"level": "outcome", "title": "O", "indicators": ["x"], "weights": {{"x": {raw}}}}}'
        )
        response = api.post(URL, body, content_type="application/json")
        assert response.status_code == 400, (raw, response.content)
    assert not ChainNode.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "A"}, "level"),
        ({"level": "goal", "title": "A"}, "level"),
        ({"level": "outcome"}, "title"),
        ({"level": "outcome", "title": "  "}, "title"),
        ({"level": "outcome", "title": ["A"]}, "title"),
        ({"level": "activity", "title": "A"}, "initiative"),  # activities belong to an initiative
        ({"level": "output", "title": "A", "initiative": None}, "initiative"),
        ({"level": "outcome", "title": "A", "initiative": "1"}, "initiative"),
        ({"level": "outcome", "title": "A", "initiative": 0}, "initiative"),
        ({"level": "outcome", "title": "A", "initiative": 2**64}, "initiative"),
        ({"level": "outcome", "title": "A", "contributes_to": ["1"]}, "contributes_to.0"),
        ({"level": "outcome", "title": "A", "contributes_to": 1}, "contributes_to"),
        ({"level": "outcome", "title": "A", "contributes_to": [987654]}, "contributes_to"),
    ],
)
def test_bad_fields_are_a_400_naming_the_field(api, body, field):
    assert fields_of(api.post(URL, body, format="json")) == [field]
    assert not ChainNode.objects.exists()


def test_a_node_cannot_contribute_to_itself(api, organisation):
    outcome = node(organisation, "outcome", "O")

    response = api.patch(f"{URL}{outcome.pk}/", {"contributes_to": [outcome.pk]}, "json")

    assert fields_of(response) == ["contributes_to"]


def test_a_level_change_that_would_turn_a_link_the_wrong_way_is_refused(api, organisation, work):
    outcome = node(organisation, "outcome", "O")
    node(organisation, "output", "Engine live", initiative=work, contributes_to=[outcome])

    response = api.patch(f"{URL}{outcome.pk}/", {"level": "output", "initiative": work.pk}, "json")

    assert fields_of(response) == ["level"]
    assert "'Engine live'" in messages_of(response)[0]


def test_a_refused_patch_changes_nothing(api, organisation, work):
    IndicatorFactory(organisation=organisation, code="x")
    impact = node(organisation, "impact", "I")
    outcome = node(organisation, "outcome", "Before")
    activity = node(organisation, "activity", "A", initiative=work)
    api.patch(f"{URL}{outcome.pk}/", {"indicators": ["x"], "contributes_to": [impact.pk]}, "json")
    body = {"title": "After", "indicators": [], "contributes_to": [activity.pk]}

    response = api.patch(f"{URL}{outcome.pk}/", body, format="json")

    assert fields_of(response) == ["contributes_to"]
    outcome.refresh_from_db()
    assert outcome.title == "Before"
    assert list(NodeIndicator.objects.values_list("node", "indicator__code")) == [(outcome.pk, "x")]
    assert list(ChainLink.objects.values_list("source", "target")) == [(outcome.pk, impact.pk)]


def test_deleting_a_node_others_contribute_to_is_refused_with_their_names_unless_confirmed(
    api, organisation, work
):
    outcome = node(organisation, "outcome", "Issue solved on first contact")
    trained = node(
        organisation, "output", "Agents trained", initiative=work, contributes_to=[outcome]
    )
    node(organisation, "activity", "Train agents", initiative=work, contributes_to=[outcome])

    refused = api.delete(f"{URL}{outcome.pk}/")
    confirmed = api.delete(f"{URL}{outcome.pk}/?confirm=true")

    assert fields_of(refused) == ["contributors"]
    assert "'Agents trained', 'Train agents'" in messages_of(refused)[0]
    assert confirmed.status_code == 204
    assert not ChainLink.objects.exists()
    assert api.get(f"{URL}{trained.pk}/").json()["contributes_to"] == []


@pytest.mark.parametrize("confirm", ["", "yes", "1", "True"])
def test_a_confirm_that_is_not_true_or_false_is_refused(api, organisation, confirm):
    outcome = node(organisation, "outcome", "O")

    assert fields_of(api.delete(f"{URL}{outcome.pk}/?confirm={confirm}")) == ["confirm"]
    assert ChainNode.objects.filter(pk=outcome.pk).exists()


def test_deleting_a_node_nothing_contributes_to_takes_its_links_upwards(api, organisation, work):
    impact = node(organisation, "impact", "I")
    activity = node(organisation, "activity", "A", initiative=work, contributes_to=[impact])

    assert api.delete(f"{URL}{activity.pk}/?confirm=false").status_code == 204
    assert list(ChainNode.objects.values_list("pk", flat=True)) == [impact.pk]
    assert not ChainLink.objects.exists()


def test_the_list_is_by_id_paginated_and_filtered_by_level_initiative_and_status(
    api, organisation, work
):
    other = services.create_initiative(organisation=organisation, data={"title": "Other"})
    a = node(organisation, "activity", "A", initiative=work)
    b = node(organisation, "output", "B", initiative=other)
    c = node(organisation, "outcome", "C", initiative=work)
    d = node(organisation, "impact", "D")
    ChainNode.objects.filter(pk=c.pk).update(status="at_risk")

    def ids(**query):
        response = api.get(URL, query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    page = api.get(URL, {"page_size": 3}).json()
    assert (page["count"], [r["id"] for r in page["results"]]) == (4, [a.pk, b.pk, c.pk])
    assert api.get(URL, {"page_size": 3, "page": 2}).json()["results"][0]["id"] == d.pk
    assert ids(level="outcome") == [c.pk]
    assert api.get(f"{URL}?level=activity&level=impact").json()["count"] == 2
    assert ids(initiative=work.pk) == [a.pk, c.pk]
    assert ids(initiative=987654) == []
    assert ids(status="at_risk") == [c.pk]
    assert ids(status="no_data", level="output") == [b.pk]


@pytest.mark.parametrize(
    "query",
    [
        {"level": "goal"},
        {"level": ""},
        {"status": "green"},
        {"initiative": ""},
        {"initiative": "x"},
        {"initiative": "1.0"},
        {"initiative": "0"},
        {"initiative": "-2"},
        {"page_size": "-1"},
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, query):
    assert set(fields_of(api.get(URL, query))) == set(query)


def test_another_organisations_node_is_not_found_and_stays_as_it_was(api, other_api, organisation):
    outcome = node(organisation, "outcome", "Mine")

    assert fields_of(other_api.get(f"{URL}{outcome.pk}/"), status=404) == [""]
    assert other_api.patch(f"{URL}{outcome.pk}/", {"title": "Theirs"}, "json").status_code == 404
    assert other_api.delete(f"{URL}{outcome.pk}/?confirm=true").status_code == 404
    assert other_api.get(URL).json()["count"] == 0
    assert ChainNode.objects.get().title == "Mine"


@pytest.mark.parametrize("path", ["0/", "abc/", "99999999999999999999/", "%D9%A3/"])
def test_a_path_that_is_no_id_of_this_organisation_is_not_found(api, path):
    assert api.get(f"{URL}{path}").status_code == 404


def test_a_viewer_reads_but_does_not_write(client, viewer, organisation):
    outcome = node(organisation, "outcome", "O")
    client.force_login(viewer)

    assert client.get(f"{URL}{outcome.pk}/").status_code == 200
    patch = client.patch(f"{URL}{outcome.pk}/", {"title": "X"}, content_type="application/json")
    assert patch.status_code == 403
    assert client.delete(f"{URL}{outcome.pk}/").status_code == 403


def test_the_list_costs_the_same_queries_for_two_nodes_and_for_sixty(
    api, organisation, work, django_assert_max_num_queries
):
    indicators = [IndicatorFactory(organisation=organisation) for _ in range(5)]
    impact = node(organisation, "impact", "I", indicators=[(indicators[0], 1)])
    node(organisation, "outcome", "O", contributes_to=[impact], indicators=[(indicators[1], 1)])
    with django_assert_max_num_queries(8) as small:
        api.get(URL)
    for n in range(60):
        node(
            organisation,
            "activity",
            f"A{n}",
            initiative=work,
            contributes_to=[impact],
            indicators=[(indicators[n % 5], 1), (indicators[(n + 1) % 5], 2)],
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert api.get(URL, {"page_size": 100}).json()["count"] == 62
