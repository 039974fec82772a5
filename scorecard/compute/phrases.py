"""Generic objectives: phrases every organisation could write, so they differentiate nothing.

"Keep customers longer" is what everyone wants; a customer objective should say what customers
look for from us. A scorecard keeps its own list (`Scorecard.generic_phrases`, these by
default); an objective whose title or voice contains one of them is flagged, never refused.
"""

import re
import unicodedata

# en / sv / fi, written lower case; matching ignores case, punctuation and repeated spaces.
DEFAULT_GENERIC_PHRASES = (
    "keep customers longer",
    "retain customers",
    "increase the number of customers",
    "get more customers",
    "more customers",
    "satisfied customers",
    "happy customers",
    "increase customer satisfaction",
    "improve customer satisfaction",
    "improve customer experience",
    "be customer-centric",
    "grow market share",
    "behålla kunderna längre",
    "behålla kunder",
    "öka antalet kunder",
    "fler kunder",
    "nöjda kunder",
    "öka kundnöjdheten",
    "förbättra kundupplevelsen",
    "lisätä asiakkaiden määrää",
    "lisää asiakkaita",
    "pitää asiakkaat pidempään",
    "sitouttaa asiakkaat",
    "tyytyväiset asiakkaat",
    "parantaa asiakastyytyväisyyttä",
    "parantaa asiakaskokemusta",
)


def default_generic_phrases() -> list[str]:
    """A new scorecard's list (a fresh list each time: the model's default)."""
    return list(DEFAULT_GENERIC_PHRASES)


def normalised(text: str) -> str:
    """Lower case (casefold), NFC, punctuation and hyphens as spaces, spaces collapsed."""
    text = unicodedata.normalize("NFC", text or "").casefold()
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def generic_phrase_in(text: str, phrases) -> str | None:
    """The first of `phrases` that `text` contains as whole words (normalised), else None."""
    haystack = f" {normalised(text)} "
    for phrase in phrases:
        needle = normalised(phrase)
        if needle and f" {needle} " in haystack:
            return phrase
    return None
