"""Analysts' forms for scorecards: every write through the services, their errors on the field
they name, choices from the analyst's own organisation only, viewers kept out."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Role
from accounts.services import create_user
from outcomes.services import create_initiative
from scorecard import selectors, services
from scorecard.models import Measure, Objective, ObjectiveLink, Perspective, Scorecard
from tests.factories import IndicatorFactory
from tests.scorecard.scorecard_data import VALUES, progress_of, small_scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def card(organisation, api):
    """The shared small scorecard (values pushed): (scorecard, {code: indicator})."""
    return small_scorecard(organisation, api)


def objective_of(scorecard, kind) -> Objective:
    return Objective.objects.get(perspective__scorecard=scorecard, perspective__kind=kind)


def latest(code) -> float:
    """Hand-worked progress of `code` in the latest complete month."""
    return progress_of(code, VALUES[code][-2])


def objective_score(scorecard, objective) -> float | None:
    detail = selectors.scorecard_detail(scorecard=scorecard)
    return next(o.score for o in detail.objectives() if o.obj.pk == objective.pk)


def errors_on(response, field) -> list[str]:
    return [str(e) for e in response.context["form"].errors.get(field, [])]


def settings_post(**fields) -> dict:
    data = {"name": "Company scorecard", "description": "", "scope": "company"}
    data |= {"period": "month", "preset": "business", "on_track_from": "0,9"}
    data |= {"at_risk_from": "0,6", "max_measures_per_objective": "3"}
    return data | {"generic_phrases": "keep customers longer\nmore customers"} | fields


def objective_post(**fields) -> dict:
    data = {"title": "Agents know every product", "voice": "", "description": ""}
    return data | {"owner": "", "weight": "1", "position": ""} | fields


# -- who may edit ---------------------------------------------------------------------------------

EDIT_PAGES = [
    ("scorecard-create", None),
    ("scorecard-edit", "scorecard"),
    ("scorecard-delete", "scorecard"),
    ("perspective-create", "scorecard"),
    ("perspective-edit", "perspective"),
    ("perspective-delete", "perspective"),
    ("objective-create", "perspective"),
    ("objective-edit", "objective"),
    ("objective-delete", "objective"),
    ("objective-measures", "objective"),
    ("objective-links", "objective"),
]


def url_of(name, kind, scorecard):
    if kind is None:
        return reverse(name)
    perspective = scorecard.perspectives.get(kind="learning")
    pk = {
        "scorecard": scorecard.pk,
        "perspective": perspective.pk,
        "objective": perspective.objectives.get().pk,
    }[kind]
    return reverse(name, args=[pk])


def counts() -> tuple:
    return tuple(
        m.objects.count() for m in (Scorecard, Perspective, Objective, Measure, ObjectiveLink)
    )


@pytest.mark.parametrize(("name", "kind"), EDIT_PAGES)
def test_viewers_get_403_on_every_editing_page_and_change_nothing(client, viewer, card, name, kind):
    scorecard, _found = card
    before = counts()
    client.force_login(viewer)
    url = url_of(name, kind, scorecard)
    assert client.get(url).status_code == 403
    post = settings_post() | objective_post() | {"action": "remove", "kind": "customer"}
    assert client.post(url, post).status_code == 403
    assert counts() == before
    assert Scorecard.objects.get().name == "Company scorecard"


@pytest.mark.parametrize(("name", "kind"), EDIT_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, card, name, kind):
    response = client.get(url_of(name, kind, card[0]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(("name", "kind"), [p for p in EDIT_PAGES if p[1]])
def test_another_organisations_scorecard_answers_404(anna, other_organisation, name, kind):
    theirs = services.create_scorecard(
        organisation=other_organisation,
        data={
            "name": "Theirs",
            "perspectives": [{"kind": "learning", "objectives": [{"title": "Theirs"}]}],
        },
    )
    before = counts()
    url = url_of(name, kind, theirs)
    assert anna.get(url).status_code == 404
    assert anna.post(url, settings_post() | {"action": "remove"}).status_code == 404
    assert counts() == before


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ADMIN])
def test_analysts_and_admins_open_every_editing_page(client, organisation, card, role):
    user = create_user(organisation=organisation, username=f"u_{role}", role=role, password="x1!")
    client.force_login(user)
    for name, kind in EDIT_PAGES:
        response = client.get(url_of(name, kind, card[0]))
        assert response.status_code == 200, name


# -- scorecards -----------------------------------------------------------------------------------


def test_a_new_business_scorecard_gets_the_four_perspectives_in_order(anna, organisation):
    data = {"name": "Team scorecard", "description": "Claims team", "scope": "team"}
    response = anna.post(
        reverse("scorecard-create"), data | {"period": "quarter", "preset": "business"}
    )
    scorecard = Scorecard.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scorecard-edit", args=[scorecard.pk])
    assert (scorecard.organisation, scorecard.scope, scorecard.period, scorecard.preset) == (
        organisation,
        "team",
        "quarter",
        "business",
    )
    labels = [str(p.display_label) for p in scorecard.perspectives.order_by("position")]
    assert labels == ["Financial", "Customer", "Internal process", "Learning and growth"]


def test_the_public_sector_preset_puts_citizens_first_and_names_stewardship(anna):
    data = {"name": "City services", "scope": "unit", "period": "month", "preset": "public"}
    assert anna.post(reverse("scorecard-create"), data).status_code == 302
    perspectives = Scorecard.objects.get().perspectives.order_by("position")
    assert [(p.kind, str(p.display_label)) for p in perspectives] == [
        ("customer", "Citizens"),
        ("financial", "Stewardship"),
        ("internal", "Internal process"),
        ("learning", "Learning and growth"),
    ]


def test_a_blank_name_is_refused_on_the_field_and_nothing_is_saved(anna):
    data = {"name": "   ", "scope": "company", "period": "month", "preset": "business"}
    response = anna.post(reverse("scorecard-create"), data)
    assert response.status_code == 400
    assert errors_on(response, "name")
    assert Scorecard.objects.count() == 0 and Perspective.objects.count() == 0


def test_the_create_page_offers_the_presets_and_no_thresholds(anna):
    body = anna.get(reverse("scorecard-create")).content.decode()
    assert 'value="public"' in body and 'value="business"' in body
    assert 'name="on_track_from"' not in body and 'name="name"' in body


def test_settings_are_saved_with_a_decimal_comma_and_phrases_one_per_line(anna, card):
    scorecard, _found = card
    url = reverse("scorecard-edit", args=[scorecard.pk])
    page = anna.get(url).content.decode()
    assert "keep customers longer\n" in page  # the current phrases, one per line
    post = settings_post(
        on_track_from="0,85",
        at_risk_from="0.5",
        max_measures_per_objective="4",
        generic_phrases="  Keep customers longer \n\nbehålla kunderna längre\n",
    )
    response = anna.post(url, post)
    assert response.status_code == 302
    assert response["Location"] == reverse("scorecard-detail", args=[scorecard.pk])
    scorecard.refresh_from_db()
    assert (scorecard.on_track_from, scorecard.at_risk_from) == (0.85, 0.5)
    assert scorecard.max_measures_per_objective == 4
    assert scorecard.generic_phrases == ["Keep customers longer", "behålla kunderna längre"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"at_risk_from": "0,95"}, "at_risk_from"),
        ({"on_track_from": "1,5"}, "on_track_from"),
        ({"on_track_from": "ninety"}, "on_track_from"),
        ({"max_measures_per_objective": "0"}, "max_measures_per_objective"),
        ({"period": "fortnight"}, "period"),
    ],
)
def test_bad_settings_are_refused_on_their_field_and_nothing_changes(anna, card, fields, field):
    scorecard, _found = card
    response = anna.post(reverse("scorecard-edit", args=[scorecard.pk]), settings_post(**fields))
    assert response.status_code == 400
    assert errors_on(response, field), response.context["form"].errors
    scorecard.refresh_from_db()
    assert (scorecard.on_track_from, scorecard.at_risk_from) == (0.9, 0.6)
    assert (scorecard.max_measures_per_objective, scorecard.period) == (3, "month")


def test_the_service_message_for_thresholds_in_the_wrong_order_is_shown(anna, card):
    scorecard, _found = card
    url = reverse("scorecard-edit", args=[scorecard.pk])
    response = anna.post(url, settings_post(at_risk_from="0,95"))
    assert "“At risk from” cannot be above “on track from”." in response.content.decode()


def test_the_edit_page_lists_every_objective_with_its_measures(anna, card):
    scorecard, _found = card
    body = anna.get(reverse("scorecard-edit", args=[scorecard.pk])).content.decode()
    for objective in Objective.objects.all():
        assert reverse("objective-edit", args=[objective.pk]) in body
    assert "fast_quote, nps" in body
    for perspective in scorecard.perspectives.all():
        assert reverse("objective-create", args=[perspective.pk]) in body
    assert reverse("perspective-create", args=[scorecard.pk]) not in body  # all four kinds taken


def test_the_edit_page_reads_a_fixed_number_of_queries_whatever_the_measures(
    anna, card, organisation, django_assert_max_num_queries
):
    scorecard, _found = card
    url = reverse("scorecard-edit", args=[scorecard.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert anna.get(url).status_code == 200
    learning = scorecard.perspectives.get(kind="learning")
    for n in range(4):
        extra = [IndicatorFactory(organisation=organisation, code=f"x{n}_{i}") for i in range(3)]
        services.create_objective(
            perspective=learning,
            data={"title": f"Objective {n}", "measures": [(i, 1.0) for i in extra]},
        )
    with django_assert_max_num_queries(len(captured)):
        body = anna.get(url).content.decode()
    assert "x3_0, x3_1, x3_2" in body


def test_deleting_a_scorecard_asks_first_then_deletes_it_whole(anna, card):
    scorecard, found = card
    url = reverse("scorecard-delete", args=[scorecard.pk])
    body = anna.get(url).content.decode()
    assert "4 perspectives" in body and "4 objectives" in body and "4 measures" in body
    assert Scorecard.objects.count() == 1
    response = anna.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("scorecard-list")
    assert counts() == (0, 0, 0, 0, 0)
    assert found["nps"].__class__.objects.filter(pk=found["nps"].pk).exists()


# -- perspectives ---------------------------------------------------------------------------------


def test_a_perspective_is_relabelled_reordered_and_reweighted(anna, card):
    scorecard, _found = card
    customer = scorecard.perspectives.get(kind="customer")
    url = reverse("perspective-edit", args=[customer.pk])
    assert 'placeholder="Customer"' in anna.get(url).content.decode()
    response = anna.post(url, {"label": "Policyholders", "position": "0", "weight": "2,5"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.label, customer.position, customer.weight) == ("Policyholders", 0, 2.5)
    # the scorecard total is re-scored with the new weight (hand-worked)
    financial, internal = latest("premium_revenue"), latest("engine_up")
    price = (2 * latest("fast_quote") + latest("nps")) / 3
    total = selectors.scorecard_detail(scorecard=scorecard).total.score
    assert total == pytest.approx((financial + 2.5 * price + internal) / 4.5)


def test_a_negative_perspective_weight_is_refused_on_the_field(anna, card):
    scorecard, _found = card
    customer = scorecard.perspectives.get(kind="customer")
    url = reverse("perspective-edit", args=[customer.pk])
    response = anna.post(url, {"label": "Policyholders", "position": "1", "weight": "-1"})
    assert response.status_code == 400
    assert errors_on(response, "weight") == ["The weight must be 0 or more."]
    customer.refresh_from_db()
    assert (customer.label, customer.weight) == ("", 1.0)


def test_a_deleted_perspective_can_be_added_again_but_not_twice(anna, card):
    scorecard, _found = card
    learning = scorecard.perspectives.get(kind="learning")
    body = anna.get(reverse("perspective-delete", args=[learning.pk])).content.decode()
    assert "Agents know the offer" in body
    response = anna.post(reverse("perspective-delete", args=[learning.pk]))
    assert response.status_code == 302
    assert not Perspective.objects.filter(pk=learning.pk).exists()
    assert not Objective.objects.filter(title="Agents know the offer").exists()

    url = reverse("perspective-create", args=[scorecard.pk])
    body = anna.get(url).content.decode()
    assert '<option value="learning">' in body and '<option value="customer">' not in body
    response = anna.post(url, {"kind": "customer", "label": "", "position": "", "weight": ""})
    assert response.status_code == 400
    assert errors_on(response, "kind") == ["The scorecard already has a customer perspective."]
    response = anna.post(url, {"kind": "learning", "label": "People", "position": "", "weight": ""})
    assert response.status_code == 302
    added = scorecard.perspectives.get(kind="learning")
    assert (added.label, added.weight, added.position) == ("People", 1.0, 3)


# -- objectives -----------------------------------------------------------------------------------


def test_a_customer_objective_asks_for_the_voice_with_the_advice(anna, card):
    scorecard, _found = card
    customer = scorecard.perspectives.get(kind="customer")
    body = anna.get(reverse("objective-create", args=[customer.pk])).content.decode()
    assert 'name="voice"' in body and 'aria-required="true"' in body
    assert "gives me a price while I am still on the page" in body
    assert "normally carries no initiatives" in body
    internal = scorecard.perspectives.get(kind="internal")
    body = anna.get(reverse("objective-create", args=[internal.pk])).content.decode()
    assert '<textarea name="voice"' not in body


def test_an_objective_is_created_with_owner_and_initiatives_then_measures_are_next(
    anna, card, organisation, analyst, other_organisation
):
    scorecard, _found = card
    ours = create_initiative(organisation=organisation, data={"title": "Agent academy"})
    theirs = create_initiative(organisation=other_organisation, data={"title": "Theirs"})
    learning = scorecard.perspectives.get(kind="learning")
    url = reverse("objective-create", args=[learning.pk])
    body = anna.get(url).content.decode()
    assert "Agent academy" in body and "Theirs" not in body

    response = anna.post(url, objective_post(initiatives=[theirs.pk]))
    assert response.status_code == 400 and errors_on(response, "initiatives")
    assert not Objective.objects.filter(title="Agents know every product").exists()

    response = anna.post(url, objective_post(owner=analyst.pk, weight="2", initiatives=[ours.pk]))
    objective = Objective.objects.get(title="Agents know every product")
    assert response.status_code == 302
    assert response["Location"] == reverse("objective-measures", args=[objective.pk])
    assert (objective.perspective, objective.owner, objective.weight) == (learning, analyst, 2.0)
    assert list(objective.initiatives.all()) == [ours]
    assert objective.position == 1  # after "Agents know the offer"


def test_an_owner_must_be_a_member_of_the_organisation(anna, card, other_organisation):
    scorecard, _found = card
    stranger = create_user(organisation=other_organisation, username="olle", role=Role.ANALYST)
    learning = scorecard.perspectives.get(kind="learning")
    url = reverse("objective-create", args=[learning.pk])
    assert "olle" not in anna.get(url).content.decode()
    response = anna.post(url, objective_post(owner=stranger.pk))
    assert response.status_code == 400 and errors_on(response, "owner")


def test_editing_an_objective_keeps_the_voice_and_rescores_with_its_new_weight(anna, card):
    scorecard, _found = card
    price = objective_of(scorecard, "customer")
    url = reverse("objective-edit", args=[price.pk])
    body = anna.get(url).content.decode()
    assert "I get a price while I am still on the page" in body
    post = objective_post(
        perspective=price.perspective_id,
        title="A price while I am still on the page",
        voice="XYZ gives me a price while I am still on the page",
        weight="0,5",
    )
    response = anna.post(url, post)
    assert response.status_code == 302
    assert response["Location"] == reverse("objective-detail", args=[price.pk])
    price.refresh_from_db()
    assert price.voice == "XYZ gives me a price while I am still on the page"
    assert price.weight == 0.5
    # the only objective of its perspective: its perspective score is still its own
    detail = selectors.scorecard_detail(scorecard=scorecard)
    customer = next(p for p in detail.perspectives if p.obj.kind == "customer")
    assert customer.score == pytest.approx((2 * latest("fast_quote") + latest("nps")) / 3)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"weight": "-2"}, "weight", "The weight must be 0 or more."),
        ({"weight": "0"}, "weight", "The weights of the objectives are all 0"),
        ({"title": "  "}, "title", None),
        ({"weight": "lots"}, "weight", "Enter the weight as a number"),
    ],
)
def test_a_refused_objective_edit_shows_the_error_on_the_field(anna, card, fields, field, message):
    scorecard, _found = card
    engine = objective_of(scorecard, "internal")
    post = objective_post(perspective=engine.perspective_id, title=engine.title) | fields
    response = anna.post(reverse("objective-edit", args=[engine.pk]), post)
    assert response.status_code == 400
    found = errors_on(response, field)
    assert found and (message is None or found[0].startswith(message)), found
    engine.refresh_from_db()
    assert (engine.title, engine.weight) == ("Quote engine always up", 1.0)


def test_an_objective_moves_to_another_perspective_of_the_same_scorecard(anna, card):
    scorecard, _found = card
    agents = objective_of(scorecard, "learning")
    internal = scorecard.perspectives.get(kind="internal")
    post = objective_post(perspective=internal.pk, title=agents.title)
    assert anna.post(reverse("objective-edit", args=[agents.pk]), post).status_code == 302
    agents.refresh_from_db()
    assert agents.perspective == internal


def test_deleting_an_objective_lists_its_measures_and_links(anna, card):
    scorecard, found = card
    price = objective_of(scorecard, "customer")
    url = reverse("objective-delete", args=[price.pk])
    body = anna.get(url).content.decode()
    assert "fast_quote" in body and "Premium grows" in body and "Quote engine always up" in body
    assert anna.post(url).status_code == 302
    assert not Objective.objects.filter(pk=price.pk).exists()
    assert ObjectiveLink.objects.count() == 1  # learning -> internal stays
    assert Measure.objects.filter(indicator=found["fast_quote"]).count() == 0


# -- measures -------------------------------------------------------------------------------------


def test_the_measure_choice_shows_say_do_cpi_kpi_and_layer(anna, card):
    scorecard, _found = card
    engine = objective_of(scorecard, "internal")
    body = anna.get(reverse("objective-measures", args=[engine.pk])).content.decode()
    assert "NPS (nps) · what customers say · KPI · impact" in body
    assert "Fast Quote (fast_quote) · CPI · execution" in body
    # the one measuring it already is not offered again
    assert '<option value="engine_up">' not in body


def test_adding_changing_and_removing_a_measure_rescores_the_objective(anna, card):
    scorecard, _found = card
    engine = objective_of(scorecard, "internal")
    url = reverse("objective-measures", args=[engine.pk])
    response = anna.post(url, {"action": "add", "indicator": "nps", "weight": ""})
    assert response.status_code == 302 and response["Location"] == url
    up, nps = latest("engine_up"), latest("nps")
    assert objective_score(scorecard, engine) == pytest.approx((up + nps) / 2)

    measure = Measure.objects.get(objective=engine, indicator__code="nps")
    post = {"action": "weight", "measure": measure.pk, f"m{measure.pk}-weight": "3"}
    assert anna.post(url, post).status_code == 302
    # found by its indicator: a measure row may be replaced when the measures are rewritten
    assert Measure.objects.get(objective=engine, indicator__code="nps").weight == 3.0
    assert objective_score(scorecard, engine) == pytest.approx((up + 3 * nps) / 4)

    measure = Measure.objects.get(objective=engine, indicator__code="nps")
    assert anna.post(url, {"action": "remove", "measure": measure.pk}).status_code == 302
    assert list(engine.measures.values_list("indicator__code", flat=True)) == ["engine_up"]
    assert objective_score(scorecard, engine) == pytest.approx(up)


def test_a_measure_twice_or_of_another_organisation_is_refused(anna, card, other_organisation):
    scorecard, _found = card
    theirs = IndicatorFactory(organisation=other_organisation, code="their_nps")
    engine = objective_of(scorecard, "internal")
    url = reverse("objective-measures", args=[engine.pk])
    response = anna.post(url, {"action": "add", "indicator": "engine_up", "weight": "1"})
    assert response.status_code == 400
    assert [str(e) for e in response.context["add_form"].errors["indicator"]] == [
        "engine_up measures this objective twice."
    ]
    response = anna.post(url, {"action": "add", "indicator": theirs.code, "weight": "1"})
    assert response.status_code == 400 and response.context["add_form"].errors["indicator"]
    assert engine.measures.count() == 1


def test_a_bad_measure_weight_is_refused_beside_the_weight(anna, card):
    scorecard, _found = card
    engine = objective_of(scorecard, "internal")
    url = reverse("objective-measures", args=[engine.pk])
    response = anna.post(url, {"action": "add", "indicator": "nps", "weight": "-1"})
    assert response.status_code == 400
    assert [str(e) for e in response.context["add_form"].errors["weight"]] == [
        "The weight must be 0 or more."
    ]
    measure = engine.measures.get()
    post = {"action": "weight", "measure": measure.pk, f"m{measure.pk}-weight": "0"}
    response = anna.post(url, post)
    assert response.status_code == 400
    assert "are all 0" in response.content.decode()
    assert engine.measures.get().weight == 1.0


def test_a_measure_of_another_objective_cannot_be_changed_here(anna, card):
    scorecard, _found = card
    engine = objective_of(scorecard, "internal")
    other = Measure.objects.get(indicator__code="nps")
    url = reverse("objective-measures", args=[engine.pk])
    response = anna.post(url, {"action": "remove", "measure": other.pk})
    assert response.status_code == 400
    assert Measure.objects.filter(pk=other.pk).exists()


def test_the_measures_page_reads_a_fixed_number_of_queries(
    anna, card, organisation, django_assert_max_num_queries
):
    scorecard, _found = card
    engine = objective_of(scorecard, "internal")
    url = reverse("objective-measures", args=[engine.pk])

    def queries_of_page() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert anna.get(url).status_code == 200
        return len(captured)

    few = queries_of_page()
    extra = [IndicatorFactory(organisation=organisation, code=f"extra_{i}") for i in range(8)]
    services.update_objective(
        objective=engine,
        data={"measures": [(engine.measures.get().indicator, 1.0)] + [(i, 1.0) for i in extra]},
    )
    with django_assert_max_num_queries(few):
        assert anna.get(url).status_code == 200
    assert engine.measures.count() == 9


# -- links ----------------------------------------------------------------------------------------


def test_a_link_is_added_and_removed_from_either_side(anna, card):
    scorecard, _found = card
    agents = objective_of(scorecard, "learning")
    price = objective_of(scorecard, "customer")
    url = reverse("objective-links", args=[agents.pk])
    response = anna.post(url, {"action": "add", "target": price.pk})
    assert response.status_code == 302
    assert ObjectiveLink.objects.filter(source=agents, target=price).exists()
    # from the target's page, as a contributor
    url = reverse("objective-links", args=[price.pk])
    assert "Agents know the offer" in anna.get(url).content.decode()
    response = anna.post(url, {"action": "remove", "source": agents.pk})
    assert response.status_code == 302
    assert not ObjectiveLink.objects.filter(source=agents, target=price).exists()


def test_a_link_that_would_make_a_cycle_is_refused_with_the_cycle_shown(anna, card):
    scorecard, _found = card
    premium = objective_of(scorecard, "financial")
    agents = objective_of(scorecard, "learning")
    url = reverse("objective-links", args=[premium.pk])
    response = anna.post(url, {"action": "add", "target": agents.pk})
    assert response.status_code == 400
    [message] = errors_on(response, "target")
    assert message.startswith("That link would make a cycle:")
    assert "Premium grows" in message and "Agents know the offer" in message
    assert escape(message) in response.content.decode()
    assert not ObjectiveLink.objects.filter(source=premium, target=agents).exists()
    # the same from the other side: premium as a contributor of... its own contributor chain
    url = reverse("objective-links", args=[agents.pk])
    response = anna.post(url, {"action": "add", "source": premium.pk})
    assert response.status_code == 400 and errors_on(response, "source")
    assert ObjectiveLink.objects.count() == 3


def test_another_scorecards_objective_is_not_offered_nor_accepted(anna, card, organisation):
    scorecard, _found = card
    other = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Unit",
            "perspectives": [{"kind": "customer", "objectives": [{"title": "X"}]}],
        },
    )
    theirs = Objective.objects.get(perspective__scorecard=other)
    agents = objective_of(scorecard, "learning")
    url = reverse("objective-links", args=[agents.pk])
    assert f'value="{theirs.pk}"' not in anna.get(url).content.decode()
    response = anna.post(url, {"action": "add", "target": theirs.pk})
    assert response.status_code == 400 and errors_on(response, "target")
    assert not ObjectiveLink.objects.filter(target=theirs).exists()


def test_the_measures_page_shows_the_objectives_say_do_warning_until_it_is_fixed(anna, card):
    scorecard, _found = card
    price = objective_of(scorecard, "customer")
    url = reverse("objective-measures", args=[price.pk])
    assert 'data-code="only_say_measures"' in anna.get(url).content.decode()
    post = {"action": "add", "indicator": "premium_revenue", "weight": "1"}  # a "do" measure
    assert anna.post(url, post).status_code == 302
    assert 'data-code="only_say_measures"' not in anna.get(url).content.decode()


def test_the_objective_form_warns_of_an_initiative_on_a_customer_objective(
    anna, card, organisation
):
    scorecard, _found = card
    price = objective_of(scorecard, "customer")
    url = reverse("objective-edit", args=[price.pk])
    assert 'data-code="initiative_on_customer_objective"' not in anna.get(url).content.decode()
    quote = create_initiative(organisation=organisation, data={"title": "Instant quote"})
    post = objective_post(
        perspective=price.perspective_id, title=price.title, voice=price.voice
    ) | {"initiatives": [quote.pk]}
    assert anna.post(url, post).status_code == 302  # a warning, never a refusal
    assert list(price.initiatives.all()) == [quote]
    assert 'data-code="initiative_on_customer_objective"' in anna.get(url).content.decode()
