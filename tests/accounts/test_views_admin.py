"""The in-app admin pages: members and roles, API keys shown once and revocable."""

import re

import pytest
from django.urls import reverse

from accounts.models import ApiKey, Membership, Role
from accounts.services import authenticate_api_key, create_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, organisation):
    user = create_user(
        organisation=organisation, username="ada", role=Role.ADMIN, password="s3cret-pass!"
    )
    client.force_login(user)
    return client


def test_admin_adds_a_member_who_can_sign_in(admin_client, organisation, client):
    response = admin_client.post(
        reverse("members"), {"username": "nils", "role": "analyst", "password": "long-enough-pw-1"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(user__username="nils").role == "analyst"


def test_an_existing_username_cannot_be_taken_over(admin_client, other_organisation):
    create_user(organisation=other_organisation, username="eve", password="other-org-pass-1")
    response = admin_client.post(
        reverse("members"), {"username": "eve", "role": "admin", "password": "new-pass-123456"}
    )
    assert "This username is taken" in response.content.decode()
    assert not Membership.objects.filter(user__username="eve", organisation__slug="acme").exists()


def test_admin_changes_a_role_but_never_removes_the_last_admin(admin_client, analyst):
    membership = Membership.objects.get(user=analyst)
    admin_client.post(
        reverse("member-role", args=[membership.pk]), {f"m{membership.pk}-role": "viewer"}
    )
    membership.refresh_from_db()
    assert membership.role == "viewer"
    own = Membership.objects.get(user__username="ada")
    admin_client.post(reverse("member-remove", args=[own.pk]))
    assert Membership.objects.filter(pk=own.pk).exists()


def test_a_new_key_is_shown_once_and_works_until_revoked(admin_client, organisation):
    response = admin_client.post(reverse("api-keys"), {"name": "crm"})
    secret = re.search(r'id="new-key">([^<]+)<', response.content.decode()).group(1)
    assert authenticate_api_key(secret) is not None
    listing = admin_client.get(reverse("api-keys")).content.decode()
    assert secret not in listing
    key = ApiKey.objects.get(name="crm")
    admin_client.post(reverse("api-key-revoke", args=[key.pk]))
    assert authenticate_api_key(secret) is None


def test_another_organisations_key_cannot_be_revoked(admin_client, other_organisation):
    from accounts.services import create_api_key

    key, _secret = create_api_key(organisation=other_organisation, name="theirs")
    assert admin_client.post(reverse("api-key-revoke", args=[key.pk])).status_code == 404
