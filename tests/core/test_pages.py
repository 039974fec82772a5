"""core.pages: the base context under a page's own, and access rules that answer 403 or sign-in."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from core.pages import access_required, page_context


def test_a_page_value_wins_over_the_base_value_of_the_same_name():
    assert page_context({"can_edit": False, "x": 1}, {"can_edit": True}) == {
        "can_edit": True,
        "x": 1,
    }
    assert page_context({"x": 1}) == {"x": 1}


def _view(request):
    return HttpResponse("ok")


def test_access_rule_refusal_is_a_403_with_its_reason(django_user_model, db):
    request = RequestFactory().get("/")
    request.user = django_user_model(username="p")
    with pytest.raises(PermissionDenied, match="not today"):
        access_required(lambda request: "not today")(_view)(request)
    assert access_required(lambda request: None)(_view)(request).content == b"ok"


def test_access_rules_send_anonymous_visitors_to_sign_in():
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    response = access_required(lambda request: None)(_view)(request)
    assert response.status_code == 302 and "next=/somewhere/" in response["Location"]
