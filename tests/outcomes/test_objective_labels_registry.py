"""The objective-labels registry: apps above `outcomes` name and link the objectives an
initiative serves, so its page lists them by title."""

import pytest

from outcomes import registry
from outcomes.registry import (
    ObjectiveLabel,
    objective_labels,
    register_objective_labels,
    unregister_objective_labels,
)


@pytest.fixture(autouse=True)
def no_installed_sources(monkeypatch):
    """The registry as the lower app sees it: without any installed source."""
    monkeypatch.setattr(registry, "_labels", {})


def source(mapping, asked=None):
    """A source that answers with all it knows, asked or not, and notes what it was asked."""

    def labels_of(ids):
        if asked is not None:
            asked.append(list(ids))
        return {pk: ObjectiveLabel(*label) for pk, label in mapping.items()}

    return labels_of


def test_without_a_source_each_objective_is_named_by_its_id_without_a_link():
    assert objective_labels([7, 3]) == [
        (7, ObjectiveLabel("#7", "", "")),
        (3, ObjectiveLabel("#3", "", "")),
    ]


def test_a_source_labels_the_ids_asked_about_in_their_order_each_once():
    register_objective_labels(
        "tests.scorecard",
        source({1: ("One", "/o/1/", "Card · Customer"), 2: ("Two", "/o/2/"), 9: ("Nine",)}),
    )

    found = objective_labels([2, 1, 2])

    assert found == [
        (2, ObjectiveLabel("Two", "/o/2/", "")),
        (1, ObjectiveLabel("One", "/o/1/", "Card · Customer")),
    ]


def test_the_first_source_that_knows_an_objective_wins_and_later_ones_hear_only_the_rest():
    first, second = [], []
    register_objective_labels("tests.scorecard", source({1: ("Card one",)}, first))
    register_objective_labels("tests.okrs", source({1: ("OKR one",), 2: ("OKR two",)}, second))

    found = dict(objective_labels([1, 2, 3]))

    assert (found[1].title, found[2].title, found[3].title) == ("Card one", "OKR two", "#3")
    assert (first, second) == ([[1, 2, 3]], [[2, 3]])


def test_registering_a_name_again_replaces_its_source_and_unregistering_removes_it():
    register_objective_labels("tests.scorecard", source({1: ("Old",)}))
    register_objective_labels("tests.scorecard", source({1: ("New",)}))
    assert objective_labels([1])[0][1].title == "New"

    unregister_objective_labels("tests.scorecard")
    unregister_objective_labels("tests.never-registered")

    assert objective_labels([1])[0][1].title == "#1"


def test_no_objective_asks_no_source_and_a_fully_labelled_list_stops_early():
    first, second = [], []
    register_objective_labels("tests.first", source({5: ("Five",)}, first))
    register_objective_labels("tests.second", source({}, second))

    assert objective_labels([]) == []
    assert objective_labels(iter([5]))[0][1].title == "Five"

    assert (first, second) == ([[5]], [])
