"""The weight of a chain node's indicator, as an analyst types it: the active language's decimal
separator (en a point, sv and fi a comma), no thousands separator, 0 or more, finite."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from outcomes.forms import MeasureForm, WeightField

NOT_A_NUMBER = {
    "en": "Enter the weight as a number, e.g. 1 or 0.5.",
    "sv": "Enter the weight as a number, e.g. 1 or 0,5.",
    "fi": "Enter the weight as a number, e.g. 1 or 0,5.",
}
GROUPED = {
    "en": "Write the weight without a thousands separator, with “.” before the decimals, e.g. 0.5.",
    "sv": "Write the weight without a thousands separator, with “,” before the decimals, e.g. 0,5.",
    "fi": "Write the weight without a thousands separator, with “,” before the decimals, e.g. 0,5.",
}
NEGATIVE = "The weight must be 0 or more."


def clean(language: str, text):
    with translation.override(language):
        return WeightField().clean(text)


def refusal(language: str, text) -> list[str]:
    with translation.override(language), pytest.raises(ValidationError) as caught:
        WeightField().clean(text)
    return caught.value.messages


@pytest.mark.parametrize(
    ("language", "text", "weight"),
    [
        ("en", "0.5", 0.5),
        ("en", "1000.5", 1000.5),
        ("en", " 2 ", 2.0),
        ("en", "1e3", 1000.0),
        ("en", "0", 0.0),
        ("sv", "0,5", 0.5),
        ("sv", "0,25", 0.25),
        ("fi", "1,5", 1.5),
        ("fi", "1000,5", 1000.5),
        ("en", "", 1.0),
        ("sv", None, 1.0),
    ],
)
def test_a_weight_is_read_in_the_active_languages_notation(language, text, weight):
    assert clean(language, text) == weight


def test_minus_zero_is_a_weight_of_plain_zero():
    assert str(clean("en", "-0")) == "0.0"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "1,000.5"),  # 1000.5 in English, but a weight is a small number
        ("en", "0,5"),  # a decimal comma, or a thousands comma: it cannot be told
        ("en", "1,5"),
        ("en", "1.000,5"),  # German notation: the comma is English's thousands separator
        ("sv", "1 000,5"),
        ("sv", "1\u00a0000"),  # the non-breaking space Swedish groups thousands with
        ("fi", "1\u00a0000,5"),
        ("fi", "10_000"),
    ],
)
def test_a_thousands_separator_is_refused_with_the_languages_own_notation(language, text):
    assert refusal(language, text) == [GROUPED[language]]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "abc"),
        ("sv", "abc"),
        ("en", "nan"),
        ("fi", "NaN"),
        ("en", "inf"),
        ("sv", "-inf"),
        ("fi", "1e400"),  # beyond a float: infinite
        ("sv", "1.000,5"),
        ("sv", "1,000.5"),
        ("fi", "1,5,0"),
    ],
)
def test_what_is_not_a_finite_number_is_refused(language, text):
    assert refusal(language, text) == [NOT_A_NUMBER[language]]


@pytest.mark.parametrize(("language", "text"), [("en", "-1"), ("sv", "-0,5"), ("fi", "-1e-9")])
def test_a_negative_weight_is_refused(language, text):
    assert refusal(language, text) == [NEGATIVE]


@pytest.mark.parametrize(
    ("language", "weight", "shown"),
    [("en", 0.25, "0.25"), ("sv", 0.25, "0,25"), ("fi", 1.0, "1"), ("en", 0.1234567, "0.1234567")],
)
def test_a_stored_weight_is_shown_as_the_field_reads_it_back(language, weight, shown):
    with translation.override(language):
        field = WeightField()
        assert field.prepare_value(weight) == shown
        assert field.clean(shown) == weight


def test_the_error_stands_on_the_rows_weight_field():
    with translation.override("sv"):
        form = MeasureForm({"indicator": "", "weight": "1 000"})
        assert not form.is_valid()
    assert form.errors == {"weight": [GROUPED["sv"]]}


@pytest.mark.parametrize(
    ("language", "text", "message"),
    [
        ("en", "1000001", "The weight must be at most 1,000,000."),
        ("sv", "1e308", "The weight must be at most 1\u00a0000\u00a0000."),
    ],
)
def test_a_weight_above_a_million_is_refused_since_a_nodes_weights_are_summed(
    language, text, message
):
    assert refusal(language, text) == [message]


def test_a_weight_of_a_million_is_taken():
    assert clean("fi", "1000000") == 1_000_000.0
