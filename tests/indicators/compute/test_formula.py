import pytest

from indicators.compute.formula import (
    FormulaError,
    evaluate_formula,
    find_cycle,
    formula_inputs,
    topological_order,
)


def test_won_over_sent_as_a_percentage():
    assert formula_inputs("100 * won / sent") == {"won", "sent"}
    assert evaluate_formula("100 * won / sent", {"won": 12, "sent": 48}) == 25.0


def test_operator_precedence_and_functions():
    values = {"a": 3.0, "b": -4.0, "c_2": 2.0}
    assert evaluate_formula("(a ** 2 + b ** 2) ** 0.5", values) == 5.0
    assert evaluate_formula("-a + +c_2 * 10", values) == 17.0
    assert evaluate_formula("max(a, abs(b), c_2) - min(a, b)", values) == 8.0
    assert evaluate_formula("round(a / 7, 2)", values) == 0.43
    assert evaluate_formula("round(a / 2)", values) == 2.0  # banker's rounding, as Python does
    assert evaluate_formula("2 ** -1", {}) == 0.5


@pytest.mark.parametrize("values", [{"won": 12}, {"won": 12, "sent": None}, {}])
def test_a_missing_input_gives_no_value_never_zero(values):
    assert evaluate_formula("100 * won / sent", values) is None
    assert evaluate_formula("won + sent", values) is None


@pytest.mark.parametrize(
    "expression", ["won / sent", "won / (sent - sent)", "sent ** -1", "1 / (won * 0)"]
)
def test_division_by_zero_gives_no_value(expression):
    assert evaluate_formula(expression, {"won": 3, "sent": 0}) is None


@pytest.mark.parametrize(
    "expression", ["big * big", "big ** 10", "1 / (big * big)", "min(big * big, 1)", "x ** 0.5"]
)
def test_a_non_finite_or_complex_result_gives_no_value(expression):
    assert evaluate_formula(expression, {"big": 1e300, "x": -4}) is None


def test_a_non_finite_input_gives_no_value():
    assert evaluate_formula("a + 1", {"a": float("nan")}) is None


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "is not a formula function"),
        ("a.b", "is not allowed"),
        ("a[0]", "is not allowed"),
        ('"x"', "is not allowed"),
        ("lambda: 1", "is not allowed"),
        ("2**1000", "exponent"),
        ("a ** b", "exponent"),
        ("[x for x in a]", "is not allowed"),
        ("a if b else c", "is not allowed"),
        ("a < b", "is not allowed"),
        ("a // b", "is not allowed"),
        ("a % b", "is not allowed"),
        ("not a", "is not allowed"),
        ("True + 1", "is not allowed"),
        ("1j", "is not allowed"),
        ("a.__class__", "is not allowed"),
        ("(lambda: 1)()", "is not a formula function"),
        ("min(a)", "wrong number of arguments"),
        ("abs(a, b)", "wrong number of arguments"),
        ("round(a, b)", "whole number of digits"),
        ("round(a, 1e400)", "whole number of digits"),
        ("round(a, 0.5)", "whole number of digits"),
        ("2 ** " + "9" * 400, "exponent"),
        ("max(*a)", "plain arguments"),
        ("round(a, ndigits=2)", "plain arguments"),
        ("Won / sent", "'Won' is not a valid name in a formula"),
        ("a +", "not valid"),
        ("a = 1", "not valid"),
        ("", "empty"),
        ("a + " * 200 + "a", "longer than 500"),
    ],
)
def test_constructs_outside_the_whitelist_are_rejected(expression, message):
    with pytest.raises(FormulaError, match=message):
        formula_inputs(expression)
    with pytest.raises(FormulaError):
        evaluate_formula(expression, {"a": 1.0, "b": 2.0, "c": 3.0})


def test_formula_error_is_a_value_error():
    assert issubclass(FormulaError, ValueError)


def test_deep_nesting_is_rejected_not_crashing():
    with pytest.raises(FormulaError):
        formula_inputs("(" * 240 + "a" + ")" * 240)


def test_nesting_is_limited_before_python_recursion_is():
    assert evaluate_formula("-" * 100 + "a", {"a": 2.0}) == 2.0
    assert evaluate_formula("+".join(["a"] * 100), {"a": 2.0}) == 200.0
    with pytest.raises(FormulaError, match="nested more than 100 levels"):
        formula_inputs("-" * 498 + "a")


def test_two_indicators_referring_to_each_other_form_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"a"}}) in (["a", "b", "a"], ["b", "a", "b"])


def test_a_self_reference_is_a_cycle():
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_a_reported_cycle_follows_the_dependencies():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1] and len(cycle) == 4
    assert all(after in graph[before] for before, after in zip(cycle, cycle[1:], strict=False))


def test_an_acyclic_graph_has_no_cycle():
    assert find_cycle({"rate": {"won", "sent"}, "score": {"rate"}}) is None
    assert find_cycle({}) is None


def test_topological_order_puts_dependencies_before_dependants():
    graph = {"score": {"rate", "nps"}, "rate": {"won", "sent"}, "nps": set()}
    order = topological_order(graph)
    assert sorted(order) == ["nps", "rate", "score", "sent", "won"]
    for code, inputs in graph.items():
        assert all(order.index(dep) < order.index(code) for dep in inputs)


def test_topological_order_rejects_a_cycle():
    with pytest.raises(FormulaError, match="cycle: a -> b -> a"):
        topological_order({"a": {"b"}, "b": {"a"}})
