"""Questions that feed indicators: each numeric answer becomes a measurement, so every period's
PeriodValue is the period's score with n as its count.

Expected scores are counted by hand from the answers written in each test (NPS = 100 * (promoters
- detractors) / n over the numeric answers, promoters 9-10, detractors 0-6; CSAT the share of the
top two boxes; CES the plain mean), independently of the feed's own value mapping."""

import statistics
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from indicators.models import Measurement, MeasurementRevision, PeriodValue
from surveys.models import Question, Response, Survey
from surveys.services import feed
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

# January: 5 promoters, 3 passives, 2 detractors, one skipped; February: 2 / 1 / 4.
JANUARY = [10, 9, 9, 10, 9, 8, 7, 7, 3, 6, None]
FEBRUARY = [9, 10, 8, 0, 5, 6, 2]
UNITS = ["north", "south"]


def hand_nps(answers: list) -> tuple[float, int]:
    scored = [a for a in answers if a is not None]
    promoters = sum(1 for a in scored if a >= 9)
    detractors = sum(1 for a in scored if a <= 6)
    return 100 * (promoters - detractors) / len(scored), len(scored)


@pytest.fixture
def survey(organisation):
    survey = Survey.objects.create(organisation=organisation, code="relationship", name="R")
    Question.objects.create(
        survey=survey, code="nps", type="nps", text="?", scale_min=0, scale_max=10
    )
    Question.objects.create(
        survey=survey, code="csat", type="csat", text="?", scale_min=1, scale_max=5
    )
    Question.objects.create(
        survey=survey, code="ces", type="ces", text="?", scale_min=1, scale_max=7
    )
    Question.objects.create(survey=survey, code="why", type="text", text="?")
    return survey


def respond(survey, respondent: str, day: date, answers: dict, **attributes) -> Response:
    """Write (or overwrite) one response, as the responses service would."""
    submitted = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    response, _created = Response.objects.update_or_create(
        survey=survey,
        respondent=respondent,
        defaults={
            "submitted_at": submitted,
            "local_date": day,
            "answers": answers,
            "attributes": attributes,
        },
    )
    return response


@pytest.fixture
def answered(survey):
    """January and February NPS answers, alternating between two units."""
    for month, answers in ((1, JANUARY), (2, FEBRUARY)):
        for i, answer in enumerate(answers):
            respond(
                survey,
                f"m{month}-{i}",
                date(2026, month, 3 + i),
                {"nps": answer},
                unit=UNITS[i % 2],
            )
    return survey


def month_values(indicator, segment: str = "") -> dict[date, tuple[float, int]]:
    rows = PeriodValue.objects.filter(indicator=indicator, period="month", segment=segment)
    return {row.period_start: (row.value, row.count) for row in rows}


def bind(question, indicator, capture, segment_by=()):
    with capture(execute=True):
        feed.bind_question(question, indicator, segment_by)


def refeed(survey, respondents, capture):
    with capture(execute=True):
        feed.enqueue_feed(survey.pk, respondents)


def test_an_nps_binding_gives_each_month_its_nps_with_n_as_the_count(
    answered, organisation, django_capture_on_commit_callbacks
):
    nps = IndicatorFactory(organisation=organisation, code="nps", kind="kpi", aggregation="mean")
    bind(answered.questions.get(code="nps"), nps, django_capture_on_commit_callbacks)

    values = month_values(nps)
    assert values == {
        date(2026, 1, 1): (pytest.approx(hand_nps(JANUARY)[0]), 10),
        date(2026, 2, 1): (pytest.approx(hand_nps(FEBRUARY)[0]), 7),
    }
    assert hand_nps(JANUARY)[0] == 30.0 and hand_nps(FEBRUARY)[0] == pytest.approx(-200 / 7)
    keys = set(Measurement.objects.filter(indicator=nps).values_list("key", flat=True))
    assert "survey:relationship:nps:m1-0" in keys and len(keys) == 17


def test_a_resend_changes_nothing(answered, organisation, django_capture_on_commit_callbacks):
    nps = IndicatorFactory(organisation=organisation, code="nps", kind="kpi", aggregation="mean")
    bind(answered.questions.get(code="nps"), nps, django_capture_on_commit_callbacks)
    before = list(PeriodValue.objects.filter(indicator=nps).order_by("pk").values())
    stamps = list(Measurement.objects.filter(indicator=nps).order_by("pk").values("updated_at"))

    refeed(answered, [f"m1-{i}" for i in range(len(JANUARY))], django_capture_on_commit_callbacks)

    assert list(PeriodValue.objects.filter(indicator=nps).order_by("pk").values()) == before
    assert list(Measurement.objects.filter(indicator=nps).order_by("pk").values("updated_at")) == (
        stamps
    )
    assert not MeasurementRevision.objects.exists()


def test_a_changed_answer_moves_the_value_and_a_null_one_removes_it(
    answered, organisation, django_capture_on_commit_callbacks
):
    nps = IndicatorFactory(organisation=organisation, code="nps", kind="kpi", aggregation="mean")
    bind(answered.questions.get(code="nps"), nps, django_capture_on_commit_callbacks)
    january = list(JANUARY)

    january[0] = 2  # a promoter now detracts
    respond(answered, "m1-0", date(2026, 1, 3), {"nps": 2}, unit="north")
    refeed(answered, ["m1-0"], django_capture_on_commit_callbacks)
    assert month_values(nps)[date(2026, 1, 1)] == (pytest.approx(hand_nps(january)[0]), 10)
    assert hand_nps(january)[0] == 10.0

    january[1] = None  # a promoter skips the question on resending
    respond(answered, "m1-1", date(2026, 1, 4), {"nps": None}, unit="south")
    january[2] = None  # another leaves it out altogether
    respond(answered, "m1-2", date(2026, 1, 5), {}, unit="north")
    refeed(answered, ["m1-1", "m1-2"], django_capture_on_commit_callbacks)
    assert month_values(nps)[date(2026, 1, 1)] == (pytest.approx(hand_nps(january)[0]), 8)
    assert hand_nps(january)[0] == -12.5
    assert not Measurement.objects.filter(key="survey:relationship:nps:m1-1").exists()

    Response.objects.filter(survey=answered, respondent__startswith="m2-").delete()
    refeed(answered, [f"m2-{i}" for i in range(len(FEBRUARY))], django_capture_on_commit_callbacks)
    assert date(2026, 2, 1) not in month_values(nps)  # February lost every answer


def test_a_ratio_binding_gives_the_same_nps_over_n(
    answered, organisation, django_capture_on_commit_callbacks
):
    nps = IndicatorFactory(organisation=organisation, code="nps", kind="kpi", aggregation="ratio")
    bind(answered.questions.get(code="nps"), nps, django_capture_on_commit_callbacks)

    rows = PeriodValue.objects.filter(indicator=nps, period="month", segment="")
    by_month = {row.period_start: row for row in rows}
    january = by_month[date(2026, 1, 1)]
    assert january.value == pytest.approx(hand_nps(JANUARY)[0])
    assert (january.numerator, january.denominator) == (3, 10)  # 5 promoters - 2 detractors
    assert by_month[date(2026, 2, 1)].value == pytest.approx(hand_nps(FEBRUARY)[0])


def test_segment_by_gives_one_series_per_unit(
    answered, organisation, django_capture_on_commit_callbacks
):
    nps = IndicatorFactory(organisation=organisation, code="nps", kind="kpi", aggregation="mean")
    bind(answered.questions.get(code="nps"), nps, django_capture_on_commit_callbacks, ["unit"])

    for position, unit in enumerate(UNITS):
        mine = JANUARY[position::2]
        score, n = hand_nps(mine)
        assert month_values(nps, f"unit:{unit}")[date(2026, 1, 1)] == (pytest.approx(score), n)
    assert month_values(nps)[date(2026, 1, 1)] == (pytest.approx(30.0), 10)


def test_csat_feeds_the_top_two_box_share_and_ces_the_mean(
    survey, organisation, django_capture_on_commit_callbacks
):
    csat_answers, ces_answers = [5, 4, 3, 1, 5, 2, 4, None], [7, 6, 2, 5, 4, 3, 6, 1]
    for i, (csat, ces) in enumerate(zip(csat_answers, ces_answers, strict=True)):
        respond(survey, f"r{i}", date(2026, 3, 2 + i), {"csat": csat, "ces": ces})
    share = IndicatorFactory(organisation=organisation, code="csat", aggregation="mean")
    ratio = IndicatorFactory(organisation=organisation, code="csat_ratio", aggregation="ratio")
    effort = IndicatorFactory(organisation=organisation, code="ces", aggregation="mean")
    bind(survey.questions.get(code="csat"), share, django_capture_on_commit_callbacks)
    bind(survey.questions.get(code="ces"), effort, django_capture_on_commit_callbacks)

    top_two = 100 * 4 / 7  # 5, 4, 5, 4 of the seven answers
    assert month_values(share)[date(2026, 3, 1)] == (pytest.approx(top_two), 7)
    assert month_values(effort)[date(2026, 3, 1)] == (
        pytest.approx(statistics.mean(ces_answers)),
        8,
    )
    bind(survey.questions.get(code="csat"), ratio, django_capture_on_commit_callbacks)
    assert month_values(ratio)[date(2026, 3, 1)] == (pytest.approx(top_two), 7)
    assert not Measurement.objects.filter(indicator=share).exists()  # moved to the new binding


def test_rebinding_moves_the_measurements_and_unbinding_removes_them(
    answered, organisation, django_capture_on_commit_callbacks
):
    first = IndicatorFactory(organisation=organisation, code="nps_a", aggregation="mean")
    second = IndicatorFactory(organisation=organisation, code="nps_b", aggregation="mean")
    question = answered.questions.get(code="nps")
    bind(question, first, django_capture_on_commit_callbacks)
    bind(question, second, django_capture_on_commit_callbacks, ["unit"])

    assert not PeriodValue.objects.filter(indicator=first).exists()
    assert month_values(second)[date(2026, 1, 1)] == (pytest.approx(30.0), 10)
    assert PeriodValue.objects.filter(indicator=second, segment="unit:north").exists()

    bind(question, None, django_capture_on_commit_callbacks)
    assert not Measurement.objects.filter(indicator=second).exists()
    assert not PeriodValue.objects.filter(indicator=second).exists()
    question.refresh_from_db()
    assert (question.indicator, question.segment_by) == (None, [])


def test_a_deleted_indicator_leaves_the_question_unbound(
    answered, organisation, django_capture_on_commit_callbacks
):
    nps = IndicatorFactory(organisation=organisation, code="nps", aggregation="mean")
    question = answered.questions.get(code="nps")
    bind(question, nps, django_capture_on_commit_callbacks)
    nps.delete()
    question.refresh_from_db()
    assert question.indicator is None
    assert feed.feed_indicators(answered.pk, ["m1-0"]) == 0


@pytest.mark.parametrize(
    ("code", "aggregation", "kind"),
    [
        ("why", "mean", "text"),
        ("nps", "sum", "aggregation"),
        ("ces", "ratio", "aggregation"),
    ],
)
def test_a_binding_that_cannot_give_the_score_is_refused(
    survey, organisation, code, aggregation, kind
):
    indicator = IndicatorFactory(organisation=organisation, aggregation=aggregation)
    question = survey.questions.get(code=code)
    with pytest.raises(ValidationError) as refused:
        feed.bind_question(question, indicator)
    assert set(refused.value.message_dict) == {"indicator"}
    question.refresh_from_db()
    assert question.indicator is None


def test_a_binding_to_another_organisations_indicator_or_a_bad_segment_is_refused(
    survey, other_organisation, organisation
):
    question = survey.questions.get(code="nps")
    theirs = IndicatorFactory(organisation=other_organisation, aggregation="mean")
    with pytest.raises(ValidationError) as refused:
        feed.bind_question(question, theirs)
    assert set(refused.value.message_dict) == {"indicator"}
    ours = IndicatorFactory(organisation=organisation, aggregation="mean")
    for segment_by in (["a:b"], [""], ["unit", "unit"], "unit"):
        with pytest.raises(ValidationError) as refused:
            feed.bind_question(question, ours, segment_by)
        assert set(refused.value.message_dict) == {"segment_by"}


def test_keys_stay_within_200_characters():
    short = feed.measurement_key("relationship", "nps", "customer-17")
    assert short == "survey:relationship:nps:customer-17"
    long_a = feed.measurement_key("s" * 50, "q" * 50, "a" * 200)
    long_b = feed.measurement_key("s" * 50, "q" * 50, "a" * 199 + "b")
    assert len(long_a) <= 200 and long_a != long_b
    assert long_a.startswith(feed.key_prefix("s" * 50, "q" * 50))


def test_the_values_of_each_answer():
    assert [feed.measurement_values("nps", (0, 10), "mean", a)["value"] for a in (10, 9, 8, 7, 6, 0)] == [
        100, 100, 0, 0, -100, -100
    ]  # fmt: skip
    assert feed.measurement_values("nps", (0, 10), "ratio", 3) == {
        "numerator": -1.0,
        "denominator": 1.0,
    }
    assert [feed.measurement_values("csat", (1, 5), "mean", a)["value"] for a in (5, 4, 3)] == [
        100, 100, 0
    ]  # fmt: skip
    assert feed.measurement_values("csat", (1, 10), "ratio", 8) == {
        "numerator": 0.0,
        "denominator": 1.0,
    }
    assert feed.measurement_values("likert", (1, 5), "mean", 4) == {"value": 4.0}


def test_a_segment_takes_only_the_attributes_a_response_has():
    attributes = {"unit": "north", "tenure": 3, "empty": "", "role": None}
    assert feed.segment_of(attributes, ["unit", "tenure", "empty", "role", "absent"]) == {
        "unit": "north",
        "tenure": "3",
    }
    assert feed.segment_of({"unit": "x" * 300}, ["unit"]) == {}


def test_deleting_the_survey_removes_what_it_fed(
    answered, organisation, django_capture_on_commit_callbacks
):
    from surveys.services import delete_survey

    nps = IndicatorFactory(organisation=organisation, code="nps", kind="kpi", aggregation="mean")
    other = IndicatorFactory(organisation=organisation, code="calls", aggregation="mean")
    Measurement.objects.create(
        indicator=other, natural_key="k", key="k", observed_at=datetime(2026, 1, 5, tzinfo=UTC),
        local_date=date(2026, 1, 5), value=3.0,
    )  # fmt: skip
    bind(answered.questions.get(code="nps"), nps, django_capture_on_commit_callbacks)
    assert Measurement.objects.filter(indicator=nps).count() == 17

    with django_capture_on_commit_callbacks(execute=True):
        delete_survey(answered)

    assert not Measurement.objects.filter(indicator=nps).exists()
    assert not PeriodValue.objects.filter(indicator=nps).exists()  # no measurements, no row
    assert Measurement.objects.filter(indicator=other).count() == 1
