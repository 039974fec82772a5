"""Reads of scorecards: scoped to the organisation (another one's objects are not found), the
detail of a period in a number of queries that does not grow with the measures, and the small
reads the pages and the registry use."""

from datetime import date

import pytest

from core.errors import NotFound
from outcomes.services import create_initiative
from scorecard import selectors, services
from scorecard.models import Measure, Objective
from tests.scorecard.scoring_data import FEB, JUL, JUN, MAY, TODAY, indicator, objective, push

pytestmark = pytest.mark.django_db


def one_measure_card(organisation, name="Card", code=None):
    made = indicator(organisation, code or f"{name.lower()}_i", layer="impact")
    return services.create_scorecard(
        organisation=organisation,
        data={
            "name": name,
            "perspectives": [{"kind": "customer", "objectives": [objective("O", (made, 1.0))]}],
        },
    )


def test_scorecards_of_lists_only_the_organisations_own_by_name(organisation, other_organisation):
    b = one_measure_card(organisation, "B")
    a = one_measure_card(organisation, "A")
    one_measure_card(other_organisation, "Theirs")

    assert list(selectors.scorecards_of(organisation=organisation)) == [a, b]


def test_every_read_by_id_is_not_found_in_another_organisation(organisation, other_organisation):
    theirs = one_measure_card(other_organisation, "Theirs")
    perspective = theirs.perspectives.get()
    their_objective = Objective.objects.get(perspective=perspective)
    measure = Measure.objects.get(objective=their_objective)

    for read, pk in (
        (selectors.scorecard_by_id, theirs.pk),
        (selectors.perspective_by_id, perspective.pk),
        (selectors.objective_by_id, their_objective.pk),
        (selectors.measure_by_id, measure.pk),
    ):
        with pytest.raises(NotFound):
            read(organisation=organisation, pk=pk)
        assert read(organisation=other_organisation, pk=pk).pk == pk
    with pytest.raises(NotFound):
        selectors.scorecard_by_id(organisation=other_organisation, pk=theirs.pk + 999)


def test_the_default_period_is_the_latest_complete_one(organisation):
    scorecard = one_measure_card(organisation)

    assert selectors.default_period_start(scorecard, TODAY) == JUN
    assert selectors.default_period_start(scorecard, JUL) == JUN
    assert selectors.period_start_of(scorecard, None, TODAY) == JUN
    assert selectors.period_start_of(scorecard, date(2026, 2, 28), TODAY) == FEB
    services.update_scorecard(scorecard=scorecard, data={"period": "week"})
    assert selectors.period_start_of(scorecard, None, TODAY) == date(2026, 6, 29)


def test_links_and_the_objectives_initiatives_serve(organisation):
    first = create_initiative(organisation=organisation, data={"title": "Quote engine"})
    second = create_initiative(organisation=organisation, data={"title": "Training"})
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Linked",
            "perspectives": [
                {"kind": "customer", "objectives": [{"title": "C", "key": "c"}]},
                {
                    "kind": "internal",
                    "objectives": [
                        {"title": "I", "key": "i", "contributes_to": ["c"], "initiatives": [first]},
                    ],
                },
                {
                    "kind": "learning",
                    "objectives": [
                        {
                            "title": "L",
                            "contributes_to": ["i", "c"],
                            "initiatives": [first, second],
                        },
                    ],
                },
            ],
        },
    )
    ids = dict(Objective.objects.values_list("title", "pk"))

    assert selectors.links_of(scorecard) == [
        (ids["I"], ids["C"]),
        (ids["L"], ids["I"]),
        (ids["L"], ids["C"]),
    ]
    assert selectors.objectives_of_initiatives([first.pk, second.pk, 999]) == {
        first.pk: [ids["I"], ids["L"]],
        second.pk: [ids["L"]],
    }
    detail = selectors.scorecard_detail(scorecard=scorecard, today=TODAY)
    assert detail.links == selectors.links_of(scorecard)
    assert detail.initiatives == {
        ids["C"]: [],
        ids["I"]: [first.pk],
        ids["L"]: sorted([first.pk, second.pk]),
    }


def test_the_detail_lists_parts_in_order_with_no_data_where_nothing_is_scored(organisation):
    made = [indicator(organisation, f"i{n}") for n in range(3)]
    scorecard = services.create_scorecard(
        organisation=organisation,
        data={
            "name": "Order",
            "perspectives": [
                {"kind": "learning", "position": 3},
                {
                    "kind": "customer",
                    "position": 0,
                    "objectives": [
                        objective("Second", (made[2], 1.0), position=1),
                        objective("First", (made[0], 1.0), (made[1], 1.0), position=0),
                    ],
                },
            ],
        },
    )

    detail = selectors.scorecard_detail(scorecard=scorecard, today=TODAY)

    assert [p.obj.kind for p in detail.perspectives] == ["customer", "learning"]
    assert [o.obj.title for o in detail.objectives()] == ["First", "Second"]
    assert [m.obj.indicator.code for m in detail.objectives()[0].children] == ["i0", "i1"]
    assert detail.total.score is None and detail.total.status == "no_data"
    assert detail.total.change is None
    assert detail.period_start == JUN and detail.previous_start == MAY


def big_card(organisation, perspectives: int, objectives: int, measures: int, prefix: str):
    """A scorecard of the given size, every measure on its own indicator with a June value, an
    owner, initiatives and links on every objective."""
    from accounts.models import Role
    from accounts.services import create_user

    owner = create_user(
        organisation=organisation,
        username=f"{prefix}_owner",
        role=Role.ANALYST,
        password="pw-12345!",
    )
    initiative = create_initiative(organisation=organisation, data={"title": f"{prefix} plan"})
    kinds = ("financial", "customer", "internal", "learning")[:perspectives]
    layers = ("impact", "execution", "prerequisite", "choice")
    made = [
        indicator(
            organisation,
            f"{prefix}_{n}",
            layer=layers[n % 4],
            evidence=("say", "do", "")[n % 3],
            kind=("cpi", "kpi")[n % 2],
        )
        for n in range(perspectives * objectives * measures)
    ]
    push(organisation, {i.code: {MAY: 40.0, JUN: 50.0 + n % 50} for n, i in enumerate(made)})
    counter = iter(made)
    data = {"name": prefix, "max_measures_per_objective": 50, "perspectives": []}
    for p, kind in enumerate(kinds):
        items = []
        for o in range(objectives):
            key = f"{p}.{o}"
            items.append(
                objective(
                    f"{kind} {o}",
                    *((next(counter), 1.0 + m) for m in range(measures)),
                    key=key,
                    voice="I get what I need" if o % 2 else "",
                    owner=owner,
                    initiatives=[initiative],
                    contributes_to=[f"{p - 1}.{o}"] if p else [],
                )
            )
        data["perspectives"].append({"kind": kind, "objectives": items})
    return services.create_scorecard(organisation=organisation, data=data)


def test_the_detail_costs_the_same_queries_for_120_measures_as_for_one(
    organisation, django_assert_max_num_queries
):
    small = big_card(organisation, 1, 1, 1, "small")
    big = big_card(organisation, 4, 10, 3, "big")
    assert Measure.objects.filter(objective__perspective__scorecard=big).count() == 120

    with django_assert_max_num_queries(12) as small_queries:
        small_detail = selectors.scorecard_detail(scorecard=small, today=TODAY)
        small_detail.warnings, [p.obj.display_label for p in small_detail.perspectives]
    with django_assert_max_num_queries(len(small_queries)):
        detail = selectors.scorecard_detail(scorecard=big, today=TODAY)
        [p.obj.display_label for p in detail.perspectives]
        [
            (o.obj.owner.username, m.obj.indicator.code)
            for o in detail.objectives()
            for m in o.children
        ]

    assert detail.maturity.level == 4
    assert detail.customer_centricity == {"cpi": 60, "kpi": 60}
    assert len(detail.links) == 30
    assert detail.total.score is not None and detail.total.previous is not None
    assert {w.code for w in detail.warnings} >= {
        "initiative_on_customer_objective",
        "customer_objective_without_voice",
    }


def test_score_history_and_scored_periods_cost_one_query_each(
    organisation, django_assert_num_queries
):
    scorecard = one_measure_card(organisation)
    push(organisation, {"card_i": {MAY: 10.0, JUN: 20.0}})
    services.refresh_scores(scorecard=scorecard)

    with django_assert_num_queries(1):
        assert selectors.scored_periods(scorecard=scorecard) == [JUN, MAY]
    with django_assert_num_queries(1):
        history = selectors.score_history(scorecard=scorecard, end=JUN, count=12)
    assert history[("scorecard", scorecard.pk)] == [(MAY, 0.1), (JUN, 0.2)]
    assert selectors.score_history(scorecard=scorecard, end=JUN, count=0) == {
        key: [(JUN, value[-1][1])] for key, value in history.items()
    }


def test_summaries_agree_with_each_scorecards_detail_in_fixed_queries(
    organisation, other_organisation, django_assert_max_num_queries
):
    small = big_card(organisation, 1, 1, 1, "small")
    big = big_card(organisation, 4, 3, 3, "big")
    quarterly = big_card(organisation, 2, 2, 2, "quarterly")
    services.update_scorecard(scorecard=quarterly, data={"period": "quarter"})
    one_measure_card(other_organisation, "Theirs")

    with django_assert_max_num_queries(12) as queries:
        summaries = selectors.scorecard_summaries(organisation=organisation, today=TODAY)
        [str(p.obj.display_label) for s in summaries for p in s.perspectives]

    assert [s.scorecard for s in summaries] == [big, quarterly, small]
    for summary in summaries:
        detail = selectors.scorecard_detail(scorecard=summary.scorecard, today=TODAY)
        assert summary.period_start == detail.period_start
        assert (summary.total.score, summary.total.status) == (
            detail.total.score,
            detail.total.status,
        )
        assert [(p.obj, p.score, p.status) for p in summary.perspectives] == [
            (p.obj, p.score, p.status) for p in detail.perspectives
        ]
        assert summary.maturity == detail.maturity
        assert summary.warnings_count == len(detail.warnings)
    assert summaries[1].period_start == date(2026, 4, 1)
    assert summaries[1].total.score is not None
    assert summaries[0].maturity.level == 4
    one_measure_card(organisation, "More")
    with django_assert_max_num_queries(len(queries)):
        selectors.scorecard_summaries(organisation=organisation, today=TODAY)
    more = {s.scorecard.name: s for s in selectors.scorecard_summaries(organisation=organisation)}[
        "More"
    ]
    assert (more.total.score, more.total.status, more.maturity.level) == (None, "no_data", 0)


def test_no_scorecards_no_summaries(organisation, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.scorecard_summaries(organisation=organisation, today=TODAY) == []
