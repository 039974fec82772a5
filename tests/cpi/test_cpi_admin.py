"""The Django admin writes the CPI evidence through the services: the same rules and messages
as the pages and the API, on the field, the evidence and result recomputed, nothing half-saved."""

from datetime import date

import pytest
from django.urls import reverse

from cpi import services
from cpi.models import CpiProfile, EvidenceNote, Experiment, Hypothesis
from tests.cpi.cpi_edit_data import series
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def indicators(organisation):
    return series(organisation)


@pytest.fixture
def hypothesis(organisation, indicators):
    data = {"cause": indicators["fast_quote"], "effect": indicators["conversion"],
            "expected_sign": "negative", "max_lag": 1}  # fmt: skip
    return services.create_hypothesis(organisation=organisation, data=data)


@pytest.fixture
def experiment(organisation, hypothesis, indicators):
    data = {"hypothesis": hypothesis, "name": "Spring test", "indicator": indicators["conversion"],
            "arm_dimension": "arm", "control": "control", "treatment": "fast-quote",
            "start": date(2026, 3, 1), "end": date(2026, 3, 31)}  # fmt: skip
    return services.create_experiment(organisation=organisation, data=data)


@pytest.fixture
def note(indicators):
    data = {"kind": "interview", "noted_on": date(2026, 2, 3), "source": "6 buyers", "text": "t"}
    return services.add_evidence_note(indicator=indicators["fast_quote"], data=data)


@pytest.fixture
def profile(indicators):
    return services.save_profile(indicator=indicators["fast_quote"], data={"value_unit": "time"})


@pytest.fixture
def service_calls(monkeypatch):
    """Record each call of the services the admin saves with (they still run)."""
    calls = []
    names = ("create_hypothesis", "update_hypothesis", "create_experiment", "update_experiment",
             "save_profile", "add_evidence_note", "delete_hypothesis", "delete_experiment")  # fmt: skip
    for name in names:
        real = getattr(services, name)

        def spy(*, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(**kwargs)

        monkeypatch.setattr(services, name, spy)
    return calls


def hypothesis_form(organisation, indicators, **fields) -> dict:
    data = {"organisation": organisation.pk, "cause": indicators["fast_quote"].pk,
            "effect": indicators["new_customers"].pk, "expected_sign": "negative",
            "max_lag": 3, "period": "month", "statement": ""}  # fmt: skip
    return data | {"experiments-TOTAL_FORMS": 0, "experiments-INITIAL_FORMS": 0} | fields


def experiment_form(organisation, hypothesis, indicators, **fields) -> dict:
    data = {"organisation": organisation.pk, "hypothesis": hypothesis.pk, "name": "Spring",
            "indicator": indicators["conversion"].pk, "arm_dimension": "arm",
            "control": "control", "treatment": "fast-quote", "start": "2026-03-01",
            "end": "2026-03-31", "expected_effect": "", "planned_n_per_arm": ""}  # fmt: skip
    return data | fields


def test_the_admin_pages_open(admin_client, hypothesis, experiment, note, profile):
    for name in ("cpiprofile", "evidencenote", "hypothesis", "experiment"):
        assert admin_client.get(reverse(f"admin:cpi_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:cpi_{name}_add")).status_code == 200
    for name, obj in (("cpiprofile", profile), ("evidencenote", note),
                      ("hypothesis", hypothesis), ("experiment", experiment)):  # fmt: skip
        assert (
            admin_client.get(reverse(f"admin:cpi_{name}_change", args=[obj.pk])).status_code == 200
        )


def test_adding_a_hypothesis_goes_through_the_service_and_computes_its_evidence(
    admin_client, organisation, indicators, service_calls
):
    response = admin_client.post(
        reverse("admin:cpi_hypothesis_add"), hypothesis_form(organisation, indicators)
    )
    assert response.status_code == 302, response.content.decode()
    hypothesis = Hypothesis.objects.get()
    assert "create_hypothesis" in service_calls
    assert hypothesis.computed_at is not None and hypothesis.evidence["best_lag"] == 1
    assert hypothesis.status == "supported"


def test_cause_equal_to_effect_in_the_admin_is_an_error_on_the_effect(
    admin_client, organisation, indicators
):
    data = hypothesis_form(organisation, indicators, effect=indicators["fast_quote"].pk)
    response = admin_client.post(reverse("admin:cpi_hypothesis_add"), data)
    assert response.status_code == 200
    assert "effect" in response.context["adminform"].form.errors
    assert not Hypothesis.objects.exists()


def test_a_max_lag_of_25_in_the_admin_is_an_error_and_changes_nothing(
    admin_client, organisation, indicators, hypothesis
):
    data = hypothesis_form(organisation, indicators, effect=indicators["conversion"].pk, max_lag=25)
    response = admin_client.post(reverse("admin:cpi_hypothesis_change", args=[hypothesis.pk]), data)
    assert response.status_code == 200
    assert "from 0 to 24" in " ".join(response.context["adminform"].form.errors["max_lag"])
    hypothesis.refresh_from_db()
    assert hypothesis.max_lag == 1


def test_changing_a_hypothesis_recomputes_its_evidence(
    admin_client, organisation, indicators, hypothesis, service_calls
):
    data = hypothesis_form(organisation, indicators, effect=indicators["conversion"].pk, max_lag=2)
    response = admin_client.post(reverse("admin:cpi_hypothesis_change", args=[hypothesis.pk]), data)
    assert response.status_code == 302, response.content.decode()
    hypothesis.refresh_from_db()
    assert "update_hypothesis" in service_calls
    assert len(hypothesis.evidence["lags"]) == 3


def test_the_computed_fields_are_read_only(admin_client, hypothesis):
    form = admin_client.get(reverse("admin:cpi_hypothesis_change", args=[hypothesis.pk]))
    fields = form.context["adminform"].form.fields
    for name in ("status", "status_source", "evidence", "granger", "forecast", "computed_at"):
        assert name not in fields


def test_adding_an_experiment_goes_through_the_service_and_computes_its_result(
    admin_client, organisation, hypothesis, indicators, service_calls
):
    data = experiment_form(organisation, hypothesis, indicators, planned_n_per_arm="400")
    response = admin_client.post(reverse("admin:cpi_experiment_add"), data)
    assert response.status_code == 302, response.content.decode()
    experiment = Experiment.objects.get()
    assert "create_experiment" in service_calls
    assert experiment.result["effect"] == pytest.approx(6.0)
    assert experiment.plan["n_per_arm"] == 400  # no history before March: mde None, with reason
    assert experiment.plan["reason"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"control": "nobody"}, "control"),
        ({"treatment": "control"}, "treatment"),
        ({"end": "2026-02-01"}, "end"),
    ],
)
def test_bad_experiments_in_the_admin_are_errors_on_the_field(
    admin_client, organisation, hypothesis, indicators, fields, field
):
    data = experiment_form(organisation, hypothesis, indicators, **fields)
    response = admin_client.post(reverse("admin:cpi_experiment_add"), data)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Experiment.objects.exists()


def test_an_experiment_without_indicator_measures_the_hypothesiss_effect(
    admin_client, organisation, hypothesis, indicators
):
    data = experiment_form(organisation, hypothesis, indicators, indicator="")
    response = admin_client.post(reverse("admin:cpi_experiment_add"), data)
    assert response.status_code == 302, response.content.decode()
    assert Experiment.objects.get().indicator == indicators["conversion"]


def test_deleting_in_the_admin_goes_through_the_services(
    admin_client, hypothesis, experiment, service_calls
):
    url = reverse("admin:cpi_experiment_delete", args=[experiment.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert "delete_experiment" in service_calls and not Experiment.objects.exists()
    url = reverse("admin:cpi_hypothesis_delete", args=[hypothesis.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert "delete_hypothesis" in service_calls and not Hypothesis.objects.exists()


def test_a_profile_is_saved_with_its_team_by_save_profile(admin_client, indicators, service_calls):
    data = {"indicator": indicators["fast_quote"].pk, "desired_outcome": "A price now",
            "expectation": "while on the page", "value_unit": "time",
            "customer_segment": "consumers", "team": "Online sales"}  # fmt: skip
    response = admin_client.post(reverse("admin:cpi_cpiprofile_add"), data)
    assert response.status_code == 302, response.content.decode()
    assert "save_profile" in service_calls
    assert CpiProfile.objects.get().value_unit == "time"
    indicators["fast_quote"].refresh_from_db()
    assert indicators["fast_quote"].team == "Online sales"


def test_a_profile_offers_only_cpis(admin_client, indicators):
    form = admin_client.get(reverse("admin:cpi_cpiprofile_add")).context["adminform"].form
    assert set(form.fields["indicator"].queryset) == {indicators["fast_quote"]}


def test_a_note_is_added_by_add_evidence_note_and_then_only_read(
    admin_client, admin_user, indicators, service_calls
):
    data = {"indicator": indicators["fast_quote"].pk, "kind": "survey", "noted_on": "2026-01-05",
            "source": "Survey Q4", "text": "Speed matters most."}  # fmt: skip
    response = admin_client.post(reverse("admin:cpi_evidencenote_add"), data)
    assert response.status_code == 302, response.content.decode()
    note = EvidenceNote.objects.get()
    assert "add_evidence_note" in service_calls and note.created_by == admin_user
    change = admin_client.post(
        reverse("admin:cpi_evidencenote_change", args=[note.pk]), data | {"source": "Other"}
    )
    assert change.status_code == 403
    note.refresh_from_db()
    assert note.source == "Survey Q4"


def test_a_note_without_source_is_an_error_on_the_source(admin_client, indicators):
    data = {"indicator": indicators["fast_quote"].pk, "kind": "survey", "noted_on": "2026-01-05",
            "source": "", "text": "x"}  # fmt: skip
    response = admin_client.post(reverse("admin:cpi_evidencenote_add"), data)
    assert response.status_code == 200
    assert "source" in response.context["adminform"].form.errors


def test_the_lists_filter_by_organisation_and_search(
    admin_client, other_organisation, hypothesis, experiment, note
):
    theirs = IndicatorFactory(organisation=other_organisation, code="their_cpi")
    services.add_evidence_note(
        indicator=theirs,
        data={
            "kind": "survey",
            "noted_on": date(2026, 1, 1),
            "source": "Rival survey",
            "text": "t",
        },
    )
    url = reverse("admin:cpi_evidencenote_changelist")
    both = admin_client.get(url).context["cl"].result_count
    ours = admin_client.get(url, {"organisation": hypothesis.organisation.pk}).context["cl"]
    assert (both, [n.source for n in ours.result_list]) == (2, ["6 buyers"])
    found = admin_client.get(url, {"q": "Rival"}).context["cl"]
    assert [n.source for n in found.result_list] == ["Rival survey"]
    hypotheses = reverse("admin:cpi_hypothesis_changelist")
    rival = admin_client.get(hypotheses, {"organisation": other_organisation.pk}).context["cl"]
    assert rival.result_count == 0
    assert admin_client.get(hypotheses, {"q": "conversion"}).context["cl"].result_count == 1
    experiments = reverse("admin:cpi_experiment_changelist")
    assert admin_client.get(experiments, {"q": "fast-quote"}).context["cl"].result_count == 1
