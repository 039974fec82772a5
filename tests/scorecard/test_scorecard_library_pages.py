"""The indicator library page: filters, the reader's language, "add" with its code prefilled and
changeable, a clear error for a taken code, and the optional objective."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from indicators.models import Indicator
from scorecard import library
from scorecard.models import Measure
from scorecard.services import create_objective, create_scorecard
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db
ENTRIES = library.entries()


@pytest.fixture(autouse=True)
def language_restored():
    """A request leaves its language active in the thread; later tests expect the default."""
    yield
    translation.deactivate()


@pytest.fixture
def anna(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def ville(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def objective(organisation):
    scorecard = create_scorecard(organisation=organisation, data={"name": "Company"})
    customer = scorecard.perspectives.get(kind="customer")
    return create_objective(
        perspective=customer,
        data={"title": "Price on the page", "voice": "XYZ gives me a price on the page"},
    )


def speak(client, language: str) -> None:
    """The reader's own choice of language (the switcher's cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


def add_url(code: str) -> str:
    return reverse("library-add", args=[code])


# -- the list -------------------------------------------------------------------------------------


def test_the_library_lists_every_measure_in_english(anna):
    response = anna.get(reverse("library"))
    assert response.status_code == 200
    text = response.content.decode()
    for entry in ENTRIES:
        assert f'id="entry-{entry.code}"' in text
    assert "Fast Quote: seconds to a price" in text
    assert "Snabboffert" not in text


def test_the_library_speaks_the_readers_language(anna):
    speak(anna, "fi")
    text = anna.get(reverse("library")).content.decode()
    assert "Pikatarjous: sekunteja hintaan" in text
    assert library.entry_by_code("nothing_broke").definitions["fi"] in text
    assert "Fast Quote: seconds to a price" not in text


@pytest.mark.parametrize(
    ("query", "rule"),
    [
        ({"evidence": "say"}, lambda e: e.evidence == "say"),
        ({"evidence": "none"}, lambda e: e.evidence == ""),
        ({"kind": "cpi"}, lambda e: e.kind == "cpi"),
        (
            {"layer": "prerequisite", "kind": "kpi"},
            lambda e: (e.layer, e.kind) == ("prerequisite", "kpi"),
        ),
    ],
)
def test_filters_show_the_matching_measures_only(anna, query, rule):
    text = anna.get(reverse("library"), query).content.decode()
    shown = {e.code for e in ENTRIES if f'id="entry-{e.code}"' in text}
    assert shown == {e.code for e in ENTRIES if rule(e)}


def test_an_htmx_filter_answers_the_rows_only(anna):
    response = anna.get(reverse("library"), {"layer": "choice"}, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert "<html" not in text and 'id="entry-payment_plan_options"' in text


def test_an_unknown_filter_value_filters_nothing(anna):
    text = anna.get(reverse("library"), {"layer": "strategy"}).content.decode()
    assert all(f'id="entry-{e.code}"' in text for e in ENTRIES)


def test_no_match_says_so(anna):
    # No CPI is about what customers say at the impact layer.
    assert not library.filtered(kind="cpi", layer="impact", evidence="say")
    text = anna.get(
        reverse("library"), {"kind": "cpi", "layer": "impact", "evidence": "say"}
    ).content.decode()
    assert "No measure of the library matches these filters." in text


def test_a_code_in_use_links_to_its_indicator(anna, organisation):
    IndicatorFactory(organisation=organisation, code="nps")
    text = anna.get(reverse("library")).content.decode()
    assert reverse("indicator-detail", args=["nps"]) in text
    assert reverse("indicator-detail", args=["csat"]) not in text


def test_a_viewer_reads_the_library_without_add_buttons_and_cannot_add(ville):
    text = ville.get(reverse("library")).content.decode()
    assert 'id="entry-nps"' in text and add_url("nps") not in text
    assert ville.get(add_url("nps")).status_code == 403
    assert ville.post(add_url("nps"), {"code": "nps", "weight": "1"}).status_code == 403
    assert not Indicator.objects.exists()


def test_the_list_page_takes_the_same_queries_however_many_indicators_exist(
    anna, organisation, django_assert_max_num_queries
):
    anna.get(reverse("library"))
    with django_assert_max_num_queries(20) as few:
        anna.get(reverse("library"))
    for entry in ENTRIES[:30]:
        IndicatorFactory(organisation=organisation, code=entry.code)
    with django_assert_max_num_queries(len(few.captured_queries)):
        anna.get(reverse("library"))


# -- adding ---------------------------------------------------------------------------------------


def test_the_add_page_prefills_the_entrys_code(anna):
    response = anna.get(add_url("first_time_resolution"))
    assert response.status_code == 200
    assert response.context["form"]["code"].value() == "first_time_resolution"
    assert "First Time Resolution" in response.content.decode()


def test_adding_creates_the_indicator_in_the_readers_language(anna, organisation):
    speak(anna, "sv")
    response = anna.post(add_url("quote_turnaround"), {"code": "quote_days", "weight": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("indicator-detail", args=["quote_days"])
    indicator = Indicator.objects.get(organisation=organisation)
    assert (indicator.code, indicator.name, indicator.unit) == (
        "quote_days",
        "Offerttid för företagskunder",
        "dagar",
    )


def test_a_taken_code_is_warned_of_and_refused_on_the_field(anna, organisation):
    IndicatorFactory(organisation=organisation, code="nps")
    page = anna.get(add_url("nps")).content.decode()
    assert "already has an indicator with the code" in page
    response = anna.post(add_url("nps"), {"code": "nps", "weight": "1"})
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [
        "The organisation already has an indicator 'nps'."
    ]
    assert Indicator.objects.filter(organisation=organisation).count() == 1


def test_a_code_that_is_no_code_is_refused(anna):
    response = anna.post(add_url("nps"), {"code": "Net Promoter", "weight": "1"})
    assert response.status_code == 400
    assert "code" in response.context["form"].errors
    assert not Indicator.objects.exists()


def test_adding_onto_an_objective_makes_it_a_measure_and_opens_its_measures(anna, objective):
    response = anna.post(
        add_url("ces"), {"code": "ces", "objective": str(objective.pk), "weight": "2"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("objective-measures", args=[objective.pk])
    measure = Measure.objects.get(objective=objective)
    assert (measure.indicator.code, measure.weight) == ("ces", 2.0)


def test_the_objective_can_be_prefilled_and_lists_the_organisations_objectives_only(
    anna, objective, other_organisation
):
    other = create_scorecard(organisation=other_organisation, data={"name": "Rival card"})
    create_objective(perspective=other.perspectives.first(), data={"title": "Rival objective"})
    response = anna.get(add_url("nps"), {"objective": objective.pk})
    form = response.context["form"]
    assert form["objective"].value() == objective.pk
    text = response.content.decode()
    assert "Price on the page" in text and "Rival objective" not in text


def test_an_objective_of_another_organisation_is_not_a_choice(anna, other_organisation):
    other = create_scorecard(organisation=other_organisation, data={"name": "Rival card"})
    theirs = create_objective(perspective=other.perspectives.first(), data={"title": "Theirs"})
    response = anna.post(
        add_url("nps"), {"code": "nps", "objective": str(theirs.pk), "weight": "1"}
    )
    assert response.status_code == 400
    assert "objective" in response.context["form"].errors
    assert not Indicator.objects.exists() and not Measure.objects.exists()


def test_a_negative_weight_is_refused_on_the_weight(anna, objective):
    response = anna.post(
        add_url("nps"), {"code": "nps", "objective": str(objective.pk), "weight": "-1"}
    )
    assert response.status_code == 400
    assert "weight" in response.context["form"].errors
    assert not Indicator.objects.exists()


def test_an_unknown_entry_is_the_404_page(anna):
    assert anna.get(add_url("no_such_measure")).status_code == 404


def test_an_objective_asked_for_rides_along_on_every_add_link(anna, objective):
    text = anna.get(reverse("library"), {"objective": objective.pk}).content.decode()
    assert "Price on the page" in text
    assert f"{add_url('csat')}?objective={objective.pk}" in text
    filtered = anna.get(
        reverse("library"), {"objective": objective.pk, "layer": "choice"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f"{add_url('delivery_options')}?objective={objective.pk}" in filtered


def test_an_objective_of_another_organisation_is_ignored_on_the_list(anna, other_organisation):
    other = create_scorecard(organisation=other_organisation, data={"name": "Rival card"})
    theirs = create_objective(perspective=other.perspectives.first(), data={"title": "Theirs"})
    text = anna.get(reverse("library"), {"objective": theirs.pk}).content.decode()
    assert "Theirs" not in text
    assert f'href="{add_url("csat")}"' in text
