"""Small numbers typed into forms (weights, thresholds, targets of a score).

A decimal comma or point is accepted in every language, since a Nordic analyst types "0,5" on an
English page as often as on a Swedish one. What the two marks cannot both mean is refused rather
than guessed: "1.000,5" and "1,000.5", spaces and "_" inside the number, more than one mark. The
digits themselves are read by `float()`.
"""

MINUS_SIGNS = ("\u2212", "\u2013")  # the minus sign and the en dash some keyboards give


class GroupedNumber(ValueError):
    """The text groups its digits (a thousands separator), so its decimal mark is ambiguous."""


def small_number(text: str) -> float | None:
    """The number `text` states, None when it is blank.

    Raises GroupedNumber for a grouped number and ValueError for any other text that is not a
    number. NaN and infinities are returned as floats: the caller decides on its range.
    """
    text = text.strip()
    for minus in MINUS_SIGNS:
        text = text.replace(minus, "-")
    if not text:
        return None
    marks = text.count(",") + text.count(".")
    if marks > 1 or "_" in text or any(character.isspace() for character in text):
        raise GroupedNumber(text)
    return float(text.replace(",", "."))


# The largest weight anywhere (an indicator in a chain node, a measure, an objective, a
# perspective): weights are summed as floats, and two weights of 1e308 would overflow the sum.
MAX_WEIGHT = 1_000_000
