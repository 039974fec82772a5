"""Rolling day aggregates up to longer periods equals aggregating the raw values directly."""

import random

import pytest

from indicators.compute.aggregate import aggregate
from indicators.services.rollup import roll_up

METHODS = ["sum", "mean", "min", "max", "last", "count"]


def _days(seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-50, 200) for _ in range(rng.randint(1, 12))] for _ in range(9)]


@pytest.mark.parametrize("method", METHODS)
def test_roll_up_of_days_equals_aggregate_of_all_values(method):
    days = _days(seed=11)
    rolled = roll_up(method, [aggregate(method, values) for values in days])
    direct = aggregate(method, [v for values in days for v in values])
    assert rolled.count == direct.count == sum(len(values) for values in days)
    assert rolled.value == pytest.approx(direct.value, rel=1e-12)


def test_roll_up_of_ratio_days_is_sum_of_numerators_over_sum_of_denominators():
    days = [aggregate("ratio", [None], [1], [2]), aggregate("ratio", [None], [99], [100])]
    rolled = roll_up("ratio", days)
    assert (rolled.numerator, rolled.denominator) == (100, 102)
    assert rolled.value == pytest.approx(100 * 100 / 102)


def test_roll_up_of_mean_weights_each_day_by_its_count():
    # day 1: mean 10 of 3 values, day 2: mean 40 of 1 value -> (30 + 40) / 4
    rolled = roll_up("mean", [aggregate("mean", [5, 10, 15]), aggregate("mean", [40])])
    assert rolled.value == pytest.approx(17.5)
