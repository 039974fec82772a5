"""Organisations and people are made from the command line for scripted set-ups."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Membership, Organisation

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_organisation_with_time_zone_and_language():
    output = run(
        "create_organisation",
        "kela",
        "Kela Oy",
        "--time-zone",
        "Europe/Helsinki",
        "--language",
        "fi",
    )
    organisation = Organisation.objects.get(slug="kela")
    assert (organisation.name, organisation.time_zone, organisation.language) == (
        "Kela Oy",
        "Europe/Helsinki",
        "fi",
    )
    assert "kela" in output


def test_create_organisation_defaults_to_stockholm_and_english():
    run("create_organisation", "acme", "Acme")
    organisation = Organisation.objects.get(slug="acme")
    assert (organisation.time_zone, organisation.language) == ("Europe/Stockholm", "en")


def test_create_organisation_refuses_an_unknown_time_zone():
    with pytest.raises(CommandError, match="Mars/Olympus"):
        run("create_organisation", "acme", "Acme", "--time-zone", "Mars/Olympus")
    assert not Organisation.objects.exists()


def test_create_organisation_refuses_an_unknown_language():
    with pytest.raises(CommandError):
        run("create_organisation", "acme", "Acme", "--language", "de")
    assert not Organisation.objects.exists()


def test_create_organisation_refuses_a_taken_slug(organisation):
    with pytest.raises(CommandError):
        run("create_organisation", organisation.slug, "Another Acme")
    assert Organisation.objects.count() == 1


def test_create_organisation_refuses_a_bad_slug():
    with pytest.raises(CommandError):
        run("create_organisation", "not a slug!", "Acme")


def test_create_user_gives_a_role_and_a_usable_password(organisation, client):
    output = run("create_user", "acme", "maria", "--role", "analyst", "--password", "Pa55-word!")
    membership = Membership.objects.get(user__username="maria")
    assert (membership.organisation, membership.role) == (organisation, "analyst")
    assert "maria" in output and "analyst" in output
    assert client.login(username="maria", password="Pa55-word!")


def test_create_user_without_password_cannot_log_in(organisation):
    run("create_user", "acme", "robot", "--role", "viewer")
    assert not get_user_model().objects.get(username="robot").has_usable_password()


def test_create_user_again_changes_the_role(organisation):
    run("create_user", "acme", "maria", "--role", "viewer")
    run("create_user", "acme", "maria", "--role", "admin")
    assert Membership.objects.get(user__username="maria").role == "admin"
    assert get_user_model().objects.filter(username="maria").count() == 1


def test_create_user_refuses_an_unknown_organisation():
    with pytest.raises(CommandError, match="nowhere"):
        run("create_user", "nowhere", "maria", "--role", "viewer")
    assert not get_user_model().objects.filter(username="maria").exists()


def test_create_user_refuses_an_unknown_role(organisation):
    with pytest.raises(CommandError):
        run("create_user", "acme", "maria", "--role", "overlord")
    assert not get_user_model().objects.filter(username="maria").exists()
