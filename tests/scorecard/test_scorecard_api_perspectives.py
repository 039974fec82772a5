"""`/api/v1/perspectives/`: add, relabel, re-weigh and delete one perspective of a scorecard."""

import pytest

from scorecard import services
from scorecard.models import Objective, Perspective

pytestmark = pytest.mark.django_db

URL = "/api/v1/perspectives/"


def fields_of(response, status=400) -> list[str]:
    assert response.status_code == status, response.content
    return [e["field"] for e in response.json()["errors"]]


@pytest.fixture
def scorecard(organisation):
    return services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Unit card",
            "perspectives": [
                {"kind": "customer", "objectives": [{"title": "Quick answers"}]},
                {"kind": "financial"},
            ],
        },
    )


def test_adding_a_perspective_answers_201_after_the_others(api, scorecard):
    response = api.post(URL, {"scorecard": scorecard.pk, "kind": "learning"}, format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) == {"id", "scorecard", "kind", "label", "position", "weight", "objectives"}
    assert (answer["kind"], answer["label"], answer["position"], answer["weight"]) == (
        "learning",
        "Learning and growth",
        2,
        1.0,
    )
    detail = api.get(f"/api/v1/scorecards/{scorecard.pk}/").json()
    assert [p["kind"] for p in detail["perspectives"]] == ["customer", "financial", "learning"]


def test_a_label_weight_and_position_change_and_a_blank_label_is_the_presets(api, scorecard):
    customer = scorecard.perspectives.get(kind="customer")

    relabelled = api.patch(
        f"{URL}{customer.pk}/", {"label": "Members", "weight": 3, "position": 5}, format="json"
    ).json()
    back = api.patch(f"{URL}{customer.pk}/", {"label": ""}, format="json").json()

    assert (relabelled["label"], relabelled["weight"], relabelled["position"]) == (
        "Members",
        3.0,
        5,
    )
    assert back["label"] == "Customer"
    assert relabelled["objectives"] == list(customer.objectives.values_list("pk", flat=True))
    detail = api.get(f"/api/v1/scorecards/{scorecard.pk}/").json()
    assert [p["kind"] for p in detail["perspectives"]] == ["financial", "customer"]


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"kind": "customer"}, "kind"),  # the scorecard has one
        ({"kind": "citizens"}, "kind"),
        ({"kind": "learning", "weight": -1}, "weight"),
        ({"kind": "learning", "label": "x" * 101}, "label"),
        ({"kind": "learning", "scorecard": 99999}, "scorecard"),
        ({"kind": "learning", "scorecard": None}, "scorecard"),
    ],
)
def test_bad_input_is_named_and_nothing_is_added(api, scorecard, sent, field):
    response = api.post(URL, {"scorecard": scorecard.pk, **sent}, format="json")

    assert field in fields_of(response)
    assert Perspective.objects.count() == 2


def test_all_zero_weights_are_refused(api, scorecard):
    financial = scorecard.perspectives.get(kind="financial")
    api.patch(
        f"{URL}{scorecard.perspectives.get(kind='customer').pk}/", {"weight": 0}, format="json"
    )

    assert fields_of(api.patch(f"{URL}{financial.pk}/", {"weight": 0}, format="json")) == ["weight"]
    financial.refresh_from_db()
    assert financial.weight == 1.0


def test_a_perspective_stays_in_its_scorecard(api, scorecard, organisation):
    other = services.create_scorecard(organisation=organisation, data={"name": "Other"})
    customer = scorecard.perspectives.get(kind="customer")

    assert fields_of(api.patch(f"{URL}{customer.pk}/", {"scorecard": other.pk}, format="json")) == [
        "scorecard"
    ]


def test_delete_removes_it_with_its_objectives(api, scorecard):
    customer = scorecard.perspectives.get(kind="customer")

    assert api.delete(f"{URL}{customer.pk}/").status_code == 204

    assert not Objective.objects.exists()
    assert api.get(f"{URL}{customer.pk}/").status_code == 404


def test_the_list_filters_by_scorecard_and_other_organisations_see_nothing(
    api, other_api, scorecard, organisation
):
    other = services.create_scorecard(organisation=organisation, data={"name": "A four"})
    customer = scorecard.perspectives.get(kind="customer")

    assert api.get(URL).json()["count"] == 6
    assert [p["kind"] for p in api.get(URL, {"scorecard": scorecard.pk}).json()["results"]] == [
        "customer",
        "financial",
    ]
    assert api.get(URL, {"scorecard": other.pk}).json()["count"] == 4
    assert other_api.get(URL).json()["count"] == 0
    assert other_api.get(f"{URL}{customer.pk}/").status_code == 404
    assert other_api.delete(f"{URL}{customer.pk}/").status_code == 404
    assert fields_of(
        other_api.post(URL, {"scorecard": scorecard.pk, "kind": "learning"}, format="json")
    ) == ["scorecard"]


def test_a_viewer_reads_but_does_not_write(client, viewer, scorecard):
    client.force_login(viewer)
    customer = scorecard.perspectives.get(kind="customer")

    assert client.get(URL).status_code == 200
    assert (
        client.patch(
            f"{URL}{customer.pk}/", {"label": "X"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert client.delete(f"{URL}{customer.pk}/").status_code == 403
