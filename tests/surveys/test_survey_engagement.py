"""The engagement report: with and without customer contact, the customer-focus index per unit
beside indicators per unit, checked against scipy on the same numbers worked out here."""

import math
import random
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.urls import reverse
from scipy import stats

from indicators.services import ingest_measurements
from surveys import compute, engagement
from surveys.models import Question, Response, Survey
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
QUESTIONS = [
    # code, type, scale, group
    ("cf_central", "likert", (1, 5), "customer_focus"),
    ("cf_offer", "likert", (1, 5), "customer_focus"),
    ("eng_proud", "likert", (1, 5), "engagement"),
    ("enps", "nps", (0, 10), "engagement"),
]
# Each unit's NPS and profitability in Q1 2026, as the demo sends them (segment unit:<name>).
UNITS = {
    "north": (12.0, 4.1),
    "south": (35.0, 7.9),
    "east": (-5.0, 2.2),
    "west": (20.0, 5.0),
    "central": (41.0, 6.3),
}


def make_survey(organisation, code="pulse", kind="engagement", min_n=5) -> Survey:
    survey = Survey.objects.create(
        organisation=organisation, code=code, name="Staff pulse", kind=kind, min_n=min_n
    )
    for position, (qcode, qtype, (low, high), group) in enumerate(QUESTIONS):
        Question.objects.create(
            survey=survey,
            code=qcode,
            type=qtype,
            text=f"Question {qcode}",
            scale_min=low,
            scale_max=high,
            position=position,
            group=group,
        )
    return survey


def add_responses(survey, rows) -> None:
    """rows: (respondent, submitted_at (aware), attributes, answers)."""
    Response.objects.bulk_create(
        Response(
            survey=survey,
            respondent=respondent,
            submitted_at=at,
            local_date=at.astimezone(HELSINKI).date(),
            attributes=attributes,
            answers=answers,
        )
        for respondent, at, attributes, answers in rows
    )


def generated_rows(units, per_unit=8, seed=7, when=datetime(2026, 2, 10, 9, tzinfo=HELSINKI)):
    """Answers that differ by unit (a unit's level) and by customer contact."""
    rng = random.Random(seed)
    rows = []
    for level, unit in enumerate(units):
        for i in range(per_unit):
            contact = "yes" if i % 2 == 0 else "no"
            lift = 1 if contact == "yes" else 0
            answers = {
                "cf_central": min(5, max(1, rng.randint(1, 3) + level % 3 + lift)),
                "cf_offer": min(5, max(1, rng.randint(2, 4) + (level % 2))),
                "eng_proud": rng.randint(1, 5),
                "enps": min(10, rng.randint(4, 8) + 2 * lift),
            }
            if i == 3:
                answers["cf_offer"] = None  # skipped: not counted
            rows.append((f"{unit}-{i}", when, {"unit": unit, "customer_contact": contact}, answers))
    return rows


def feed_unit_indicator(organisation, code, values_by_unit, django_capture):
    indicator = IndicatorFactory(
        organisation=organisation,
        code=code,
        name=code.upper(),
        kind="kpi",
        direction="higher_is_better",
        aggregation="mean",
        period="month",
        unit="",
    )
    items = [
        {"indicator": code, "observed_at": "2026-02-15", "value": value, "segment": {"unit": unit}}
        for unit, value in values_by_unit.items()
    ]
    with django_capture(execute=True):
        ingest_measurements(organisation=organisation, items=items)
    return indicator


def index_by_hand(rows, unit) -> float:
    """The index as the page defines it: each customer-focus question's mean answer of the
    unit rescaled 0..100 (1 -> 0, 5 -> 100), averaged over the questions."""
    shares = []
    for code in ("cf_central", "cf_offer"):
        answers = [a[code] for _r, _t, attrs, a in rows if attrs["unit"] == unit]
        answers = [x for x in answers if x is not None]
        shares.append(100 * (np.mean(answers) - 1) / 4)
    return float(np.mean(shares))


@pytest.fixture
def report(organisation, django_capture_on_commit_callbacks):
    survey = make_survey(organisation)
    rows = generated_rows(UNITS)
    add_responses(survey, rows)
    feed_unit_indicator(
        organisation, "nps", {u: v[0] for u, v in UNITS.items()}, django_capture_on_commit_callbacks
    )
    feed_unit_indicator(
        organisation,
        "profit_margin",
        {u: v[1] for u, v in UNITS.items()},
        django_capture_on_commit_callbacks,
    )
    return survey, rows


def url_of(survey, **query):
    url = reverse("survey-engagement", args=[survey.code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_each_unit_point_is_the_hand_computed_index_and_the_units_indicator_value(report):
    survey, rows = report
    period = engagement.chosen_period(engagement.report_periods(survey), "quarter:2026-01-01")
    units = engagement.unit_focus(survey, period)
    assert sorted(u.unit for u in units) == sorted(UNITS)
    for unit in units:
        assert unit.index == pytest.approx(index_by_hand(rows, unit.unit), abs=1e-9)
        assert unit.n == 8  # cf_central: everyone answered; cf_offer: one skipped
    nps = next(i for i in engagement.unit_indicators(survey) if i.code == "nps")
    scatter = engagement.scatter(survey, nps, units, period)
    assert {p.unit: p.value for p in scatter.points} == {u: v[0] for u, v in UNITS.items()}


def test_correlation_on_the_page_matches_scipy_pearsonr_on_the_same_points(viewer, client, report):
    survey, rows = report
    xs = [index_by_hand(rows, unit) for unit in sorted(UNITS)]
    ys = [UNITS[unit][1] for unit in sorted(UNITS)]
    expected = stats.pearsonr(xs, ys)
    period = engagement.report_periods(survey)[0]
    units = engagement.unit_focus(survey, period)
    margin = next(i for i in engagement.unit_indicators(survey) if i.code == "profit_margin")
    found = engagement.scatter(survey, margin, units, period).correlation
    assert found.r == pytest.approx(expected.statistic, abs=1e-12)
    assert found.p_value == pytest.approx(expected.pvalue, abs=1e-12)
    assert found.n == 5

    client.force_login(viewer)
    response = client.get(url_of(survey, period="quarter:2026-01-01"))
    assert response.status_code == 200
    body = response.content.decode()
    block = body[body.index('data-indicator="profit_margin"') :]
    shown = re.search(r'class="correlation" data-n="5">Pearson r = (−?[\d.]+), p = ([\d.]+)', block)
    assert shown, block[:800]
    assert float(shown.group(1).replace("−", "-")) == pytest.approx(expected.statistic, abs=0.005)
    assert float(shown.group(2)) == pytest.approx(expected.pvalue, abs=0.0005)


def test_the_default_indicators_are_nps_and_a_profitability_indicator(viewer, client, report):
    survey, _rows = report
    IndicatorFactory(organisation=survey.organisation, code="lead_time")  # no unit segments
    client.force_login(viewer)
    body = client.get(url_of(survey)).content.decode()
    assert 'data-indicator="nps"' in body and 'data-indicator="profit_margin"' in body
    assert 'value="lead_time"' not in body  # only indicators with values per unit are offered
    only_nps = client.get(url_of(survey, indicator="nps")).content.decode()
    assert 'data-indicator="nps"' in only_nps and 'data-indicator="profit_margin"' not in only_nps


def test_fewer_than_ten_units_are_flagged_and_ten_are_not(
    viewer, client, organisation, django_capture_on_commit_callbacks
):
    many = {f"unit{k:02d}": (float(k * 3 - 10), 0.0) for k in range(compute.FEW_POINTS)}
    survey = make_survey(organisation)
    add_responses(survey, generated_rows(many, per_unit=4))
    feed_unit_indicator(
        organisation, "nps", {u: v[0] for u, v in many.items()}, django_capture_on_commit_callbacks
    )
    client.force_login(viewer)
    body = client.get(url_of(survey)).content.decode()
    assert f'data-n="{compute.FEW_POINTS}"' in body
    assert 'class="small-n' not in body

    few = make_survey(organisation, code="small")
    small_units = list(many)[:4]
    add_responses(few, generated_rows(small_units, per_unit=4))
    body = client.get(url_of(few)).content.decode()
    assert 'data-n="4"' in body
    assert 'class="small-n' in body


def welch(a, b):
    """Welch's difference of means with its 95 % interval, written out from the formulas."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    estimate = a.mean() - b.mean()
    return estimate, estimate - half, estimate + half


def test_contact_comparison_matches_welch_and_the_nps_formula(report):
    survey, rows = report
    period = engagement.report_periods(survey)[0]
    groups = engagement.contact_groups(survey)
    assert (groups.with_contact, groups.without_contact) == ("yes", "no")
    found = {
        row.question.code: row for row in engagement.contact_comparison(survey, groups, period)
    }
    assert list(found) == ["cf_central", "cf_offer", "eng_proud", "enps"]

    def answers(code, contact):
        values = [a[code] for _r, _t, attrs, a in rows if attrs["customer_contact"] == contact]
        return [v for v in values if v is not None]

    yes, no = answers("cf_central", "yes"), answers("cf_central", "no")
    estimate, low, high = welch(yes, no)
    row = found["cf_central"]
    assert row.with_contact.score == pytest.approx(np.mean(yes))
    assert row.without_contact.n == len(no)
    assert row.difference.estimate == pytest.approx(estimate)
    assert (row.difference.ci_low, row.difference.ci_high) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    assert row.difference.distinguishable == (low > 0 or high < 0)
    assert row.difference.p_value == pytest.approx(stats.ttest_ind(yes, no, equal_var=False).pvalue)

    def nps(values):
        return 100 * (sum(v >= 9 for v in values) - sum(v <= 6 for v in values)) / len(values)

    e_yes, e_no = answers("enps", "yes"), answers("enps", "no")
    assert found["enps"].with_contact.score == pytest.approx(nps(e_yes))
    assert found["enps"].difference.estimate == pytest.approx(nps(e_yes) - nps(e_no))


def test_the_page_shows_both_scores_the_difference_and_its_reading(viewer, client, report):
    survey, _rows = report
    client.force_login(viewer)
    body = client.get(url_of(survey)).content.decode()
    row = re.search(r'<tr data-question="cf_central">(.*?)</tr>', body, re.S).group(1)
    assert re.search(r'class="num with">[\d.]+ \([\d.]+ to [\d.]+\), n = 20<', row)
    assert re.search(r'class="num difference">[+−]?[\d.]+ \(', row)
    assert 'data-figure="contact-figure-0"' in body  # the likert questions
    assert 'data-figure="contact-figure-1"' in body  # eNPS on its own axis
    assert 'data-figure="scatter-figure-0"' in body


def test_without_contact_answers_or_units_the_page_says_so(viewer, client, organisation):
    survey = make_survey(organisation)
    add_responses(
        survey,
        [
            ("r1", datetime(2026, 2, 1, tzinfo=HELSINKI), {}, {"cf_central": 4, "cf_offer": 3}),
            ("r2", datetime(2026, 2, 2, tzinfo=HELSINKI), {}, {"cf_central": 2, "cf_offer": 5}),
        ],
    )
    client.force_login(viewer)
    response = client.get(url_of(survey))
    assert response.status_code == 200
    assert response.context["contact_rows"] == []
    assert response.context["units"] == []
    assert "engagement-units" not in response.content.decode()


def test_a_survey_without_responses_shows_the_empty_state(viewer, client, organisation):
    survey = make_survey(organisation)
    client.force_login(viewer)
    response = client.get(url_of(survey))
    assert response.status_code == 200
    assert response.context["period"] is None
    assert 'class="card empty"' in response.content.decode()


def test_the_period_choice_limits_responses_and_indicator_values(viewer, client, report):
    survey, _rows = report
    add_responses(
        survey,
        [
            (
                "late",
                datetime(2026, 4, 3, tzinfo=HELSINKI),
                {"unit": "north", "customer_contact": "yes"},
                {"cf_central": 5, "cf_offer": 5},
            )
        ],
    )
    periods = [p.key for p in engagement.report_periods(survey)]
    assert periods == ["quarter:2026-04-01", "quarter:2026-01-01", "year:2026-01-01"]
    client.force_login(viewer)
    latest = client.get(url_of(survey)).context
    assert [row["unit"].unit for row in latest["units"]] == ["north"]
    assert latest["units"][0]["unit"].index == 100
    assert latest["units"][0]["values"] == [None, None]  # no NPS or margin in Q2
    year = client.get(url_of(survey, period="year:2026-01-01")).context
    assert len(year["units"]) == len(UNITS)


def test_another_organisations_survey_and_a_customer_survey_answer_404(
    viewer, client, organisation, other_organisation
):
    theirs = make_survey(other_organisation)
    customer = make_survey(organisation, code="nps-relationship", kind="customer")
    client.force_login(viewer)
    assert client.get(url_of(theirs)).status_code == 404
    assert client.get(url_of(customer)).status_code == 404


def test_the_index_rescales_each_question_and_weighs_them_alike():
    # 3 on 1..5 is half-way (50); 6 on 1..7 is 5/6 of the way (83.3...)
    assert engagement.focus_index([(3.0, (1, 5)), (6.0, (1, 7))]) == pytest.approx(
        (50 + 500 / 6) / 2
    )
    assert engagement.focus_index([]) is None


def test_every_spelling_of_yes_and_no_counts_in_its_group(organisation):
    # 10 "yes", 10 "Yes", 10 "Ja" against 10 "no" and 5 "NEJ": 30 with contact, 15 without.
    survey = make_survey(organisation, code="spelled")
    when = datetime(2026, 2, 10, 9, tzinfo=HELSINKI)
    spellings = {"yes": 10, "Yes": 10, "Ja": 10, "no": 10, "NEJ": 5}
    rows = [
        (f"{value}-{n}", when, {"customer_contact": value, "unit": "A"}, {"eng_proud": 4})
        for value, count in spellings.items()
        for n in range(count)
    ]
    add_responses(survey, rows)
    groups = engagement.contact_groups(survey)
    assert set(groups.yes_values) == {"yes", "Yes", "Ja"} and set(groups.no_values) == {
        "no",
        "NEJ",
    }
    period = engagement.report_periods(survey)[0]
    found = {r.question.code: r for r in engagement.contact_comparison(survey, groups, period)}
    assert (found["eng_proud"].with_contact.n, found["eng_proud"].without_contact.n) == (30, 15)
