import statistics

import numpy as np
import pytest

from indicators.compute.aggregate import AGGREGATIONS, Aggregate, aggregate

VALUES = [4.0, 1.5, 9.25, 1.5, 7.0, 3.0]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("sum", float(np.sum(VALUES))),
        ("mean", float(np.mean(VALUES))),
        ("median", float(np.median(VALUES))),
        ("min", float(np.min(VALUES))),
        ("max", float(np.max(VALUES))),
        ("last", 3.0),
        ("count", 6.0),
    ],
)
def test_each_aggregation_matches_an_independent_calculation(method, expected):
    result = aggregate(method, VALUES)
    assert result == Aggregate(pytest.approx(expected), 6, None, None)


def test_median_of_an_even_count_is_the_mean_of_the_two_middle_values():
    # sorted: 1, 3, 5, 11 -> (3 + 5) / 2
    assert aggregate("median", [11.0, 1.0, 5.0, 3.0]).value == 4.0


def test_median_of_an_odd_count_is_the_middle_value():
    assert aggregate("median", [11.0, 1.0, 5.0]).value == statistics.median([1, 5, 11]) == 5.0


def test_last_is_the_last_value_in_storage_order_not_the_largest():
    assert aggregate("last", [5.0, 9.0, 2.0]).value == 2.0


def test_sum_is_exact_where_naive_addition_drifts():
    values = [0.1] * 10
    assert aggregate("sum", values).value == 1.0
    assert sum(values) != 1.0


def test_ratio_is_sum_of_numerators_over_sum_of_denominators():
    result = aggregate("ratio", [50.0, 99.0], numerators=[1, 99], denominators=[2, 100])
    assert result.value == pytest.approx(100 * 100 / 102)  # 98.04 %
    assert result.value != pytest.approx(np.mean([50.0, 99.0]))  # 74.5 %, the wrong answer
    assert (result.numerator, result.denominator, result.count) == (100.0, 102.0, 2)


def test_ratio_without_denominator_has_no_value_but_keeps_its_sums():
    result = aggregate("ratio", [], numerators=[0, 0], denominators=[0, 0])
    assert result == Aggregate(None, 2, 0.0, 0.0)


def test_ratio_skips_items_missing_either_part():
    result = aggregate("ratio", [], numerators=[3, None, 1], denominators=[4, 10, None])
    assert result == Aggregate(75.0, 1, 3.0, 4.0)


def test_ratio_needs_numerators_and_denominators_of_equal_length():
    with pytest.raises(ValueError, match="needs numerators and denominators"):
        aggregate("ratio", [1.0])
    with pytest.raises(ValueError, match="as many numerators"):
        aggregate("ratio", [], numerators=[1, 2], denominators=[3])


@pytest.mark.parametrize("method", AGGREGATIONS)
def test_empty_input_gives_no_value(method):
    assert aggregate(method, [], numerators=[], denominators=[]) == Aggregate(None, 0, None, None)


def test_missing_values_are_skipped_and_not_counted():
    assert aggregate("mean", [2.0, None, 4.0]) == Aggregate(3.0, 2, None, None)
    assert aggregate("count", [None, 1.0]) == Aggregate(1.0, 1, None, None)
    assert aggregate("last", [1.0, None]).value == 1.0
    assert aggregate("max", [None]) == Aggregate(None, 0, None, None)


def test_integer_input_gives_float_values():
    result = aggregate("max", [1, 3, 2])
    assert result.value == 3.0 and isinstance(result.value, float)


def test_unknown_aggregation_is_rejected():
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate("mode", [1.0])
