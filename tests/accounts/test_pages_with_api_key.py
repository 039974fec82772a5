"""HTML pages requested with an API key: never a 500, never a membership for the key."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_api_docs_render_for_an_api_key_client(api):
    response = api.get(reverse("api-docs"))
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


@pytest.mark.parametrize("name", ["home", "indicator-list", "deviations"])
def test_pages_for_people_send_an_api_key_client_to_sign_in(api, name):
    response = api.get(reverse(name))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_signed_in_person_with_an_api_key_header_keeps_their_own_page(api, viewer):
    api.force_login(viewer)
    response = api.get(reverse("api-docs"))
    assert response.status_code == 200
    page = api.get(reverse("home"))
    assert page.status_code == 200
    assert page.context["membership"].user == viewer
