"""Writes of hypotheses and experiments: validation names the field and writes nothing; what is
written carries evidence computed from the stored series (checked against scipy directly)."""

from datetime import date, timedelta

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from cpi import selectors
from cpi.compute import correlation
from cpi.compute.series import indexed
from cpi.models import Experiment, Hypothesis
from cpi.services import (
    create_experiment,
    create_hypothesis,
    delete_experiment,
    minimum_detectable_effect,
    update_experiment,
    update_hypothesis,
)
from indicators import selectors as indicator_selectors
from indicators.services import ingest_measurements
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

RNG = np.random.default_rng(42)
QUOTE = [float(v) for v in RNG.normal(60, 15, 24)]  # fast-quote seconds, 24 months
# New customers follow the quote time of the month before: faster quotes, more customers.
CUSTOMERS = [200.0] + [
    float(400 - 3 * q + e) for q, e in zip(QUOTE[:-1], RNG.normal(0, 8, 23), strict=True)
]


def month(i: int) -> date:
    return date(2024 + i // 12, i % 12 + 1, 15)


@pytest.fixture
def store(django_capture_on_commit_callbacks):
    """Ingest items and run what the commit enqueues (the recompute, then the hooks)."""

    def run(organisation, items):
        with django_capture_on_commit_callbacks(execute=True):
            ingest_measurements(organisation=organisation, items=items)

    return run


@pytest.fixture
def series(organisation, store):
    quote = IndicatorFactory(organisation=organisation, code="fast_quote", kind="cpi")
    customers = IndicatorFactory(
        organisation=organisation,
        code="new_customers",
        kind="kpi",
        direction="higher_is_better",
        aggregation="sum",
    )
    items = [
        {"indicator": "fast_quote", "observed_at": month(i).isoformat(), "value": v}
        for i, v in enumerate(QUOTE)
    ] + [
        {"indicator": "new_customers", "observed_at": month(i).isoformat(), "value": v}
        for i, v in enumerate(CUSTOMERS)
    ]
    store(organisation, items)
    return quote, customers


def data(cause, effect, **extra):
    return {"cause": cause, "effect": effect, "expected_sign": "negative", "max_lag": 3, **extra}


def test_a_new_hypothesis_has_evidence_from_the_stored_series(organisation, series):
    quote, customers = series
    hypothesis = create_hypothesis(organisation=organisation, data=data(quote, customers))

    lag1 = stats.pearsonr(QUOTE[:-1], CUSTOMERS[1:])
    assert hypothesis.evidence["best_lag"] == 1
    assert hypothesis.evidence["n"] == 23
    assert hypothesis.evidence["r"] == pytest.approx(lag1.statistic, abs=1e-9)
    assert hypothesis.evidence["p_value"] == pytest.approx(lag1.pvalue, rel=1e-6)
    assert len(hypothesis.evidence["lags"]) == 4
    assert (hypothesis.status, hypothesis.status_source) == ("supported", "correlation")
    assert hypothesis.evidence_differenced["lags"][0]["n"] == 23
    assert hypothesis.granger["lag"] == 1 and hypothesis.granger["p_value"] < 0.05
    assert hypothesis.forecast["lag"] == 1 and len(hypothesis.forecast["points"]) == 1
    assert hypothesis.forecast["points"][0]["period_start"] == "2026-01-01"
    assert hypothesis.backtest["origins"] == 23 - 6  # 23 pairs at lag 1, 6 to fit first
    assert hypothesis.computed_at is not None and hypothesis.wanted_at is None
    # The stored blocks are what the compute gives on the same series.
    found = selectors.series_of(hypothesis)
    xs, ys = indexed(found["cause"], "month"), indexed(found["effect"], "month")
    assert hypothesis.evidence == correlation.evidence(xs, ys, 3)


def test_a_hypothesis_without_data_is_proposed(organisation):
    cause = IndicatorFactory(organisation=organisation, code="a")
    effect = IndicatorFactory(organisation=organisation, code="b", kind="kpi")
    hypothesis = create_hypothesis(organisation=organisation, data=data(cause, effect))
    assert (hypothesis.status, hypothesis.status_source) == ("proposed", "none")
    assert hypothesis.evidence["r"] is None and hypothesis.granger is None
    assert hypothesis.forecast is None and hypothesis.backtest is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"effect": "cause"}, "effect"),
        ({"cause": "other"}, "cause"),
        ({"effect": "other"}, "effect"),
        ({"cause": None}, "cause"),
        ({"cause": "fast_quote"}, "cause"),  # a code, not an indicator
        ({"max_lag": -1}, "max_lag"),
        ({"max_lag": 25}, "max_lag"),
        ({"max_lag": True}, "max_lag"),
        ({"max_lag": "3"}, "max_lag"),
        ({"max_lag": 2.5}, "max_lag"),
        ({"expected_sign": "up"}, "expected_sign"),
        ({"expected_sign": None}, "expected_sign"),
        ({"period": "fortnight"}, "period"),
        ({"statement": None}, "statement"),
    ],
)
def test_bad_hypotheses_name_the_field_and_write_nothing(
    organisation, other_organisation, change, field
):
    cause = IndicatorFactory(organisation=organisation, code="fast_quote")
    effect = IndicatorFactory(organisation=organisation, code="new_customers", kind="kpi")
    other = IndicatorFactory(organisation=other_organisation, code="theirs")
    named = {"cause": cause, "other": other}
    payload = data(cause, effect)
    for name, value in change.items():
        payload[name] = named.get(value, value) if name in ("cause", "effect") else value
    with pytest.raises(ValidationError) as caught:
        create_hypothesis(organisation=organisation, data=payload)
    assert field in caught.value.message_dict
    assert Hypothesis.objects.count() == 0


def test_max_lag_0_and_24_are_accepted(organisation):
    cause = IndicatorFactory(organisation=organisation, code="fast_quote")
    effect = IndicatorFactory(organisation=organisation, code="new_customers", kind="kpi")
    assert create_hypothesis(organisation=organisation, data=data(cause, effect, max_lag=0))
    h = create_hypothesis(
        organisation=organisation, data=data(cause, effect, max_lag=24, period="week")
    )
    assert len(h.evidence["lags"]) == 25


def test_a_duplicate_arrow_is_refused_but_another_period_is_not(organisation):
    cause = IndicatorFactory(organisation=organisation, code="fast_quote")
    effect = IndicatorFactory(organisation=organisation, code="new_customers", kind="kpi")
    create_hypothesis(organisation=organisation, data=data(cause, effect))
    with pytest.raises(ValidationError) as caught:
        create_hypothesis(organisation=organisation, data=data(cause, effect, max_lag=1))
    assert "exists already" in caught.value.message_dict["effect"][0]
    create_hypothesis(organisation=organisation, data=data(cause, effect, period="quarter"))
    # The reverse arrow is another hypothesis.
    create_hypothesis(organisation=organisation, data=data(effect, cause))
    assert Hypothesis.objects.count() == 3


def test_an_update_recomputes_and_a_bad_one_changes_nothing(organisation, series):
    quote, customers = series
    hypothesis = create_hypothesis(organisation=organisation, data=data(quote, customers))
    updated = update_hypothesis(hypothesis=hypothesis, data={"max_lag": 0})
    assert updated.evidence["best_lag"] == 0 and len(updated.evidence["lags"]) == 1
    assert updated.forecast is None

    with pytest.raises(ValidationError):
        update_hypothesis(hypothesis=updated, data={"max_lag": 30, "expected_sign": "positive"})
    assert (updated.max_lag, updated.expected_sign) == (0, "negative")  # the object too
    updated.refresh_from_db()
    assert (updated.max_lag, updated.expected_sign) == (0, "negative")


# --- experiments ------------------------------------------------------------------------------

CONTROL = [41.0, 38.5, 44.2, 40.1, 39.7, 43.3, 42.0, 37.9]
TREATMENT = [33.1, 35.4, 30.9, 36.2, 31.8, 34.0, 32.7]


@pytest.fixture
def arms(organisation, store):
    """Quote time by arm in January 2026, and a ratio indicator (quotes accepted) by arm."""
    quote = IndicatorFactory(organisation=organisation, code="fast_quote", kind="cpi")
    customers = IndicatorFactory(
        organisation=organisation, code="new_customers", kind="kpi", direction="higher_is_better"
    )
    accepted = IndicatorFactory(
        organisation=organisation,
        code="accepted",
        kind="kpi",
        aggregation="ratio",
        unit="%",
        direction="higher_is_better",
    )
    start = date(2026, 1, 5)
    items = []
    for arm, values in (("control", CONTROL), ("fast-quote", TREATMENT)):
        for i, v in enumerate(values):
            day = (start + timedelta(days=i)).isoformat()
            items.append(
                {"indicator": "fast_quote", "observed_at": day, "value": v, "segment": {"arm": arm}}
            )
    for arm, parts in (("control", [(30, 100), (28, 90)]), ("fast-quote", [(45, 110), (41, 95)])):
        for i, (num, den) in enumerate(parts):
            day = (start + timedelta(days=i)).isoformat()
            items.append(
                {
                    "indicator": "accepted",
                    "observed_at": day,
                    "numerator": num,
                    "denominator": den,
                    "segment": {"arm": arm},
                }
            )
    # Outside the window: must not count.
    items.append(
        {
            "indicator": "fast_quote",
            "observed_at": "2026-02-20",
            "value": 500.0,
            "segment": {"arm": "control"},
        }
    )
    store(organisation, items)
    hypothesis = create_hypothesis(organisation=organisation, data=data(quote, customers))
    return hypothesis, quote, accepted


def experiment_data(hypothesis, indicator, **extra):
    return {
        "hypothesis": hypothesis,
        "name": "Instant quote pilot",
        "indicator": indicator,
        "arm_dimension": "arm",
        "control": "control",
        "treatment": "fast-quote",
        "start": date(2026, 1, 1),
        "end": date(2026, 1, 31),
        **extra,
    }


def test_a_welch_experiment_matches_scipy_on_the_raw_values(organisation, arms):
    hypothesis, quote, _ = arms
    experiment = create_experiment(
        organisation=organisation,
        data=experiment_data(hypothesis, quote, expected_effect="negative"),
    )
    direct = stats.ttest_ind(TREATMENT, CONTROL, equal_var=False)
    ci = direct.confidence_interval(0.95)
    result = experiment.result
    assert result["test"] == "welch_t"
    assert result["effect"] == pytest.approx(np.mean(TREATMENT) - np.mean(CONTROL))
    assert (result["ci_low"], result["ci_high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert result["p_value"] == pytest.approx(direct.pvalue)
    assert result["verdict"] == "supported" and result["final"] is True
    assert result["control"]["n"] == 8 and result["treatment"]["n"] == 7
    hypothesis.refresh_from_db()
    assert (hypothesis.status, hypothesis.status_source) == ("supported", "experiment")

    # Expecting the other sign, the same data refute it.
    update_experiment(experiment=experiment, data={"expected_effect": "positive"})
    hypothesis.refresh_from_db()
    assert (hypothesis.status, hypothesis.status_source) == ("refuted", "experiment")
    # Without it, the expected effect derives from the hypothesis. This experiment measures the
    # cause itself (quote time, lower is better): the treatment should lower it, negative.
    experiment = update_experiment(experiment=experiment, data={"expected_effect": ""})
    assert experiment.result["expected_effect"] == "negative"

    delete_experiment(experiment=experiment)
    hypothesis.refresh_from_db()
    assert hypothesis.status_source != "experiment"


def test_an_unfinished_experiment_is_provisional_and_does_not_decide(organisation, arms):
    hypothesis, _, accepted = arms
    today = indicator_selectors.today_of(organisation)
    experiment = create_experiment(
        organisation=organisation, data=experiment_data(hypothesis, accepted, end=today)
    )
    assert experiment.result["final"] is False and experiment.result["verdict"] == "supported"
    hypothesis.refresh_from_db()
    assert hypothesis.status_source != "experiment"
    # Once it ended before today, it decides.
    update_experiment(experiment=experiment, data={"end": today - timedelta(days=1)})
    hypothesis.refresh_from_db()
    assert (hypothesis.status, hypothesis.status_source) == ("supported", "experiment")


def test_a_ratio_experiment_is_a_two_proportion_test_in_points(organisation, arms):
    hypothesis, _, accepted = arms
    experiment = create_experiment(
        organisation=organisation, data=experiment_data(hypothesis, accepted)
    )
    result = experiment.result
    p_c, p_t = 58 / 190, 86 / 205
    assert result["test"] == "two_proportion_z"
    assert result["effect"] == pytest.approx(100 * (p_t - p_c))
    assert result["control"]["denominator"] == 190 and result["treatment"]["n"] == 2
    se = np.sqrt(p_t * (1 - p_t) / 205 + p_c * (1 - p_c) / 190)
    assert result["ci_low"] == pytest.approx(100 * (p_t - p_c - stats.norm.ppf(0.975) * se))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"control": "nobody"}, "control"),
        ({"treatment": "fast-quote-2"}, "treatment"),
        ({"treatment": "control"}, "treatment"),
        ({"arm_dimension": "channel"}, "arm_dimension"),
        ({"arm_dimension": ""}, "arm_dimension"),
        ({"end": date(2025, 12, 31)}, "end"),
        ({"start": None}, "start"),
        ({"end": "2026-01-31"}, "end"),
        ({"name": "  "}, "name"),
        ({"expected_effect": "up"}, "expected_effect"),
        ({"planned_n_per_arm": -5}, "planned_n_per_arm"),
        ({"planned_n_per_arm": "100"}, "planned_n_per_arm"),
        ({"planned_n_per_arm": True}, "planned_n_per_arm"),
        ({"hypothesis": None}, "hypothesis"),
        ({"indicator": "fast_quote"}, "indicator"),
    ],
)
def test_bad_experiments_name_the_field_and_write_nothing(organisation, arms, change, field):
    hypothesis, quote, _ = arms
    with pytest.raises(ValidationError) as caught:
        create_experiment(
            organisation=organisation, data={**experiment_data(hypothesis, quote), **change}
        )
    assert field in caught.value.message_dict
    assert Experiment.objects.count() == 0


def test_another_organisations_hypothesis_or_indicator_is_refused(
    organisation, other_organisation, arms
):
    hypothesis, quote, _ = arms
    theirs = IndicatorFactory(organisation=other_organisation, code="fast_quote")
    with pytest.raises(ValidationError) as caught:
        create_experiment(organisation=other_organisation, data=experiment_data(hypothesis, theirs))
    assert "hypothesis" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        create_experiment(organisation=organisation, data=experiment_data(hypothesis, theirs))
    assert "indicator" in caught.value.message_dict
    assert Experiment.objects.count() == 0


def test_a_bad_update_changes_nothing(organisation, arms):
    hypothesis, quote, _ = arms
    experiment = create_experiment(
        organisation=organisation, data=experiment_data(hypothesis, quote)
    )
    with pytest.raises(ValidationError):
        update_experiment(experiment=experiment, data={"end": date(2025, 1, 1), "name": "x"})
    assert (experiment.end, experiment.name) == (date(2026, 1, 31), "Instant quote pilot")
    experiment.refresh_from_db()
    assert experiment.end == date(2026, 1, 31)


def test_the_plan_is_the_mde_of_statsmodels_on_the_spread_before_the_start(organisation, arms):
    hypothesis, quote, _ = arms
    plan = minimum_detectable_effect(
        organisation=organisation, indicator=quote, n_per_arm=50, before=date(2026, 2, 1)
    )
    values = CONTROL + TREATMENT  # the 90 days before 1 February, all segments
    d = TTestIndPower().solve_power(effect_size=None, nobs1=50, alpha=0.05, power=0.8)
    assert plan["basis"] == "sd"
    assert plan["sd"] == pytest.approx(np.std(values, ddof=1))
    assert plan["mde"] == pytest.approx(d * np.std(values, ddof=1))
    assert (plan["from"], plan["to"]) == ("2025-11-03", "2026-01-31")
    empty = minimum_detectable_effect(
        organisation=organisation, indicator=quote, n_per_arm=50, before=date(2025, 6, 1)
    )
    assert empty["mde"] is None and empty["reason"]
    experiment = create_experiment(
        organisation=organisation,
        data=experiment_data(
            hypothesis, quote, start=date(2026, 2, 1), end=date(2026, 2, 28), planned_n_per_arm=50
        ),
    )
    assert experiment.plan["mde"] == pytest.approx(plan["mde"])


def test_an_experiment_on_the_effect_derives_its_expectation_through_the_sign(organisation, arms):
    hypothesis, _, accepted = arms
    # Quote time (lower is better) drives customers with a negative sign: when the treatment
    # improves the quote (fewer seconds), the effect indicator should rise.
    experiment = create_experiment(
        organisation=organisation, data=experiment_data(hypothesis, accepted)
    )
    assert experiment.result["expected_effect"] == "positive"


def test_an_experiment_moved_to_another_hypothesis_leaves_the_first_without_its_verdict(
    organisation, arms
):
    hypothesis, quote, accepted = arms
    other = create_hypothesis(
        organisation=organisation, data=data(quote, accepted, expected_sign="negative")
    )
    experiment = create_experiment(
        organisation=organisation, data=experiment_data(hypothesis, accepted)
    )
    hypothesis.refresh_from_db()
    assert hypothesis.status_source == "experiment"
    update_experiment(experiment=experiment, data={"hypothesis": other})
    hypothesis.refresh_from_db()
    other.refresh_from_db()
    assert hypothesis.status_source != "experiment"
    assert other.status_source == "experiment"
