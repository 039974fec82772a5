"""Machine clients authenticate with an API key; people with a session and a role."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import create_api_key, revoke_api_key
from indicators.models import Measurement
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db

ITEM = {"indicator": "quote_time", "observed_at": "2026-03-01", "value": 12}


@pytest.fixture(autouse=True)
def quote_time(organisation):
    return IndicatorFactory(organisation=organisation, code="quote_time")


def client_with(authorization: str | None) -> APIClient:
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


def assert_unauthorised(response):
    assert response.status_code == 401, response.content
    [error] = response.json()["errors"]
    assert set(error) == {"index", "field", "message"} and error["message"]
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_request_without_a_key_is_unauthorised():
    assert_unauthorised(client_with(None).get("/api/v1/indicators/"))
    assert_unauthorised(push(client_with(None), [ITEM]))
    assert Measurement.objects.count() == 0


@pytest.mark.parametrize(
    "authorization",
    ["Api-Key nonsense", "Api-Key ", "Api-Key oc_00000000_forged", "Bearer abc", "Api-Key oc__"],
)
def test_a_garbage_key_is_unauthorised(authorization):
    assert_unauthorised(client_with(authorization).get("/api/v1/indicators/"))


def test_a_key_with_a_known_prefix_but_a_wrong_secret_is_unauthorised(api_key):
    forged = api_key[:-4] + ("AAAA" if not api_key.endswith("AAAA") else "BBBB")
    assert_unauthorised(client_with(f"Api-Key {forged}").get("/api/v1/indicators/"))


def test_a_revoked_key_is_unauthorised(organisation):
    api_key, secret = create_api_key(organisation=organisation, name="old crm")
    client = client_with(f"Api-Key {secret}")
    assert client.get("/api/v1/indicators/").status_code == 200
    revoke_api_key(api_key=api_key)
    assert_unauthorised(client.get("/api/v1/indicators/"))
    assert_unauthorised(push(client, [ITEM]))


def test_the_command_prints_a_key_once_and_it_works(organisation):
    out = StringIO()
    call_command("create_api_key", "acme", "web shop", stdout=out)
    secret = out.getvalue().strip()
    assert len(secret.splitlines()) == 1
    api_key = ApiKey.objects.get(name="web shop")
    assert api_key.organisation == organisation
    response = push(client_with(f"Api-Key {secret}"), [ITEM])
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_the_key_is_stored_hashed(organisation):
    api_key, secret = create_api_key(organisation=organisation, name="crm")
    row = ApiKey.objects.filter(pk=api_key.pk).values().get()
    stored = " ".join(str(value) for value in row.values())
    body = secret.split("_", 2)[2]
    assert secret not in stored
    assert body not in stored
    assert len(row["digest"]) == 64 and row["digest"] != secret


def test_two_keys_are_different(organisation):
    first = create_api_key(organisation=organisation, name="a")[1]
    second = create_api_key(organisation=organisation, name="b")[1]
    assert first != second


def test_the_command_refuses_an_unknown_organisation():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nowhere"):
        call_command("create_api_key", "nowhere", "crm", stdout=StringIO())
    assert ApiKey.objects.count() == 0


def test_a_viewer_with_a_session_can_read_but_not_push(viewer):
    client = APIClient()
    client.force_login(viewer)
    assert client.get("/api/v1/indicators/").status_code == 200
    assert client.get("/api/v1/indicators/quote_time/values/").status_code == 200
    response = push(client, [ITEM])
    assert response.status_code == 403
    assert response.json()["errors"][0]["message"]
    assert Measurement.objects.count() == 0
    response = client.patch("/api/v1/indicators/quote_time/", {"name": "X"}, format="json")
    assert response.status_code == 403


def test_an_analyst_with_a_session_can_push(analyst):
    client = APIClient()
    client.force_login(analyst)
    assert push(client, [ITEM]).json() == {"created": 1, "updated": 0, "unchanged": 0}


def test_a_signed_in_person_without_a_membership_is_forbidden(django_user_model):
    person = django_user_model.objects.create_user(username="stray", password="s3cret-pass!")
    client = APIClient()
    client.force_login(person)
    assert client.get("/api/v1/indicators/").status_code == 403


def test_an_api_key_acts_for_its_own_organisation_only(other_api):
    assert other_api.get("/api/v1/indicators/quote_time/").status_code == 404
