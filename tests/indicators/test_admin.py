"""The Django admin writes indicators through the services and only shows computed rows."""

from datetime import date

import pytest
from django.urls import reverse

from indicators import admin as indicators_admin
from indicators.hooks import register_indicators_changed, unregister_indicators_changed
from indicators.models import (
    FROM_THE_START,
    Band,
    Benchmark,
    Indicator,
    Measurement,
    PeriodValue,
    Target,
)
from indicators.services import ingest_measurements, recompute_dirty
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

NO_ROWS = {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {f"{prefix}-{k}": v for k, v in NO_ROWS.items()}
    data[f"{prefix}-TOTAL_FORMS"], data[f"{prefix}-INITIAL_FORMS"] = len(rows), initial
    for i, row in enumerate(rows):
        data |= {f"{prefix}-{i}-{k}": v for k, v in row.items()}
    return data


def indicator_form(**fields) -> dict:
    """A complete admin form of a mean indicator, with no targets or benchmarks."""
    return {
        "code": "fast_quote",
        "name": "Fast Quote",
        "description": "",
        "owner": "",
        "unit": "s",
        "kind": "cpi",
        "direction": "lower_is_better",
        "aggregation": "mean",
        "period": "week",
        "evidence": "",
        "layer": "execution",
        "formula": "",
        "baseline_value": "",
        "baseline_date": "",
        "owner_user": "",
        "spc_baseline_from": "",
        "spc_baseline_points": "20",
        "stale_grace_days": "",
        **inline("targets", []),
        **inline("bands", []),
        **inline("benchmarks", []),
        **fields,
    }


@pytest.fixture
def service_calls(monkeypatch):
    """Record each call of the services the admin saves with (they still run)."""
    calls = []
    for name in ("create_indicator", "update_indicator"):
        real = getattr(indicators_admin, name)

        def spy(*, _real=real, _name=name, **kwargs):
            calls.append((_name, kwargs["data"]))
            return _real(**kwargs)

        monkeypatch.setattr(indicators_admin, name, spy)
    return calls


def add(admin_client, organisation, **fields):
    url = reverse("admin:indicators_indicator_add")
    return admin_client.post(url, indicator_form(organisation=organisation.pk, **fields))


def change(admin_client, indicator, **fields):
    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])
    data = {k: v for k, v in indicator_form(**fields).items() if k != "organisation"}
    return admin_client.post(url, data)


def band_row(**fields) -> dict:
    """A band version row of the admin's Band inline (lower is better: above is worse)."""
    return {
        "valid_from": "0001-01-01",
        "low": "20",
        "high": "50",
        "action_below": "learn what made it fast",
        "action_above": "fix the slow step",
        "owner": "",
        **fields,
    }


def test_adding_an_indicator_with_targets_and_a_benchmark_goes_through_create_indicator(
    admin_client, organisation, service_calls
):
    assert admin_client.get(reverse("admin:indicators_indicator_add")).status_code == 200
    response = add(
        admin_client,
        organisation,
        **inline("bands", [band_row()]),
        **inline("targets", [{"valid_from": "2026-01-01", "value": "45"}]),
        **inline("benchmarks", [{"valid_from": "2026-01-01", "value": "40", "source": "survey"}]),
    )
    assert response.status_code == 302, response.content.decode()
    indicator = Indicator.objects.get(organisation=organisation, code="fast_quote")
    band = indicator.bands.get()
    assert (band.valid_from, band.low, band.high) == (FROM_THE_START, 20, 50)
    assert (band.action_below, band.action_above) == (
        "learn what made it fast",
        "fix the slow step",
    )
    assert [(t.valid_from, t.value) for t in indicator.targets.all()] == [(date(2026, 1, 1), 45)]
    assert [(b.value, b.source) for b in indicator.benchmarks.all()] == [(40, "survey")]
    # the savepoint dry run in the form, then the real save
    assert [name for name, _ in service_calls] == ["create_indicator", "create_indicator"]
    assert service_calls[-1][1]["targets"] == [{"from": date(2026, 1, 1), "value": 45.0}]


def test_a_formula_over_an_unknown_indicator_is_a_form_error_and_saves_nothing(
    admin_client, organisation
):
    response = add(admin_client, organisation, formula="100 * won / sent", aggregation="")
    assert response.status_code == 200
    assert "Unknown indicator(s): sent, won." in response.content.decode()
    assert not Indicator.objects.exists()


def test_an_indicator_without_formula_or_aggregation_is_refused_by_the_service(
    admin_client, organisation
):
    response = add(admin_client, organisation, aggregation="")
    assert response.status_code == 200
    assert "An indicator without a formula needs an aggregation." in response.content.decode()
    assert not Indicator.objects.exists()


def test_a_taken_code_is_reported_once_on_the_code(admin_client, organisation):
    IndicatorFactory(organisation=organisation, code="fast_quote")
    response = add(admin_client, organisation)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("The organisation already has an indicator &#x27;fast_quote&#x27;.") == 1
    assert Indicator.objects.count() == 1


def test_two_targets_from_the_same_day_are_refused(admin_client, organisation):
    rows = [
        {"valid_from": "2026-01-01", "value": "45"},
        {"valid_from": "2026-01-01", "value": "30"},
    ]
    response = add(admin_client, organisation, **inline("targets", rows))
    assert response.status_code == 200
    assert not Indicator.objects.exists() and not Target.objects.exists()


def test_changing_the_band_updates_only_what_changed_through_update_indicator(
    admin_client, organisation, service_calls
):
    indicator = IndicatorFactory(
        organisation=organisation, code="fast_quote", name="Fast Quote", unit="s",
        direction="lower_is_better", period="week", layer="execution",
    )  # fmt: skip
    Target.objects.create(indicator=indicator, valid_from=date(2026, 1, 1), value=45)
    targets = inline("targets", [{"id": indicator.targets.get().pk, "valid_from": "2026-01-01",
                                  "value": "45", "indicator": indicator.pk}], initial=1)  # fmt: skip
    bands = inline("bands", [band_row(indicator=indicator.pk)])
    response = change(admin_client, indicator, **bands, **targets)
    assert response.status_code == 302, response.content.decode()
    indicator.refresh_from_db()
    band = indicator.bands.get()
    assert (band.low, band.high) == (20, 50)
    assert indicator.targets.get().value == 45
    assert service_calls[-1] == (
        "update_indicator",
        {
            "bands": [
                {
                    "from": FROM_THE_START,
                    "low": 20.0,
                    "high": 50.0,
                    "action_below": "learn what made it fast",
                    "action_above": "fix the slow step",
                    "owner": None,
                }
            ]
        },
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"action_above": ""}, "Values above this band are worse: give the corrective action"),
        ({"action_below": ""}, "Values below this band are better: give the learning action"),
        ({"low": "60"}, "The low limit is above the high limit."),
    ],
)
def test_a_band_version_the_service_refuses_is_shown_on_its_row_and_nothing_is_saved(
    admin_client, organisation, row, message
):
    response = add(admin_client, organisation, **inline("bands", [band_row(**row)]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Indicator.objects.exists() and not Band.objects.exists()


def test_a_band_owner_who_is_not_a_member_is_refused(
    admin_client, organisation, other_organisation
):
    from accounts.services import create_user

    outsider = create_user(organisation=other_organisation, username="olle", role="analyst")
    response = add(admin_client, organisation, **inline("bands", [band_row(owner=outsider.pk)]))
    assert response.status_code == 200
    assert "olle is not a member of the organisation." in response.content.decode()
    assert not Indicator.objects.exists()


def test_a_change_the_service_refuses_is_shown_on_the_form(admin_client, organisation):
    indicator = IndicatorFactory(
        organisation=organisation, code="fast_quote", name="Fast Quote", unit="s",
        direction="lower_is_better", period="week", layer="execution",
    )  # fmt: skip
    ingest_measurements(
        organisation=organisation,
        items=[{"indicator": "fast_quote", "observed_at": "2026-03-02", "value": 30.0}],
    )
    response = change(admin_client, indicator, aggregation="ratio")
    assert response.status_code == 200
    assert "the aggregation cannot switch between ratio" in response.content.decode()
    indicator.refresh_from_db()
    assert indicator.aggregation == "mean"


@pytest.fixture
def computed(organisation):
    indicator = IndicatorFactory(organisation=organisation, code="fast_quote", period="day")
    ingest_measurements(
        organisation=organisation,
        items=[{"indicator": "fast_quote", "observed_at": "2026-03-02", "value": 30.0}],
    )
    recompute_dirty()
    return indicator


@pytest.mark.parametrize("model", [Measurement, PeriodValue])
def test_measurements_and_period_values_are_read_only_in_the_admin(admin_client, computed, model):
    name = model._meta.model_name
    row = model.objects.filter(indicator=computed).first()
    changelist = admin_client.get(
        reverse(f"admin:indicators_{name}_changelist"),
        {"indicator__organisation__id__exact": computed.organisation_id},
    )
    assert changelist.status_code == 200
    assert "30.0" in changelist.content.decode()
    assert admin_client.get(reverse(f"admin:indicators_{name}_add")).status_code == 403
    view = admin_client.get(reverse(f"admin:indicators_{name}_change", args=[row.pk]))
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    edit = admin_client.post(reverse(f"admin:indicators_{name}_change", args=[row.pk]), {})
    assert edit.status_code == 403
    delete = admin_client.post(
        reverse(f"admin:indicators_{name}_delete", args=[row.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_the_benchmark_of_an_indicator_is_kept_when_only_its_name_changes(
    admin_client, organisation, service_calls
):
    indicator = IndicatorFactory(
        organisation=organisation, code="fast_quote", name="Fast Quote", unit="s",
        direction="lower_is_better", period="week", layer="execution",
    )  # fmt: skip
    Benchmark.objects.create(indicator=indicator, valid_from=date(2026, 1, 1), value=40)
    benchmarks = inline("benchmarks", [{"id": indicator.benchmarks.get().pk, "indicator": indicator.pk,
                                        "valid_from": "2026-01-01", "value": "40", "source": ""}],
                        initial=1)  # fmt: skip
    response = change(admin_client, indicator, name="Fast Quote (web)", **benchmarks)
    assert response.status_code == 302, response.content.decode()
    assert service_calls[-1] == ("update_indicator", {"name": "Fast Quote (web)"})
    assert indicator.benchmarks.get().value == 40


@pytest.fixture
def deletions():
    """The indicators the indicators-changed hook heard about as being deleted."""
    seen: list[int] = []

    def record(change):
        if change.deleting:
            seen.extend(change.indicator_ids)

    register_indicators_changed("tests.deletions", record)
    yield seen
    unregister_indicators_changed("tests.deletions")


def test_deleting_an_indicator_in_the_admin_goes_through_delete_indicator(
    admin_client, organisation, deletions, django_capture_on_commit_callbacks
):
    one = IndicatorFactory(organisation=organisation, code="one")
    one_id = one.pk
    url = reverse("admin:indicators_indicator_delete", args=[one_id])

    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, {"post": "yes"}).status_code == 302

    assert deletions == [one_id]
    assert not Indicator.objects.filter(pk=one_id).exists()


def test_the_delete_action_deletes_each_indicator_through_delete_indicator(
    admin_client, organisation, deletions, django_capture_on_commit_callbacks
):
    ids = [IndicatorFactory(organisation=organisation, code=f"i{n}").pk for n in range(2)]
    data = {"action": "delete_selected", "_selected_action": ids, "post": "yes"}

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:indicators_indicator_changelist"), data)

    assert response.status_code == 302
    assert sorted(deletions) == sorted(ids)
    assert not Indicator.objects.filter(pk__in=ids).exists()
