"""The indicator library: its entries (about 50, en / sv / fi, valid indicators), the loader's
checks, the filters, and `add_from_library` (all or nothing)."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import translation

from core.errors import NotFound
from indicators.models import Aggregation, Direction, Evidence, Indicator, Kind, Layer, Period
from indicators.services import recompute_dirty, update_indicator
from scorecard import library, selectors
from scorecard.models import Measure
from scorecard.services import create_objective, create_scorecard, refresh_scores
from scorecard.services.library import add_from_library
from tests.factories import IndicatorFactory, push
from tests.scorecard.scorecard_data import months

ENTRIES = library.entries()


@pytest.fixture
def customer_objective(organisation):
    scorecard = create_scorecard(organisation=organisation, data={"name": "Company"})
    customer = scorecard.perspectives.get(kind="customer")
    return create_objective(
        perspective=customer,
        data={"title": "A price on the page", "voice": "XYZ gives me a price on the page"},
    )


# -- the entries ----------------------------------------------------------------------------------


def test_the_library_holds_about_fifty_measures_with_unique_codes():
    codes = [entry.code for entry in ENTRIES]
    assert 45 <= len(codes) <= 60
    assert len(set(codes)) == len(codes)


def test_every_entry_is_worded_in_english_swedish_and_finnish_not_copied():
    for entry in ENTRIES:
        for texts in (entry.names, entry.definitions):
            assert set(texts) == {"en", "sv", "fi"}
            assert all(text.strip() for text in texts.values())
        # A definition is a sentence of its own in each language, never the English pasted in.
        assert len(set(entry.definitions.values())) == 3, entry.code
        assert entry.definitions["en"].endswith((".", "”")), entry.code


def test_every_choice_of_an_entry_is_an_indicator_choice():
    for entry in ENTRIES:
        assert entry.kind in Kind.values
        assert entry.evidence in {*Evidence.values, ""}
        assert entry.layer in Layer.values
        assert entry.direction in Direction.values
        assert entry.aggregation in Aggregation.values
        assert entry.period in Period.values


def test_every_layer_and_say_do_and_both_kinds_are_in_the_library():
    assert {entry.layer for entry in ENTRIES} == set(Layer.values)
    assert {entry.evidence for entry in ENTRIES} == {"say", "do", ""}
    assert {entry.kind for entry in ENTRIES} == {"cpi", "kpi"}
    say_layers = {entry.layer for entry in ENTRIES if entry.evidence == "say"}
    do_layers = {entry.layer for entry in ENTRIES if entry.evidence == "do"}
    assert {"impact", "execution"} <= say_layers & do_layers


# (code, kind, evidence, layer, direction, unit in English) of the source's examples.
SOURCE_EXAMPLES = [
    ("fast_quote", "cpi", "", "execution", "lower_is_better", "s"),
    ("quote_turnaround", "cpi", "", "execution", "lower_is_better", "days"),
    ("first_time_resolution", "cpi", "", "execution", "higher_is_better", "%"),
    ("nothing_broke", "cpi", "", "execution", "higher_is_better", "%"),
    ("payment_plan_options", "cpi", "", "choice", "higher_is_better", "options"),
    ("friends_who_like_this", "cpi", "", "choice", "higher_is_better", "friends"),
    ("nps", "kpi", "say", "impact", "higher_is_better", "NPS points"),
    ("renewal_rate", "kpi", "do", "impact", "higher_is_better", "%"),
    ("purchase_frequency", "kpi", "do", "impact", "higher_is_better", "purchases"),
    ("basket_size", "kpi", "do", "impact", "higher_is_better", "EUR"),
    ("market_share", "kpi", "do", "impact", "higher_is_better", "%"),
    ("csat", "kpi", "say", "execution", "higher_is_better", "%"),
    ("ces", "cpi", "say", "execution", "higher_is_better", "points (1–7)"),
    ("complaints", "kpi", "say", "execution", "lower_is_better", "complaints"),
]


@pytest.mark.parametrize(
    ("code", "kind", "evidence", "layer", "direction", "unit"), SOURCE_EXAMPLES
)
def test_the_sources_examples_are_in_the_library(code, kind, evidence, layer, direction, unit):
    entry = library.entry_by_code(code)
    assert (entry.kind, entry.evidence, entry.layer, entry.direction) == (
        kind,
        evidence,
        layer,
        direction,
    )
    assert entry.unit("en") == unit


def test_shares_are_ratios_so_a_period_is_the_sum_of_numerators_over_denominators():
    for entry in ENTRIES:
        if entry.unit("en") == "%" and entry.aggregation not in {"ratio", "last", "mean"}:
            pytest.fail(f"{entry.code}: a share aggregated by {entry.aggregation}")
    assert library.entry_by_code("first_time_resolution").aggregation == "ratio"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "sv", "fi"])
def test_every_entry_creates_a_valid_indicator_in_each_language(organisation, language):
    for entry in ENTRIES:
        add_from_library(organisation=organisation, entry=entry, language=language)
    created = {i.code: i for i in Indicator.objects.filter(organisation=organisation)}
    assert set(created) == {entry.code for entry in ENTRIES}
    for entry in ENTRIES:
        indicator = created[entry.code]
        assert indicator.name == entry.names[language]
        assert indicator.description == entry.definitions[language]
        assert indicator.unit == entry.units[language]
        assert (indicator.kind, indicator.evidence, indicator.layer) == (
            entry.kind,
            entry.evidence,
            entry.layer,
        )
        assert (indicator.direction, indicator.aggregation, indicator.period) == (
            entry.direction,
            entry.aggregation,
            entry.period,
        )
        assert indicator.leading is entry.leading
        assert indicator.leading is (entry.layer != "impact")


# -- the loader -----------------------------------------------------------------------------------


def _good() -> dict:
    return {
        "code": "fast_quote",
        "kind": "cpi",
        "evidence": None,
        "layer": "execution",
        "unit": "s",
        "direction": "lower_is_better",
        "aggregation": "mean",
        "period": "week",
        "leading": True,
        "name": {"en": "Fast Quote", "sv": "Snabboffert", "fi": "Pikatarjous"},
        "definition": {"en": "Seconds.", "sv": "Sekunder.", "fi": "Sekunnit."},
    }


def _write(tmp_path, *measures):
    path = tmp_path / "measures.json"
    path.write_text(json.dumps({"measures": list(measures)}), encoding="utf-8")
    return path


def test_the_loader_reads_a_good_entry_with_one_unit_for_every_language(tmp_path):
    (entry,) = library.load(_write(tmp_path, _good()))
    assert entry.units == {"en": "s", "sv": "s", "fi": "s"}
    assert entry.evidence == ""


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "okr"},
        {"layer": "strategy"},
        {"evidence": "feel"},
        {"aggregation": "average"},
        {"period": "fortnight"},
        {"direction": "up"},
        {"leading": "yes"},
        {"code": "Fast-Quote"},
        {"code": "fast_quote\n"},
        {"name": {"en": "Fast Quote", "sv": "Snabboffert"}},
        {"definition": {"en": "Seconds.", "sv": "Sekunder.", "fi": " "}},
        {"unit": 5},
    ],
)
def test_the_loader_refuses_an_entry_that_would_not_make_a_valid_indicator(tmp_path, change):
    with pytest.raises(ImproperlyConfigured):
        library.load(_write(tmp_path, _good() | change))


def test_the_loader_refuses_a_repeated_code(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="fast_quote"):
        library.load(_write(tmp_path, _good(), _good()))


# -- reading it -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"), [("sv", "sv"), ("sv-se", "sv"), ("fi", "fi"), ("de", "en"), (None, "en")]
)
def test_the_language_is_the_base_language_or_english(code, expected):
    assert library.language_of(code) == expected


def test_the_reader_language_names_an_entry_unless_one_is_given():
    entry = library.entry_by_code("first_time_resolution")
    with translation.override("fi"):
        assert entry.name() == "Ratkaistu ensimmäisellä yhteydenotolla"
        assert entry.name("sv") == "Löst vid första kontakten"


def test_an_unknown_code_is_not_found():
    with pytest.raises(NotFound):
        library.entry_by_code("no_such_measure")


def test_filters_combine_and_none_means_neither_say_nor_do():
    say = library.filtered(evidence="say")
    assert say and all(e.evidence == "say" for e in say)
    neither = library.filtered(evidence="none")
    assert neither and all(e.evidence == "" for e in neither)
    assert len(say) + len(library.filtered(evidence="do")) + len(neither) == len(ENTRIES)
    both = library.filtered(kind="kpi", layer="impact", evidence="do")
    expected = [e for e in ENTRIES if (e.kind, e.layer, e.evidence) == ("kpi", "impact", "do")]
    assert both == expected and len(both) > 3


def test_entries_come_by_layer_in_the_maturity_order():
    layers = [entry.layer for entry in library.filtered()]
    order = ["impact", "execution", "prerequisite", "choice"]
    assert layers == sorted(layers, key=order.index)


# -- adding one -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_uses_the_active_language_and_the_entrys_code(organisation):
    with translation.override("sv"):
        indicator = add_from_library(
            organisation=organisation, entry=library.entry_by_code("quote_turnaround")
        )
    assert (indicator.code, indicator.name, indicator.unit) == (
        "quote_turnaround",
        "Offerttid för företagskunder",
        "dagar",
    )


@pytest.mark.django_db
def test_a_code_of_ones_own_replaces_the_entrys(organisation):
    indicator = add_from_library(
        organisation=organisation, entry=library.entry_by_code("nps"), code="nps_business"
    )
    assert indicator.code == "nps_business" and indicator.kind == "kpi"


@pytest.mark.django_db
def test_a_taken_code_is_refused_on_the_code_and_nothing_is_created(organisation):
    IndicatorFactory(organisation=organisation, code="nps")
    with pytest.raises(ValidationError) as refused:
        add_from_library(organisation=organisation, entry=library.entry_by_code("nps"))
    assert "already has an indicator" in refused.value.message_dict["code"][0]
    assert Indicator.objects.filter(organisation=organisation).count() == 1


@pytest.mark.django_db
def test_the_same_code_in_another_organisation_is_free(organisation, other_organisation):
    IndicatorFactory(organisation=other_organisation, code="nps")
    add_from_library(organisation=organisation, entry=library.entry_by_code("nps"))
    assert Indicator.objects.filter(code="nps").count() == 2


@pytest.mark.django_db
def test_adding_onto_an_objective_makes_it_a_measure_of_that_weight(
    organisation, customer_objective
):
    indicator = add_from_library(
        organisation=organisation,
        entry=library.entry_by_code("fast_quote"),
        objective=customer_objective,
        weight=2.5,
    )
    measure = Measure.objects.get(objective=customer_objective)
    assert (measure.indicator, measure.weight) == (indicator, 2.5)


@pytest.mark.django_db
def test_an_objective_of_another_organisation_is_refused_and_nothing_is_created(
    organisation, other_organisation, customer_objective
):
    with pytest.raises(ValidationError) as refused:
        add_from_library(
            organisation=other_organisation,
            entry=library.entry_by_code("fast_quote"),
            objective=customer_objective,
        )
    assert set(refused.value.message_dict) == {"objective"}
    assert not Indicator.objects.exists() and not Measure.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf")])
def test_a_bad_weight_is_refused_on_the_weight_and_nothing_is_created(
    organisation, customer_objective, weight
):
    with pytest.raises(ValidationError) as refused:
        add_from_library(
            organisation=organisation,
            entry=library.entry_by_code("fast_quote"),
            objective=customer_objective,
            weight=weight,
        )
    assert set(refused.value.message_dict) == {"weight"}
    assert not Indicator.objects.exists()


@pytest.mark.django_db
def test_a_refused_measure_rolls_back_the_indicator_it_was_created_for(
    organisation, customer_objective
):
    # The objective's only other measure weighs 0, so a new one of weight 0 makes all zero:
    # the indicator was already created when the measure is refused, and must go again.
    zero = IndicatorFactory(organisation=organisation, code="zero")
    Measure.objects.create(objective=customer_objective, indicator=zero, weight=0)
    with pytest.raises(ValidationError) as refused:
        add_from_library(
            organisation=organisation,
            entry=library.entry_by_code("nps"),
            objective=customer_objective,
            weight=0,
        )
    assert "all 0" in refused.value.message_dict["weight"][0]
    assert list(Indicator.objects.values_list("code", flat=True)) == ["zero"]
    assert Measure.objects.count() == 1


@pytest.mark.django_db
def test_a_ratio_measure_from_the_library_scores_its_objective_as_worked_by_hand(
    organisation, api, customer_objective
):
    indicator = add_from_library(
        organisation=organisation,
        entry=library.entry_by_code("nothing_broke"),
        objective=customer_objective,
    )
    update_indicator(
        indicator=indicator,
        data={
            "baseline": {"value": 90.0, "date": None},
            "targets": [{"from": months(12)[0], "value": 100.0}],
        },
    )
    latest = months(2)[0]  # the latest complete month
    items = [
        {"indicator": "nothing_broke", "observed_at": f"{latest}T{hour}:00:00+02:00", **parts}
        for hour, parts in (
            ("09", {"numerator": 45, "denominator": 50}),
            ("15", {"numerator": 95, "denominator": 100}),
        )
    ]
    assert push(api, items).status_code == 200
    recompute_dirty()
    scorecard = customer_objective.perspective.scorecard
    refresh_scores(scorecard=scorecard)

    detail = selectors.scorecard_detail(scorecard=scorecard, period_start=latest)
    (objective,) = [row for row in detail.objectives() if row.obj == customer_objective]
    # 100 * (45 + 95) / (50 + 100) = 93.33 % (the mean of 90 % and 95 % would be 92.5 %);
    # progress (93.33 - 90) / (100 - 90) = 1/3
    assert objective.children[0].score == pytest.approx(1 / 3)
    assert objective.score == pytest.approx(1 / 3)
