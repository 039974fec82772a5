"""The Django admin writes scorecards through the services: the same rules and messages as the
pages and the API, on the field, nothing half-saved."""

import pytest
from django.urls import reverse

from scorecard import admin as scorecard_admin
from scorecard import selectors
from scorecard.models import Measure, Objective, ObjectiveLink, Perspective, Score, Scorecard
from tests.factories import IndicatorFactory
from tests.scorecard.scorecard_data import VALUES, progress_of, small_scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(organisation, api):
    return small_scorecard(organisation, api)


@pytest.fixture
def service_calls(monkeypatch):
    """Record each call of the services the admin saves with (they still run)."""
    calls = []
    names = (
        "create_scorecard",
        "update_scorecard",
        "create_perspective",
        "update_perspective",
        "delete_perspective",
        "create_objective",
        "update_objective",
        "update_measure",
        "link_objectives",
        "unlink_objectives",
    )
    for name in names:
        real = getattr(scorecard_admin, name)

        def spy(*, _real=real, _name=name, **kwargs):
            calls.append((_name, kwargs.get("data")))
            return _real(**kwargs)

        monkeypatch.setattr(scorecard_admin, name, spy)
    return calls


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": len(rows),
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data |= {f"{prefix}-{i}-{k}": v for k, v in row.items()}
    return data


def scorecard_form(organisation=None, rows=(), initial=0, **fields) -> dict:
    data = {"name": "Unit scorecard", "description": "", "scope": "unit", "preset": "business"}
    data |= {"period": "month", "on_track_from": 0.9, "at_risk_from": 0.6}
    data |= {"max_measures_per_objective": 3, "generic_phrases": "keep customers longer"}
    if organisation is not None:
        data["organisation"] = organisation.pk
    return data | inline("perspectives", list(rows), initial) | fields


def perspective_rows(scorecard, **changes) -> list[dict]:
    """The inline rows of the scorecard's perspectives as the change page shows them."""
    rows = []
    for p in scorecard.perspectives.order_by("position", "pk"):
        row = {"id": p.pk, "scorecard": scorecard.pk, "kind": p.kind, "label": p.label}
        rows.append(row | {"position": p.position, "weight": p.weight} | changes.get(p.kind, {}))
    return rows


def objective_form(objective, measures, targets=(), **fields) -> dict:
    data = {"perspective": objective.perspective_id, "title": objective.title}
    data |= {"voice": objective.voice, "description": "", "owner": "", "weight": objective.weight}
    data |= {"position": objective.position, "targets": [t.pk for t in targets]}
    rows = [
        ({"id": m.pk, "objective": objective.pk} if m.pk else {}) | {"indicator": i, "weight": w}
        for m, i, w in measures
    ]
    initial = sum(1 for m, _i, _w in measures if m.pk)
    return data | inline("measures", rows, initial) | fields


def test_the_admin_pages_open(admin_client, card):
    scorecard, _found = card
    objective = Objective.objects.filter(perspective__kind="customer").get()
    pages = {
        "scorecard": scorecard.pk,
        "perspective": scorecard.perspectives.first().pk,
        "objective": objective.pk,
        "measure": objective.measures.first().pk,
    }
    for name in ("scorecard", "perspective", "objective", "measure", "objectivelink", "score"):
        url = reverse(f"admin:scorecard_{name}_changelist")
        assert admin_client.get(url).status_code == 200, name
    for name in ("scorecard", "perspective", "objective", "measure", "objectivelink"):
        assert admin_client.get(reverse(f"admin:scorecard_{name}_add")).status_code == 200, name
    for name, pk in pages.items():
        url = reverse(f"admin:scorecard_{name}_change", args=[pk])
        assert admin_client.get(url).status_code == 200, name


def test_scores_are_read_only_in_the_admin(admin_client, card):
    assert Score.objects.exists()
    score = Score.objects.first()
    assert admin_client.get(reverse("admin:scorecard_score_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:scorecard_score_change", args=[score.pk]), {"score": 0.1}
    )
    assert response.status_code == 403
    assert Score.objects.get(pk=score.pk).score == score.score


def test_a_scorecard_added_without_rows_gets_its_presets_perspectives(
    admin_client, organisation, service_calls
):
    response = admin_client.post(
        reverse("admin:scorecard_scorecard_add"),
        scorecard_form(organisation, preset="public", generic_phrases="a\n\nb "),
    )
    assert response.status_code == 302, response.content.decode()
    scorecard = Scorecard.objects.get()
    assert (scorecard.organisation, scorecard.scope, scorecard.generic_phrases) == (
        organisation,
        "unit",
        ["a", "b"],
    )
    kinds = list(scorecard.perspectives.order_by("position").values_list("kind", flat=True))
    assert kinds == ["customer", "financial", "internal", "learning"]
    assert [name for name, _data in service_calls] == ["create_scorecard"] * 3  # 2 dry runs


def test_a_scorecard_added_with_rows_gets_exactly_those(admin_client, organisation):
    rows = [
        {"kind": "customer", "label": "Citizens", "position": 0, "weight": 2},
        {"kind": "internal", "label": "", "position": 1, "weight": 1},
    ]
    response = admin_client.post(
        reverse("admin:scorecard_scorecard_add"), scorecard_form(organisation, rows)
    )
    assert response.status_code == 302, response.content.decode()
    found = list(Perspective.objects.order_by("position").values_list("kind", "label", "weight"))
    assert found == [("customer", "Citizens", 2.0), ("internal", "", 1.0)]


def test_thresholds_in_the_wrong_order_are_refused_on_the_field(admin_client, organisation):
    response = admin_client.post(
        reverse("admin:scorecard_scorecard_add"),
        scorecard_form(organisation, at_risk_from=0.95),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["at_risk_from"] == ["“At risk from” cannot be above “on track from”."]
    assert Scorecard.objects.count() == 0 and Perspective.objects.count() == 0


def test_a_second_perspective_of_a_kind_is_refused_on_its_row(admin_client, card):
    scorecard, _found = card
    rows = [*perspective_rows(scorecard), {"kind": "customer", "label": "Again", "position": 9}]
    rows[-1]["weight"] = 1
    url = reverse("admin:scorecard_scorecard_change", args=[scorecard.pk])
    response = admin_client.post(url, scorecard_form(rows=rows, initial=4, name="Renamed"))
    assert response.status_code == 200
    [formset] = [f.formset for f in response.context["inline_admin_formsets"]]
    assert formset.forms[-1].errors["kind"] == ["The scorecard already has a customer perspective."]
    scorecard.refresh_from_db()
    assert scorecard.name == "Company scorecard" and scorecard.perspectives.count() == 4


def test_a_perspective_row_is_reweighted_and_the_total_rescored(admin_client, card, service_calls):
    scorecard, _found = card
    rows = perspective_rows(scorecard, customer={"weight": 3})
    url = reverse("admin:scorecard_scorecard_change", args=[scorecard.pk])
    response = admin_client.post(url, scorecard_form(rows=rows, initial=4, name="Company"))
    assert response.status_code == 302, response.content.decode()
    assert scorecard.perspectives.get(kind="customer").weight == 3.0
    assert ("update_perspective", {"weight": 3.0}) in service_calls
    latest = {code: progress_of(code, values[-2]) for code, values in VALUES.items()}
    price = (2 * latest["fast_quote"] + latest["nps"]) / 3
    expected = (latest["premium_revenue"] + 3 * price + latest["engine_up"]) / 5
    assert selectors.scorecard_detail(scorecard=scorecard).total.score == pytest.approx(expected)


def test_deleting_a_perspective_row_goes_through_the_service(admin_client, card, service_calls):
    scorecard, _found = card
    rows = perspective_rows(scorecard, learning={"DELETE": "on"})
    url = reverse("admin:scorecard_scorecard_change", args=[scorecard.pk])
    response = admin_client.post(url, scorecard_form(rows=rows, initial=4, name="Company"))
    assert response.status_code == 302, response.content.decode()
    assert not scorecard.perspectives.filter(kind="learning").exists()
    assert not Objective.objects.filter(title="Agents know the offer").exists()
    assert "delete_perspective" in [name for name, _data in service_calls]


def test_an_objectives_measures_are_saved_by_one_update_objective(
    admin_client, card, service_calls
):
    scorecard, found = card
    engine = Objective.objects.get(perspective__kind="internal")
    measure = engine.measures.get()
    post = objective_form(
        engine,
        [(measure, found["engine_up"].pk, 1), (Measure(), found["nps"].pk, 3)],
        targets=[Objective.objects.get(perspective__kind="customer")],
    )
    url = reverse("admin:scorecard_objective_change", args=[engine.pk])
    response = admin_client.post(url, post)
    assert response.status_code == 302, response.content.decode()
    weights = dict(engine.measures.values_list("indicator__code", "weight"))
    assert weights == {"engine_up": 1.0, "nps": 3.0}
    saves = [data for name, data in service_calls if name == "update_objective"]
    assert saves[-1]["measures"] == [(found["engine_up"], 1.0), (found["nps"], 3.0)]
    up, nps = (progress_of(c, VALUES[c][-2]) for c in ("engine_up", "nps"))
    detail = selectors.scorecard_detail(scorecard=scorecard)
    score = next(o.score for o in detail.objectives() if o.obj.pk == engine.pk)
    assert score == pytest.approx((up + 3 * nps) / 4)


def test_another_organisations_indicator_is_refused_and_nothing_saved(
    admin_client, card, other_organisation
):
    scorecard, found = card
    theirs = IndicatorFactory(organisation=other_organisation, code="theirs")
    engine = Objective.objects.get(perspective__kind="internal")
    measure = engine.measures.get()
    post = objective_form(
        engine, [(measure, found["engine_up"].pk, 1), (Measure(), theirs.pk, 1)], title="New"
    )
    response = admin_client.post(
        reverse("admin:scorecard_objective_change", args=[engine.pk]), post
    )
    assert response.status_code == 200
    [formset] = [f.formset for f in response.context["inline_admin_formsets"]]
    assert formset.non_form_errors() == ["theirs is not an indicator of this organisation."]
    engine.refresh_from_db()
    assert engine.title == "Quote engine always up" and engine.measures.count() == 1


def test_a_cycle_of_contributes_to_is_refused_on_the_field(admin_client, card):
    scorecard, found = card
    premium = Objective.objects.get(perspective__kind="financial")
    agents = Objective.objects.get(perspective__kind="learning")
    measure = premium.measures.get()
    post = objective_form(premium, [(measure, found["premium_revenue"].pk, 1)], targets=[agents])
    response = admin_client.post(
        reverse("admin:scorecard_objective_change", args=[premium.pk]), post
    )
    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["targets"]
    assert message.startswith("That link would make a cycle:")
    assert not ObjectiveLink.objects.filter(source=premium).exists()


def test_a_link_added_in_the_admin_is_checked_for_cycles(admin_client, card, service_calls):
    premium = Objective.objects.get(perspective__kind="financial")
    agents = Objective.objects.get(perspective__kind="learning")
    price = Objective.objects.get(perspective__kind="customer")
    url = reverse("admin:scorecard_objectivelink_add")
    response = admin_client.post(url, {"source": premium.pk, "target": agents.pk})
    assert response.status_code == 200
    assert (
        response.context["adminform"]
        .form.errors["target"][0]
        .startswith("That link would make a cycle:")
    )
    response = admin_client.post(url, {"source": agents.pk, "target": price.pk})
    assert response.status_code == 302, response.content.decode()
    link = ObjectiveLink.objects.get(source=agents, target=price)
    delete = reverse("admin:scorecard_objectivelink_delete", args=[link.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not ObjectiveLink.objects.filter(pk=link.pk).exists()
    assert [n for n, _d in service_calls if "link" in n][-1] == "unlink_objectives"


def test_a_negative_measure_weight_is_refused_on_the_field(admin_client, card):
    measure = Measure.objects.get(indicator__code="nps")
    url = reverse("admin:scorecard_measure_change", args=[measure.pk])
    response = admin_client.post(url, {"weight": -1})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["weight"] == ["A weight cannot be negative."]
    assert Measure.objects.get(indicator__code="nps").weight == 1.0
    response = admin_client.post(url, {"weight": 4})
    assert response.status_code == 302, response.content.decode()
    assert Measure.objects.get(indicator__code="nps").weight == 4.0


def test_deleting_a_scorecard_in_the_admin_deletes_it_whole(admin_client, card):
    scorecard, _found = card
    url = reverse("admin:scorecard_scorecard_delete", args=[scorecard.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert Scorecard.objects.count() == 0 and Objective.objects.count() == 0
    assert Score.objects.count() == 0


def test_a_perspective_pages_objective_rows_are_written_through_the_services(
    admin_client, card, service_calls
):
    scorecard, _found = card
    learning = scorecard.perspectives.get(kind="learning")
    agents = learning.objectives.get()
    rows = [
        {"id": agents.pk, "perspective": learning.pk, "title": agents.title, "owner": ""}
        | {"weight": 2, "position": 0},
        {"title": "Claims handlers trained", "owner": "", "weight": 1, "position": 1},
    ]
    data = {"kind": "learning", "label": "People", "position": 3, "weight": 1}
    url = reverse("admin:scorecard_perspective_change", args=[learning.pk])
    response = admin_client.post(url, data | inline("objectives", rows, initial=1))
    assert response.status_code == 302, response.content.decode()
    found = list(learning.objectives.order_by("position").values_list("title", "weight"))
    assert found == [("Agents know the offer", 2.0), ("Claims handlers trained", 1.0)]
    assert Perspective.objects.get(pk=learning.pk).label == "People"
    names = [name for name, _data in service_calls]
    assert "update_objective" in names and "create_objective" in names

    rows[0] |= {"weight": -1}
    rows[1] = {"title": "Mentors", "owner": "", "weight": 1, "position": 2}
    response = admin_client.post(url, data | inline("objectives", rows, initial=1))
    assert response.status_code == 200
    [formset] = [f.formset for f in response.context["inline_admin_formsets"]]
    assert formset.forms[0].errors["weight"] == ["A weight cannot be negative."]
    assert not Objective.objects.filter(title="Mentors").exists()
    assert learning.objectives.get(pk=agents.pk).weight == 2.0


def test_a_measure_added_in_the_admin_goes_through_add_measure(admin_client, card):
    scorecard, found = card
    engine = Objective.objects.get(perspective__kind="internal")
    url = reverse("admin:scorecard_measure_add")
    post = {"objective": engine.pk, "indicator": found["engine_up"].pk, "weight": 1}
    response = admin_client.post(url, post)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["indicator"] == ["engine_up measures this objective twice."]
    response = admin_client.post(url, post | {"indicator": found["nps"].pk, "weight": -2})
    assert response.context["adminform"].form.errors["weight"] == ["A weight cannot be negative."]
    response = admin_client.post(url, post | {"indicator": found["nps"].pk, "weight": 2})
    assert response.status_code == 302, response.content.decode()
    weights = dict(engine.measures.values_list("indicator__code", "weight"))
    assert weights == {"engine_up": 1.0, "nps": 2.0}
