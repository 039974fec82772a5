"""The initiative page lists the scorecard objectives an initiative serves, by title, with a
link to each and the scorecard and perspective it sits in (the scorecard's label source in
`outcomes.registry`)."""

import re

import pytest
from django.urls import reverse

from outcomes import registry
from outcomes.registry import ObjectiveLabel
from outcomes.services import create_initiative
from scorecard import services
from scorecard.contributions import objective_labels
from scorecard.selectors import objectives_of_initiatives

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def scorecard_sources(monkeypatch):
    """Both of the scorecard's sources registered, whatever the app's ready() holds."""
    monkeypatch.setattr(registry, "_objectives", dict(registry._objectives))
    monkeypatch.setattr(registry, "_labels", dict(registry._labels))
    registry.register_objectives("scorecard.objectives", objectives_of_initiatives)
    registry.register_objective_labels("scorecard.objectives", objective_labels)


@pytest.fixture
def served(organisation):
    """An initiative on two objectives of a public-sector scorecard (its own labels)."""
    quote = create_initiative(organisation=organisation, data={"title": "Instant quote"})
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "City services",
            "preset": "public",
            "perspectives": [
                {
                    "kind": "customer",
                    "objectives": [
                        {"title": "An answer the day I ask", "voice": "I get an answer today."}
                    ],
                },
                {
                    "kind": "internal",
                    "objectives": [
                        {"title": "Price in seconds", "initiatives": [quote]},
                        {"title": "Forms pre-filled", "initiatives": [quote]},
                    ],
                },
            ],
        },
    )
    return quote, scorecard


def objective(scorecard, title):
    return scorecard.perspectives.get(kind="internal").objectives.get(title=title)


def test_the_scorecard_labels_its_objectives_with_title_page_and_place(
    served, django_assert_num_queries
):
    _quote, scorecard = served
    price, forms = (
        objective(scorecard, "Price in seconds"),
        objective(scorecard, "Forms pre-filled"),
    )

    with django_assert_num_queries(1):
        labels = objective_labels([price.pk, forms.pk, 999_999])

    assert labels == {
        price.pk: ObjectiveLabel(
            "Price in seconds",
            reverse("objective-detail", args=[price.pk]),
            "City services · Internal process",
        ),
        forms.pk: ObjectiveLabel(
            "Forms pre-filled",
            reverse("objective-detail", args=[forms.pk]),
            "City services · Internal process",
        ),
    }


def test_the_initiative_page_lists_the_objectives_it_serves_by_title_with_links(
    client, viewer, served
):
    quote, scorecard = served
    price, forms = (
        objective(scorecard, "Price in seconds"),
        objective(scorecard, "Forms pre-filled"),
    )
    client.force_login(viewer)

    html = client.get(reverse("initiative-detail", args=[quote.pk])).content.decode()

    items = re.findall(r'<li data-objective="(\d+)"><a href="([^"]+)">([^<]+)</a>', html)
    assert items == [
        (str(price.pk), reverse("objective-detail", args=[price.pk]), "Price in seconds"),
        (str(forms.pk), reverse("objective-detail", args=[forms.pk]), "Forms pre-filled"),
    ]
    assert html.count("(City services · Internal process)") == 2
    assert "<dt>Objectives it serves</dt><dd>2</dd>" in html
    assert "An answer the day I ask" not in html  # an objective it does not serve


def test_an_initiative_that_serves_no_objective_lists_none(client, viewer, organisation, served):
    other = create_initiative(organisation=organisation, data={"title": "Payment plans"})
    client.force_login(viewer)

    html = client.get(reverse("initiative-detail", args=[other.pk])).content.decode()

    assert 'id="initiative-objectives-title"' not in html and "data-objective=" not in html


def test_the_page_still_names_an_objective_no_source_labels(client, viewer, served, monkeypatch):
    quote, scorecard = served
    monkeypatch.setattr(registry, "_labels", {})
    client.force_login(viewer)

    html = client.get(reverse("initiative-detail", args=[quote.pk])).content.decode()

    price = objective(scorecard, "Price in seconds")
    assert f'<li data-objective="{price.pk}">#{price.pk}</li>' in html
