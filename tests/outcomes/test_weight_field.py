"""The weight of a chain node's indicator, as an analyst types it: a decimal comma or point in
every language, no thousands separator, 0 to a million, finite."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from outcomes.forms import MeasureForm, WeightField


def clean(language: str, text):
    with translation.override(language):
        return WeightField().clean(text)


def refusal(language: str, text) -> tuple[str, list[str]]:
    """The code and the messages of the refusal."""
    with translation.override(language), pytest.raises(ValidationError) as caught:
        WeightField().clean(text)
    return caught.value.error_list[0].code, caught.value.messages


@pytest.mark.parametrize(
    ("language", "text", "weight"),
    [
        ("en", "0.5", 0.5),
        ("en", "0,5", 0.5),  # a Nordic analyst on an English page
        ("en", "1000.5", 1000.5),
        ("en", " 2 ", 2.0),
        ("en", "1e3", 1000.0),
        ("en", "0", 0.0),
        ("sv", "0,5", 0.5),
        ("sv", "0.25", 0.25),
        ("fi", "1,5", 1.5),
        ("fi", "1000,5", 1000.5),
        ("en", "", 1.0),
        ("sv", None, 1.0),
    ],
)
def test_a_weight_is_read_with_a_decimal_comma_or_point(language, text, weight):
    assert clean(language, text) == weight


def test_minus_zero_is_a_weight_of_plain_zero():
    assert str(clean("en", "-0")) == "0.0"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "1,000.5"),  # English grouping
        ("en", "1.000,5"),  # German grouping: once read as 1.0005
        ("sv", "1.000,5"),
        ("sv", "1 000,5"),
        ("sv", "1\u00a0000"),  # the non-breaking space Swedish groups thousands with
        ("fi", "1\u00a0000,5"),
        ("fi", "10_000"),
        ("fi", "1,5,0"),
    ],
)
def test_a_grouped_number_is_refused_rather_than_guessed(language, text):
    assert refusal(language, text)[0] == "grouped"


def test_the_grouped_message_shows_the_languages_decimal_mark():
    assert refusal("en", "1,000.5")[1] == [
        "Write the weight without a thousands separator, e.g. 1 or 0.5."
    ]


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
        ("en", "0x10"),
    ],
)
def test_what_is_not_a_finite_number_is_refused(language, text):
    assert refusal(language, text)[0] == "invalid"
    assert refusal("en", text)[1] == ["Enter the weight as a number, e.g. 1 or 0.5."]


@pytest.mark.parametrize(
    ("language", "text"), [("en", "-1"), ("sv", "-0,5"), ("fi", "-1e-9"), ("en", "\u22121")]
)
def test_a_negative_weight_is_refused(language, text):
    assert refusal(language, text)[0] == "min_value"
    assert refusal("en", text)[1] == ["The weight must be 0 or more."]


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
    form = MeasureForm({"indicator": "", "weight": "1 000"})
    assert not form.is_valid()
    assert list(form.errors) == ["weight"]
    assert form.errors["weight"][0].startswith("Write the weight without a thousands separator")


@pytest.mark.parametrize(
    ("language", "text", "most"),
    [("en", "1000001", "1,000,000"), ("sv", "1e308", "1\u00a0000\u00a0000")],
)
def test_a_weight_above_a_million_is_refused_since_a_nodes_weights_are_summed(language, text, most):
    code, messages = refusal(language, text)
    assert code == "max_value"
    assert most in messages[0]


def test_a_weight_of_a_million_is_taken():
    assert clean("fi", "1000000") == 1_000_000.0
