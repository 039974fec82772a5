"""Members see their organisation's language until they choose one; anonymous pages follow the
browser."""

import pytest

from accounts.models import Role
from accounts.services import create_organisation, create_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def finnish_member(client):
    organisation = create_organisation(slug="vakuutus", name="Vakuutus Oy", language="fi")
    user = create_user(organisation=organisation, username="aino", role=Role.VIEWER)
    client.force_login(user)
    return client


def home(client, accept_language="en"):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 200
    return response


def test_a_member_of_a_finnish_organisation_sees_finnish_pages(finnish_member):
    response = home(finnish_member, accept_language="en-GB,en;q=0.9")
    assert response["Content-Language"] == "fi"
    assert "Mittarit" in response.content.decode()  # "Indicators" in the main menu
    assert ">Indicators<" not in response.content.decode()


@pytest.mark.parametrize("language, word", [("en", ">Indicators<"), ("sv", "Nyckeltal")])
def test_a_member_who_chose_a_language_sees_it(finnish_member, language, word):
    finnish_member.post("/i18n/setlang/", {"language": language, "next": "/"})
    response = home(finnish_member)
    assert response["Content-Language"] == language
    assert word in response.content.decode()


def test_an_unknown_language_cookie_is_no_choice(finnish_member, settings):
    finnish_member.cookies[settings.LANGUAGE_COOKIE_NAME] = "klingon"
    assert home(finnish_member)["Content-Language"] == "fi"


def test_a_member_of_an_english_organisation_sees_english_whatever_the_browser_says(
    client, organisation, viewer
):
    client.force_login(viewer)
    assert home(client, accept_language="sv")["Content-Language"] == "en"


@pytest.mark.parametrize(
    "accept_language, language, words",
    [
        ("sv", "sv", "Logga in"),
        ("fi-FI,fi;q=0.9", "fi", "Kirjaudu sisään"),
        ("en", "en", "Sign in"),
    ],
)
def test_the_login_page_follows_the_browser_language(client, accept_language, language, words):
    create_organisation(slug="vakuutus", name="Vakuutus Oy", language="fi")
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response["Content-Language"] == language
    assert words in response.content.decode()
