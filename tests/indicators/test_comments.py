"""Comments on a period value: the service's rules, the API (keys and sessions, viewers too) and
the indicator page's list and form."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from indicators.models import ValueComment
from indicators.services import add_comment, ingest_measurements, recompute_dirty
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/indicators/claims/comments/"


@pytest.fixture
def claims(organisation):
    indicator = IndicatorFactory(organisation=organisation, code="claims", name="Claims")
    ingest_measurements(
        organisation=organisation,
        items=[
            {"indicator": "claims", "observed_at": f"2026-0{m}-10", "value": 10.0 * m}
            for m in (1, 2, 3)
        ],
    )
    recompute_dirty()
    return indicator


def error_fields(error) -> set[str]:
    return set(error.value.message_dict)


def test_a_comment_is_kept_with_who_and_when(claims, viewer):
    comment = add_comment(
        indicator=claims, period="month", period_start=date(2026, 3, 1),
        author=viewer, text="  Web shop down 3-5 March.  ",
    )  # fmt: skip
    assert (comment.text, comment.author, comment.created_at is not None) == (
        "Web shop down 3-5 March.",
        viewer,
        True,
    )


@pytest.mark.parametrize(
    ("period", "start", "text", "field"),
    [
        ("month", "2026-03-01", "   ", "text"),
        ("month", "2026-03-01", "x" * 2001, "text"),
        ("month", "2026-03-02", "fine", "period_start"),  # not the 1st
        ("week", "2026-03-04", "fine", "period_start"),  # a Wednesday
        ("fortnight", "2026-03-02", "fine", "period"),
    ],
)
def test_a_bad_comment_names_its_field_and_writes_nothing(claims, period, start, text, field):
    with pytest.raises(ValidationError) as error:
        add_comment(
            indicator=claims, period=period, period_start=date.fromisoformat(start), text=text
        )
    assert error_fields(error) == {field}
    assert not ValueComment.objects.exists()


def test_2000_characters_are_allowed(claims):
    add_comment(indicator=claims, period="week", period_start=date(2026, 3, 2), text="x" * 2000)
    assert ValueComment.objects.get().period == "week"


# -- API --------------------------------------------------------------------------------------


def test_an_api_key_client_comments_without_an_author(api, claims):
    response = api.post(
        URL, {"period": "month", "period_start": "2026-03-01", "text": "Outage."}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("period", "period_start", "text", "author")} == {
        "period": "month",
        "period_start": "2026-03-01",
        "text": "Outage.",
        "author": None,
    }
    assert set(body) == {"id", "period", "period_start", "text", "author", "created_at"}


def test_a_viewer_comments_through_the_api_with_a_session(claims, viewer):
    client = APIClient()
    client.force_login(viewer)
    response = client.post(
        URL, {"period": "month", "period_start": "2026-02-01", "text": "Price change."},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["author"] == "ville"


def test_the_list_is_paginated_oldest_period_first_and_filtered(api, claims):
    for start, text in [("2026-03-01", "march"), ("2026-01-01", "january"), ("2026-02-01", "feb")]:
        add_comment(
            indicator=claims, period="month", period_start=date.fromisoformat(start), text=text
        )
    add_comment(indicator=claims, period="week", period_start=date(2026, 3, 2), text="weekly")
    body = api.get(URL).json()
    assert body["count"] == 3 and [c["text"] for c in body["results"]] == [
        "january",
        "feb",
        "march",
    ]
    ranged = api.get(URL, {"from": "2026-02-01", "to": "2026-02-28"}).json()["results"]
    assert [c["text"] for c in ranged] == ["feb"]
    assert [c["text"] for c in api.get(URL, {"period": "week"}).json()["results"]] == ["weekly"]
    assert [c["text"] for c in api.get(URL, {"page_size": 1, "page": 2}).json()["results"]] == [
        "feb"
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "month", "period_start": "2026-03-02", "text": "x"}, "period_start"),
        ({"period": "month", "period_start": "2026-03-01", "text": ""}, "text"),
        ({"period": "month", "period_start": "2026-03-01", "text": 5}, "text"),
        ({"period": "month", "period_start": "2026-03-01", "text": "x" * 2001}, "text"),
        ({"period": "hour", "period_start": "2026-03-01", "text": "x"}, "period"),
        ({"period": "month", "period_start": "01/03/2026", "text": "x"}, "period_start"),
    ],
)
def test_bad_comments_answer_400_naming_the_field(api, claims, body, field):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not ValueComment.objects.exists()


@pytest.mark.parametrize("query", [{"period": "hour"}, {"from": "20260301"}, {"to": ""}])
def test_bad_list_parameters_answer_400(api, claims, query):
    response = api.get(URL, query)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == list(query)


def test_another_organisations_indicator_is_not_found(other_api, claims):
    assert other_api.get(URL).status_code == 404
    body = {"period": "month", "period_start": "2026-03-01", "text": "x"}
    assert other_api.post(URL, body, format="json").status_code == 404


# -- page -------------------------------------------------------------------------------------


def test_a_viewer_comments_on_the_indicator_page_and_sees_it_under_its_period(
    client, viewer, claims
):
    client.force_login(viewer)
    page = client.get(reverse("indicator-detail", args=["claims"])).content.decode()
    assert 'name="period_start"' in page and '<option value="2026-03-01"' in page
    response = client.post(
        reverse("indicator-comment", args=["claims"]),
        {"period": "month", "period_start": "2026-02-01", "text": "Storm on 14 February."},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/indicators/claims/#comments-2026-02-01")
    page = client.get(reverse("indicator-detail", args=["claims"])).content.decode()
    group = page[page.index('id="comments-2026-02-01"') :]
    assert "February 2026" in group[:200] and "Storm on 14 February." in group and "ville" in group
    assert 'href="#comments-2026-02-01"' in page  # the table row links to it


def test_an_empty_comment_on_the_page_is_a_form_error_and_nothing_is_kept(client, viewer, claims):
    client.force_login(viewer)
    response = client.post(
        reverse("indicator-comment", args=["claims"]),
        {"period": "month", "period_start": "2026-02-01", "text": ""},
    )
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not ValueComment.objects.exists()


def test_a_comment_for_a_day_that_starts_no_period_is_refused_on_the_page(client, viewer, claims):
    client.force_login(viewer)
    response = client.post(
        reverse("indicator-comment", args=["claims"]),
        {"period": "month", "period_start": "2026-02-03", "text": "hm"},
    )
    assert response.status_code == 400
    assert "is not the first day of a month" in response.content.decode()
    assert not ValueComment.objects.exists()


def test_the_page_passes_its_periods_comments_to_the_chart(client, viewer, claims, monkeypatch):
    from indicators import charts

    add_comment(indicator=claims, period="month", period_start=date(2026, 1, 1), text="Jan note")
    add_comment(
        indicator=claims, period="month", period_start=date(2026, 3, 1), text="Mar", author=viewer
    )
    add_comment(indicator=claims, period="week", period_start=date(2026, 3, 2), text="weekly")
    seen = {}
    drawn = charts.indicator_figure

    def spy(**kwargs):
        seen.update(kwargs)
        return drawn(**kwargs)

    monkeypatch.setattr(charts, "indicator_figure", spy)
    client.force_login(viewer)
    client.get(reverse("indicator-detail", args=["claims"]))
    assert seen["comments"] == [
        {"period_start": "2026-01-01", "text": "Jan note", "author": None},
        {"period_start": "2026-03-01", "text": "Mar", "author": "ville"},
    ]
