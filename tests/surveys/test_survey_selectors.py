"""The survey reads: answers counted in the database, results overall and per segment, periods,
background variables and the response browser's filters."""

from datetime import date

import numpy as np
import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from surveys import selectors
from surveys.models import Question
from tests.surveys.survey_data import make_responses, make_survey, rows_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(organisation):
    return make_survey(organisation)


def question(survey, code) -> Question:
    return survey.questions.get(code=code)


def nps_of(values) -> float:
    values = np.asarray(values)
    return 100 * (np.mean(values >= 9) - np.mean(values <= 6))


def test_only_numeric_answers_are_counted(survey):
    make_responses(
        survey,
        [
            {"answers": {"nps": 9}},
            {"answers": {"nps": 9.0}},
            {"answers": {"nps": 3}},
            {"answers": {"nps": None}},  # skipped: not a zero
            {"answers": {"nps": "7"}},  # text
            {"answers": {"nps": True}},
            {"answers": {"csat": 4}},  # did not get the question
            {"answers": {"nps": 11}},  # off the scale
        ],
    )
    assert selectors.answer_counts(survey, question(survey, "nps")) == {None: {9: 2, 3: 1}}


def test_counts_are_cut_by_an_attribute_as_text(survey):
    make_responses(
        survey,
        [
            {"answers": {"nps": 10}, "attributes": {"unit": "north"}},
            {"answers": {"nps": 10}, "attributes": {"unit": "north"}},
            {"answers": {"nps": 4}, "attributes": {"unit": "south"}},
            {"answers": {"nps": None}, "attributes": {"unit": "east"}},
            {"answers": {"nps": 8}, "attributes": {"tenure": "3"}},  # no unit: overall only
            {"answers": {"nps": 7}, "attributes": {"unit": "12"}},
        ],
    )
    counts = selectors.answer_counts(survey, question(survey, "nps"), by="unit")
    assert counts == {
        None: {10: 2, 4: 1, 8: 1, 7: 1},
        "north": {10: 2},
        "south": {4: 1},
        "12": {7: 1},
    }


def test_counts_take_local_dates_inclusive(survey):
    rows = [
        {"answers": {"ces": point}, "local_date": date(2026, 3, day)}
        for day, point in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]
    ]
    make_responses(survey, rows)
    ces = question(survey, "ces")
    found = selectors.answer_counts(survey, ces, start=date(2026, 3, 2), end=date(2026, 3, 4))
    assert found == {None: {2: 1, 3: 1, 4: 1}}
    assert selectors.answer_counts(survey, ces, start=date(2026, 3, 5)) == {None: {5: 1}}
    assert selectors.answer_counts(survey, ces, end=date(2026, 3, 1)) == {None: {1: 1}}


def test_answer_counts_is_one_query(survey):
    make_responses(survey, rows_of("nps", [1, 9, 10], attributes={"unit": "a"}))
    nps = question(survey, "nps")
    with CaptureQueriesContext(connection) as queries:
        selectors.answer_counts(survey, nps, by="unit")
    assert len(queries) == 1
    assert "GROUP BY" in queries[0]["sql"]


# North: 12 promoters, 5 passives, 3 detractors; south: 6, 10, 24 (the largest, the reference).
NORTH = [10] * 7 + [9] * 5 + [8] * 3 + [7] * 2 + [6, 2, 0]
SOUTH = [10] * 2 + [9] * 4 + [8] * 6 + [7] * 4 + [6] * 10 + [3] * 8 + [0] * 6


@pytest.fixture
def cut(survey):
    make_responses(
        survey,
        rows_of("nps", NORTH, attributes={"unit": "north"})
        + rows_of("nps", SOUTH, attributes={"unit": "south"})
        + rows_of("nps", [None] * 7, attributes={"unit": "north"}),
    )
    return survey


def test_question_results_score_overall_and_per_segment(cut):
    results = selectors.question_results(cut, question(cut, "nps"), by="unit")
    assert results.overall.n == len(NORTH) + len(SOUTH)  # the skipped answers are not in n
    assert results.overall.score == pytest.approx(nps_of(NORTH + SOUTH))
    assert [name for name, _ in results.segments] == ["north", "south"]
    north, south = (score for _, score in results.segments)
    assert (north.n, north.score) == (20, pytest.approx(nps_of(NORTH)))
    assert (south.n, south.score) == (40, pytest.approx(nps_of(SOUTH)))
    assert north.too_few is True and south.too_few is False  # min_n 30


def test_segments_differ_from_the_largest_segment_by_default(cut):
    results = selectors.question_results(cut, question(cut, "nps"), by="unit")
    assert results.reference == "south"
    differences = dict(results.differences)
    assert differences["south"] is None
    assert differences["north"].estimate == pytest.approx(nps_of(NORTH) - nps_of(SOUTH))
    assert (differences["north"].n_a, differences["north"].n_b) == (20, 40)
    assert differences["north"].distinguishable is True


def test_segments_differ_from_a_chosen_reference(cut):
    results = selectors.question_results(cut, question(cut, "nps"), by="unit", reference="north")
    differences = dict(results.differences)
    assert differences["north"] is None
    assert differences["south"].estimate == pytest.approx(nps_of(SOUTH) - nps_of(NORTH))


def test_a_reference_no_answer_has_falls_back_to_the_largest_segment(cut):
    # The answer says which segment the differences are to: here south, the largest.
    results = selectors.question_results(cut, question(cut, "nps"), by="unit", reference="west")
    assert results.reference == "south"
    assert dict(results.differences)["south"] is None
    assert dict(results.differences)["north"].estimate == pytest.approx(
        nps_of(NORTH) - nps_of(SOUTH)
    )


def test_segments_are_in_natural_order(survey):
    units = ["unit 10", "unit 2", "Unit 1", "unit 2b"]
    make_responses(survey, [{"answers": {"nps": 9}, "attributes": {"unit": u}} for u in units])
    results = selectors.question_results(survey, question(survey, "nps"), by="unit")
    assert [name for name, _ in results.segments] == ["Unit 1", "unit 2", "unit 2b", "unit 10"]


@pytest.mark.parametrize(("n", "min_n", "too_few"), [(29, 30, True), (30, 30, False), (9, 10, True), (10, 10, False)])  # fmt: skip
def test_too_few_answers_by_the_surveys_minimum_n(organisation, n, min_n, too_few):
    survey = make_survey(organisation, min_n=min_n)
    make_responses(survey, rows_of("csat", [5] * n) + rows_of("csat", [None] * 5))
    results = selectors.question_results(survey, question(survey, "csat"))
    assert (results.overall.n, results.overall.too_few, results.min_n) == (n, too_few, min_n)
    assert results.overall.score == 100


def test_as_dict_is_the_api_answer(cut):
    answer = selectors.question_results(cut, question(cut, "nps"), by="unit").as_dict()
    assert set(answer) == {"question", "type", "overall", "segments", "reference", "min_n"}
    assert (answer["question"], answer["type"], answer["reference"]) == ("nps", "nps", "south")
    assert "type" not in answer["overall"]
    assert answer["overall"]["distribution"][10] == {"value": 10, "count": 9}
    north, south = answer["segments"]
    assert north["segment"] == "north" and south["difference"] is None
    assert set(north["difference"]) == {
        "estimate", "ci_low", "ci_high", "p_value", "distinguishable", "n_a", "n_b"
    }  # fmt: skip


def test_survey_results_agree_with_each_questions_results(survey):
    rng = np.random.default_rng(7)
    rows = [
        {
            "answers": {
                "nps": int(rng.integers(0, 11)),
                "csat": int(rng.integers(1, 6)),
                "ces": None if i % 5 == 0 else int(rng.integers(1, 8)),
                "team": int(rng.integers(1, 6)),
                "why": "because",
            },
            "attributes": {"unit": f"unit {i % 3}"},
        }
        for i in range(90)
    ]
    make_responses(survey, rows)
    together = selectors.survey_results(survey, by="unit")
    assert [r.question.code for r in together] == ["nps", "csat", "ces", "team"]
    for results in together:
        alone = selectors.question_results(survey, results.question, by="unit")
        assert results.as_dict() == alone.as_dict()
    assert together[2].overall.n == 72


def test_period_difference_is_the_first_minus_the_second(survey):
    march = rows_of("ces", [6, 7, 7, 5, 6, 7], local_date=date(2026, 3, 10))
    february = rows_of("ces", [3, 4, 2, 4, 3, 5, 4], local_date=date(2026, 2, 10))
    make_responses(survey, march + february)
    found = selectors.period_difference(
        survey,
        question(survey, "ces"),
        first=(date(2026, 3, 1), date(2026, 3, 31)),
        second=(date(2026, 2, 1), date(2026, 2, 28)),
    )
    assert found.estimate == pytest.approx(
        np.mean([6, 7, 7, 5, 6, 7]) - np.mean([3, 4, 2, 4, 3, 5, 4])
    )
    assert (found.n_a, found.n_b) == (6, 7)
    comparison = selectors.period_comparison(
        survey,
        question(survey, "ces"),
        first=(date(2026, 3, 1), None),
        second=(None, date(2026, 2, 28)),
    )
    assert (comparison.first.n, comparison.second.n) == (6, 7)


def test_a_period_difference_of_one_segment(survey):
    rows = rows_of("nps", [10, 10, 9], attributes={"unit": "a"}, local_date=date(2026, 3, 1))
    rows += rows_of("nps", [0, 0, 9], attributes={"unit": "a"}, local_date=date(2026, 2, 1))
    rows += rows_of("nps", [0, 0, 0], attributes={"unit": "b"}, local_date=date(2026, 3, 1))
    make_responses(survey, rows)
    march, february = (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 1), date(2026, 2, 28))
    found = selectors.period_difference(
        survey, question(survey, "nps"), first=march, second=february, by="unit", segment="a"
    )
    assert found.estimate == pytest.approx(100 - nps_of([0, 0, 9]))


MANY_SQL = {
    # One INSERT ... SELECT per database: 100,000 rows in about a second, not a bulk_create.
    "postgresql": """
        INSERT INTO surveys_response
            (survey_id, respondent, submitted_at, local_date, attributes, answers,
             created_at, updated_at)
        SELECT %s, 'p' || i, now(), DATE '2026-03-02',
               jsonb_build_object('unit', 'u' || mod(i, 4)),
               jsonb_build_object('nps', mod(i, 11), 'csat', 1 + mod(i, 5), 'ces', 1 + mod(i, 7),
                                  'team', NULL),
               now(), now()
        FROM generate_series(0, %s - 1) AS i
    """,
    "sqlite": """
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %s)
        INSERT INTO surveys_response
            (survey_id, respondent, submitted_at, local_date, attributes, answers,
             created_at, updated_at)
        SELECT %s, 'p' || i, '2026-03-02 12:00:00', '2026-03-02', json_object('unit', 'u' || i % 4),
               json_object('nps', i % 11, 'csat', 1 + i % 5, 'ces', 1 + i % 7, 'team', NULL),
               '2026-03-02 12:00:00', '2026-03-02 12:00:00'
        FROM n
    """,
}


def make_many(survey, size: int) -> None:
    """`size` responses: nps i % 11, csat 1 + i % 5, ces 1 + i % 7, team skipped, unit u0..u3."""
    sql = MANY_SQL[connection.vendor]
    params = [survey.pk, size] if connection.vendor == "postgresql" else [size, survey.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def queries_of(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def test_the_query_count_of_results_does_not_grow_with_the_responses(organisation):
    small, large = make_survey(organisation, code="small"), make_survey(organisation, code="large")
    make_many(small, 100)
    make_many(large, 100_000)  # the figure
    counted = {}
    for code in ("small", "large"):
        survey = selectors.survey_of(organisation, code)  # its questions prefetched
        nps = question(survey, "nps")
        counted[code] = (
            queries_of(lambda s=survey, q=nps: selectors.question_results(s, q, by="unit")),
            queries_of(lambda s=survey: selectors.survey_results(s, by="unit")),
            queries_of(lambda s=survey: selectors.survey_results(s)),
        )
    assert counted["small"] == counted["large"] == (1, 1, 1)
    results = {r.question.code: r.overall for r in selectors.survey_results(large)}
    answers = [i % 11 for i in range(100_000)]
    promoters = sum(a >= 9 for a in answers)
    detractors = sum(a <= 6 for a in answers)
    assert results["nps"].n == 100_000
    assert results["nps"].score == pytest.approx(100 * (promoters - detractors) / 100_000)
    assert results["team"].n == 0  # every answer skipped (null): none counted


def test_surveys_of_counts_responses(organisation, other_organisation):
    survey = make_survey(organisation)
    make_survey(organisation, code="empty")
    make_survey(other_organisation, code="theirs")
    make_responses(survey, rows_of("nps", [1, 2, 3]))
    found = {s.code: s for s in selectors.surveys_of(organisation)}
    assert set(found) == {"rel", "empty"}
    assert (found["rel"].response_count, found["empty"].response_count) == (3, 0)
    assert found["rel"].last_submitted is not None and found["empty"].last_submitted is None


def test_survey_of_another_organisation_is_not_found(organisation, other_organisation):
    make_survey(other_organisation, code="theirs")
    with pytest.raises(Http404):
        selectors.survey_of(organisation, "theirs")
    survey = make_survey(organisation, code="ours")
    found = selectors.survey_of(organisation, "ours")
    assert found == survey
    with CaptureQueriesContext(connection) as queries:
        codes = [q.code for q in found.questions.all()]
    assert codes == ["nps", "csat", "ces", "team", "why"] and len(queries) == 0


def test_attribute_names_and_values(survey):
    make_responses(
        survey,
        [
            {"answers": {}, "attributes": {"unit": "unit 10", "customer_contact": "yes"}},
            {"answers": {}, "attributes": {"unit": "unit 9", "tenure": "3"}},
            {"answers": {}, "attributes": {"unit": "unit 9"}},
        ],
    )
    assert selectors.attribute_names(survey) == ["customer_contact", "tenure", "unit"]
    assert selectors.attribute_values(survey, "unit") == ["unit 9", "unit 10"]
    assert selectors.attribute_values(survey, "tenure") == ["3"]
    assert selectors.attribute_values(survey, "missing") == []


def test_the_response_browser_filters(survey):
    make_responses(
        survey,
        [
            {"answers": {}, "attributes": {"unit": "a"}, "respondent": "anna@example.com"},
            {"answers": {}, "attributes": {"unit": "b"}, "respondent": "bert@example.com"},
            {
                "answers": {},
                "attributes": {"unit": "a"},
                "respondent": "carl@example.com",
                "local_date": date(2026, 1, 5),
            },
        ],
    )

    def respondents(**filters):
        return [r.respondent for r in selectors.response_page_queryset(survey, **filters)]

    # Newest first; the same moment: the one stored last first.
    assert respondents() == ["bert@example.com", "anna@example.com", "carl@example.com"]
    assert respondents(attribute="unit", value="a") == ["anna@example.com", "carl@example.com"]
    assert respondents(start=date(2026, 3, 1)) == ["bert@example.com", "anna@example.com"]
    assert respondents(end=date(2026, 2, 1)) == ["carl@example.com"]
    assert respondents(respondent="BERT") == ["bert@example.com"]
