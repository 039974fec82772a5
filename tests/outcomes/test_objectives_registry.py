"""The objectives registry: apps above `outcomes` say which objectives an initiative serves."""

import pytest

from outcomes import registry
from outcomes.registry import objectives_of, register_objectives, unregister_objectives


@pytest.fixture(autouse=True)
def no_installed_sources(monkeypatch):
    """The registry as the lower app sees it: without the scorecard's own source."""
    monkeypatch.setattr(registry, "_objectives", {})


@pytest.fixture
def sources():
    names = []

    def register(name, mapping):
        """A source that answers with all it knows, asked or not."""
        names.append(name)
        register_objectives(name, lambda ids: mapping)

    yield register
    for name in names:
        unregister_objectives(name)


def test_without_a_source_every_initiative_serves_no_objective():
    found = objectives_of([1, 2])

    assert found[1] == [] and found[2] == []


def test_one_source_answers_for_the_initiatives_asked_about(sources):
    sources("tests.scorecard", {1: [10, 11], 2: [12], 3: [13]})

    found = objectives_of([1, 2])

    assert dict(found) == {1: [10, 11], 2: [12]}


def test_every_source_adds_its_objectives_each_objective_once(sources):
    sources("tests.scorecard", {1: [10, 10]})
    sources("tests.okrs", {1: [20, 10], 2: [21]})

    assert dict(objectives_of([1, 2])) == {1: [10, 20], 2: [21]}


def test_registering_a_name_again_replaces_its_source(sources):
    sources("tests.scorecard", {1: [10]})
    sources("tests.scorecard", {1: [99]})

    assert dict(objectives_of([1])) == {1: [99]}


def test_no_initiative_asks_no_source(sources):
    asked = []
    register_objectives("tests.spy", lambda ids: asked.append(ids) or {})
    try:
        assert dict(objectives_of([])) == {}
        assert dict(objectives_of(iter([5]))) == {}
    finally:
        unregister_objectives("tests.spy")

    assert asked == [[5]]
