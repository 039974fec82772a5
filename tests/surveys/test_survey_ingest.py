"""Responses through the generic bulk path: idempotent on (survey, respondent), revisions kept,
skipped answers stored as null, dry runs writing nothing, written respondents fed after commit."""

from datetime import UTC, date, datetime

import pytest

from surveys.models import Response, ResponseRevision
from surveys.services import create_survey, ingest_responses
from surveys.services import feed as feed_module

pytestmark = pytest.mark.django_db(transaction=True)

QUESTIONS = [
    {"code": "nps", "text": "Recommend us?", "type": "nps"},
    {"code": "csat", "text": "Satisfied?", "type": "csat"},
    {"code": "why", "text": "Why?", "type": "text"},
]


@pytest.fixture
def survey(organisation):
    return create_survey(organisation, {"code": "rel", "name": "Rel", "questions": QUESTIONS})


@pytest.fixture
def fed(monkeypatch):
    calls = []
    monkeypatch.setattr(feed_module, "enqueue_feed", lambda sid, who: calls.append((sid, who)))
    return calls


def batch(n, **changed):
    return [
        {
            "respondent": f"r{i}",
            "submitted_at": f"2026-03-{1 + i % 28:02d}T09:30:00+02:00",
            "attributes": {"unit": "north" if i % 2 else "south", "tenure": i % 5},
            "answers": {"nps": i % 11, "csat": 1 + i % 5, "why": None},
            **(changed if i == 0 else {}),
        }
        for i in range(n)
    ]


def counts(result):
    return (result.created, result.updated, result.unchanged)


def test_a_resend_changes_nothing_and_one_changed_item_in_n_updates_one(survey, fed):
    assert counts(ingest_responses(survey=survey, items=batch(20))) == (20, 0, 0)
    assert counts(ingest_responses(survey=survey, items=batch(20))) == (0, 0, 20)
    changed = batch(20, answers={"nps": 10, "csat": 5, "why": "Better now"})
    assert counts(ingest_responses(survey=survey, items=changed)) == (0, 1, 19)
    assert Response.objects.filter(survey=survey).count() == 20
    assert [who for _sid, who in fed] == [[f"r{i}" for i in range(20)], ["r0"]]


def test_a_changed_answer_updates_the_response_and_keeps_the_old_one(survey, fed):
    ingest_responses(survey=survey, items=batch(1))
    ingest_responses(survey=survey, items=batch(1, answers={"nps": 3}))
    response = Response.objects.get(survey=survey, respondent="r0")
    revision = ResponseRevision.objects.get(response=response)
    assert response.answers == {"nps": 3}
    assert revision.answers == {"nps": 0, "csat": 1, "why": None}
    assert revision.attributes == {"unit": "south", "tenure": "0"}


def test_a_changed_attribute_or_time_is_an_update_too(survey, fed):
    ingest_responses(survey=survey, items=batch(2))
    moved = batch(2, submitted_at="2026-03-05T09:30:00Z")
    assert counts(ingest_responses(survey=survey, items=moved)) == (0, 1, 1)
    relabelled = batch(2, submitted_at="2026-03-05T09:30:00Z", attributes={"unit": "east"})
    assert counts(ingest_responses(survey=survey, items=relabelled)) == (0, 1, 1)
    response = Response.objects.get(respondent="r0")
    assert response.submitted_at == datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    assert response.attributes == {"unit": "east"}


def test_skipped_answers_are_stored_as_null(survey, fed):
    items = [
        {"respondent": "r1", "submitted_at": "2026-03-02", "answers": {"nps": None, "csat": 4}}
    ]
    ingest_responses(survey=survey, items=items)
    assert Response.objects.get().answers == {"nps": None, "csat": 4}


def test_numbers_in_attributes_are_kept_as_text_and_nulls_dropped(survey, fed):
    items = [
        {
            "respondent": "r1",
            "submitted_at": "2026-03-02",
            "attributes": {"tenure": 3, "score": 2.5, "round": 4.0, "unit": None, "team": "A"},
        }
    ]
    ingest_responses(survey=survey, items=items)
    assert Response.objects.get().attributes == {
        "tenure": "3",
        "score": "2.5",
        "round": "4",
        "team": "A",
    }


def test_a_bare_date_is_the_start_of_that_day_in_the_organisations_zone(survey, fed):
    ingest_responses(survey=survey, items=[{"respondent": "r1", "submitted_at": "2026-03-02"}])
    response = Response.objects.get()
    # Helsinki is UTC+2 in March.
    assert response.submitted_at == datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
    assert response.local_date == date(2026, 3, 2)


def test_the_local_date_is_the_day_in_the_organisations_zone(survey, fed):
    items = [{"respondent": "r1", "submitted_at": "2026-03-01T23:30:00Z"}]
    ingest_responses(survey=survey, items=items)
    assert Response.objects.get().local_date == date(2026, 3, 2)


def test_a_dry_run_counts_and_writes_nothing(survey, fed):
    assert counts(ingest_responses(survey=survey, items=batch(5), dry_run=True)) == (5, 0, 0)
    assert not Response.objects.exists() and fed == []
    ingest_responses(survey=survey, items=batch(5))
    changed = batch(5, answers={"nps": 10})
    assert counts(ingest_responses(survey=survey, items=changed, dry_run=True)) == (0, 1, 4)
    assert Response.objects.get(respondent="r0").answers["nps"] == 0
    assert not ResponseRevision.objects.exists()


def test_an_unchanged_resend_feeds_nothing(survey, fed):
    ingest_responses(survey=survey, items=batch(3))
    ingest_responses(survey=survey, items=batch(3))
    assert len(fed) == 1


def test_the_fast_path_and_the_full_checker_store_the_same(survey, fed):
    """An item the fast path takes (ints, strings) and one sent to the full checker (a float
    answer 3.0, a numeric attribute) give equal stored values, so a resend is unchanged."""
    fast = {
        "respondent": "r1",
        "submitted_at": "2026-03-02T10:00:00+02:00",
        "attributes": {"tenure": "3"},
        "answers": {"nps": 3},
    }
    full = {
        "respondent": "r1",
        "submitted_at": "2026-03-02T10:00:00+02:00",
        "attributes": {"tenure": 3},
        "answers": {"nps": 3.0},
    }
    ingest_responses(survey=survey, items=[fast])
    assert counts(ingest_responses(survey=survey, items=[full])) == (0, 0, 1)


def test_responses_of_two_surveys_do_not_meet(organisation, survey, fed):
    other = create_survey(organisation, {"code": "other", "name": "O", "questions": QUESTIONS})
    ingest_responses(survey=survey, items=batch(2))
    assert counts(ingest_responses(survey=other, items=batch(2))) == (2, 0, 0)
