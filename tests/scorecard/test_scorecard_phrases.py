"""Generic phrases match in en / sv / fi whatever the case, punctuation and spacing, as whole
words only."""

import unicodedata

import pytest

from scorecard.compute import default_generic_phrases, generic_phrase_in, normalised

PHRASES = default_generic_phrases()


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Keep customers longer", "keep customers longer"),
        ("KEEP CUSTOMERS LONGER!", "keep customers longer"),
        ("We want to keep   customers\nlonger.", "keep customers longer"),
        ("keep-customers-longer", "keep customers longer"),
        ("Increase the number of customers by 2027", "increase the number of customers"),
        ("Behålla kunderna längre", "behålla kunderna längre"),
        ("BEHÅLLA KUNDERNA LÄNGRE…", "behålla kunderna längre"),
        ("Vi vill: öka antalet kunder!", "öka antalet kunder"),
        ("Lisätä asiakkaiden määrää", "lisätä asiakkaiden määrää"),
        ("LISÄTÄ ASIAKKAIDEN MÄÄRÄÄ.", "lisätä asiakkaiden määrää"),
        ("Tavoite: pitää asiakkaat pidempään", "pitää asiakkaat pidempään"),
        ("Be customer centric", "be customer-centric"),
    ],
)
def test_a_default_phrase_is_found_in_each_language(text, phrase):
    assert generic_phrase_in(text, PHRASES) == phrase


@pytest.mark.parametrize(
    "text",
    [
        "I get a price while I am still on the page",
        "Jag får ett pris medan jag ännu är kvar på sidan",
        "Saan hinnan jo sivulla ollessani",
        "Nothing broke in my delivery",
        "keep customers longest",  # whole words only
        "morecustomers",
        "",
    ],
)
def test_a_differentiating_objective_matches_nothing(text):
    assert generic_phrase_in(text, PHRASES) is None


def test_decomposed_letters_match_their_composed_form():
    decomposed = unicodedata.normalize("NFD", "Behålla kunderna längre")
    assert decomposed != "Behålla kunderna längre"

    assert generic_phrase_in(decomposed, ["behålla kunderna längre"]) == "behålla kunderna längre"
    assert generic_phrase_in("Behålla kunderna längre", [decomposed]) == decomposed


def test_the_scorecards_own_list_is_used_as_written():
    phrases = ["Be the Best!", "  ", ""]

    assert generic_phrase_in("We will be the best insurer", phrases) == "Be the Best!"
    assert generic_phrase_in("Keep customers longer", phrases) is None  # not on this list
    assert generic_phrase_in("anything", []) is None


def test_normalised_text_is_lower_case_words_separated_by_single_spaces():
    assert normalised("  Öka,  ANTALET—kunder_nu! ") == "öka antalet kunder nu"
    assert normalised(None) == ""


def test_the_default_list_covers_the_issues_examples_and_is_a_fresh_list():
    for phrase in (
        "keep customers longer",
        "increase the number of customers",
        "behålla kunderna längre",
        "lisätä asiakkaiden määrää",
    ):
        assert phrase in PHRASES
    default_generic_phrases().append("changed")
    assert "changed" not in default_generic_phrases()
