"""`/api/v1/initiatives/`: the contract's shape, every kind of bad input, filters, pages, scoping."""

import pytest

from accounts.models import Role
from accounts.services import create_user
from outcomes import services
from outcomes.models import ChainNode, Initiative
from outcomes.registry import register_objectives, unregister_objectives

pytestmark = pytest.mark.django_db

URL = "/api/v1/initiatives/"


def fields_of(response, status=400) -> list[str]:
    assert response.status_code == status, response.content
    return [e["field"] for e in response.json()["errors"]]


def initiative(organisation, title="Instant online quote", **data):
    return services.create_initiative(organisation=organisation, data={"title": title, **data})


def test_creating_an_initiative_answers_201_with_every_field_of_the_contract(api, analyst):
    body = {
        "title": "Instant online quote",
        "description": "A price while the customer is still on the page.",
        "owner": "anna",
        "start": "2026-01-01",
        "end": "2026-06-30",
        "state": "running",
        "budget": 125000.5,
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) == {
        "id",
        "title",
        "description",
        "owner",
        "start",
        "end",
        "state",
        "budget",
        "objectives",
        "nodes",
        "created_at",
        "updated_at",
    }
    assert {name: answer[name] for name in body} == body
    assert (answer["objectives"], answer["nodes"]) == ([], [])
    stored = Initiative.objects.get(pk=answer["id"])
    assert str(stored.budget) == "125000.50" and stored.owner == analyst


def test_a_new_initiative_is_planned_with_no_owner_dates_or_budget(api):
    answer = api.post(URL, {"title": "Careful delivery"}, format="json").json()

    assert {k: answer[k] for k in ("state", "owner", "start", "end", "budget", "description")} == {
        "state": "planned",
        "owner": None,
        "start": None,
        "end": None,
        "budget": None,
        "description": "",
    }


def test_a_budget_is_kept_to_the_cent_and_answered_as_a_json_number(api):
    answer = api.post(URL, {"title": "X", "budget": 1234.567}, format="json").json()

    assert answer["budget"] == 1234.57
    assert str(Initiative.objects.get().budget) == "1234.57"


def test_an_initiative_lists_its_nodes_and_the_objectives_the_registry_gives(api, organisation):
    work = initiative(organisation)
    output = services.create_node(
        organisation=organisation, data={"level": "output", "title": "Engine", "initiative": work}
    )
    activity = services.create_node(
        organisation=organisation,
        data={"level": "activity", "title": "Build", "initiative": work},
    )
    register_objectives("test", lambda ids: {pk: [7, 9] for pk in ids})
    try:
        answer = api.get(f"{URL}{work.pk}/").json()
    finally:
        unregister_objectives("test")

    assert answer["nodes"] == [output.pk, activity.pk]
    assert answer["objectives"] == [7, 9]


def test_patch_changes_only_the_fields_sent(api, organisation):
    work = initiative(organisation, description="Old", state="running")

    response = api.patch(f"{URL}{work.pk}/", {"state": "done", "owner": None}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["description"]) == ("done", "Old")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": 5}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "X", "description": None}, "description"),
        ({"title": "X", "state": "paused"}, "state"),
        ({"title": "X", "owner": "nobody"}, "owner"),
        ({"title": "X", "owner": 3}, "owner"),
        ({"title": "X", "start": "20260101"}, "start"),
        ({"title": "X", "start": "2026-W01-1"}, "start"),
        ({"title": "X", "end": "2026-02-30"}, "end"),
        ({"title": "X", "end": 20260101}, "end"),
        ({"title": "X", "start": "2026-06-01", "end": "2026-01-01"}, "end"),
        ({"title": "X", "budget": -1}, "budget"),
        ({"title": "X", "budget": "100"}, "budget"),
        ({"title": "X", "budget": True}, "budget"),
        ({"title": "X", "budget": 1e13}, "budget"),
        ({"title": "X", "nodes": [1]}, None),  # read-only: ignored, not an error
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(api, body, field):
    response = api.post(URL, body, format="json")

    if field is None:
        assert response.status_code == 201
        return
    assert fields_of(response) == [field]
    assert not Initiative.objects.exists()


def test_an_owner_of_another_organisation_is_refused(api, other_organisation):
    create_user(organisation=other_organisation, username="olle", role=Role.ANALYST)

    assert fields_of(api.post(URL, {"title": "X", "owner": "olle"}, format="json")) == ["owner"]


def test_a_refused_patch_changes_nothing(api, organisation):
    work = initiative(organisation, start=None, state="running")

    response = api.patch(
        f"{URL}{work.pk}/", {"state": "done", "start": "2026-06-01", "end": "2026-01-01"}, "json"
    )

    assert fields_of(response) == ["end"]
    work.refresh_from_db()
    assert (work.state, work.start, work.end) == ("running", None, None)


def test_deleting_an_initiative_with_nodes_needs_confirm(api, organisation):
    work = initiative(organisation)
    services.create_node(
        organisation=organisation, data={"level": "activity", "title": "Build", "initiative": work}
    )
    shared = services.create_node(
        organisation=organisation, data={"level": "outcome", "title": "Price", "initiative": work}
    )

    refused = api.delete(f"{URL}{work.pk}/")
    wrong = api.delete(f"{URL}{work.pk}/?confirm=yes")
    deleted = api.delete(f"{URL}{work.pk}/?confirm=true")

    assert fields_of(refused) == ["nodes"]
    assert "'Build'" in refused.json()["errors"][0]["message"]
    assert fields_of(wrong) == ["confirm"]
    assert deleted.status_code == 204
    # The activity went with it; the outcome, shared by nature, stays without an initiative.
    assert list(ChainNode.objects.values_list("pk", "initiative")) == [(shared.pk, None)]


def test_deleting_an_initiative_without_nodes_needs_no_confirm(api, organisation):
    work = initiative(organisation)

    assert api.delete(f"{URL}{work.pk}/").status_code == 204
    assert not Initiative.objects.exists()


def test_the_list_is_by_title_paginated_and_filtered_by_state_and_owner(api, organisation, analyst):
    initiative(organisation, "Careful delivery", state="running", owner=analyst)
    initiative(organisation, "Agents trained", state="done")
    initiative(organisation, "Instant online quote", state="running")

    def titles(**query):
        return [row["title"] for row in api.get(URL, query).json()["results"]]

    page = api.get(URL, {"page_size": 2}).json()
    assert (page["count"], len(page["results"]), page["previous"]) == (3, 2, None)
    assert page["next"].endswith("page=2&page_size=2")
    assert titles() == ["Agents trained", "Careful delivery", "Instant online quote"]
    assert titles(state="running") == ["Careful delivery", "Instant online quote"]
    assert titles(owner="anna") == ["Careful delivery"]
    assert titles(owner="nobody") == []


@pytest.mark.parametrize("query", [{"state": "paused"}, {"state": ""}, {"page_size": "0"}])
def test_a_bad_filter_is_a_400_naming_it(api, query):
    assert fields_of(api.get(URL, query)) == list(query)


def test_another_organisations_initiative_is_not_found(api, other_api, organisation):
    work = initiative(organisation)

    assert fields_of(other_api.get(f"{URL}{work.pk}/"), status=404) == [""]
    assert other_api.patch(f"{URL}{work.pk}/", {"title": "Mine"}, "json").status_code == 404
    assert other_api.delete(f"{URL}{work.pk}/?confirm=true").status_code == 404
    assert other_api.get(URL).json()["count"] == 0
    assert Initiative.objects.get().title == "Instant online quote"


@pytest.mark.parametrize("path", ["0/", "abc/", "1.0/", "99999999999999999999/", "%D9%A3/"])
def test_a_path_that_is_no_id_of_this_organisation_is_not_found(api, path):
    assert api.get(f"{URL}{path}").status_code == 404


def test_a_viewer_reads_but_does_not_write(client, viewer, organisation):
    initiative(organisation)
    client.force_login(viewer)

    assert client.get(URL).status_code == 200
    response = client.post(URL, {"title": "X"}, content_type="application/json")
    assert response.status_code == 403


def test_the_list_costs_the_same_queries_for_one_initiative_and_for_thirty(
    api, organisation, django_assert_max_num_queries
):
    work = initiative(organisation, "First")
    services.create_node(
        organisation=organisation, data={"level": "activity", "title": "A", "initiative": work}
    )
    # Six of its own and one of the scorecard's registered source of objectives.
    with django_assert_max_num_queries(7) as small:
        api.get(URL)
    for n in range(30):
        initiative(organisation, f"Initiative {n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert api.get(URL, {"page_size": 100}).json()["count"] == 31
