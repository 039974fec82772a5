"""Formula indicators: a safe evaluator over other indicators' codes, and dependency ordering.

A formula refers to an indicator by its code, which must therefore be a valid name here:
lowercase letters, digits and `_`, not starting with a digit (e.g. `100 * won / sent`).
The expression is parsed with `ast` and walked node by node; it is never passed to eval/compile.
"""

from __future__ import annotations

import ast
import graphlib
import math
import operator
import re
from collections.abc import Callable, Mapping

MAX_LENGTH = 500
MAX_EXPONENT = 10
MAX_DEPTH = 100  # nesting of operations; keeps the recursive walk far from Python's limit

_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: math.pow,  # a real power or ValueError, never a complex number
}
_UNARY: dict[type[ast.unaryop], Callable[[float], float]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
# function name -> allowed numbers of positional arguments (None: two or more)
_FUNCTIONS: dict[str, tuple[int, ...] | None] = {
    "min": None,
    "max": None,
    "abs": (1,),
    "round": (1, 2),
}


class FormulaError(ValueError):
    """The expression is not a formula this evaluator accepts."""


def _parse(expression: str) -> ast.expr:
    if not isinstance(expression, str) or not expression.strip():
        raise FormulaError("the formula is empty")
    if len(expression) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"the formula is not valid: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise FormulaError("the formula is nested too deeply") from None
    return tree.body


def _is_number(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


def _literal(node: ast.AST) -> float | None:
    """Value of a number literal, optionally signed; None if `node` is anything else."""
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        inner = _literal(node.operand)
        return None if inner is None else _UNARY[type(node.op)](inner)
    if not _is_number(node):
        return None
    try:
        return float(node.value)
    except OverflowError:  # an integer literal beyond float range
        return math.inf


def _check(node: ast.AST, names: set[str], depth: int = 0) -> None:
    """Raise FormulaError unless every node is whitelisted; collect referenced names."""
    if depth > MAX_DEPTH:
        raise FormulaError(f"the formula is nested more than {MAX_DEPTH} levels deep")
    if _is_number(node):
        return
    if isinstance(node, ast.Name):
        if not _NAME.fullmatch(node.id):
            raise FormulaError(f"'{node.id}' is not a valid name in a formula")
        names.add(node.id)
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        if isinstance(node.op, ast.Pow):
            exponent = _literal(node.right)
            if exponent is None or abs(exponent) > MAX_EXPONENT:
                raise FormulaError(
                    f"an exponent must be a number between -{MAX_EXPONENT} and {MAX_EXPONENT}"
                )
        _check(node.left, names, depth + 1)
        _check(node.right, names, depth + 1)
    elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _check(node.operand, names, depth + 1)
    elif isinstance(node, ast.Call):
        _check_call(node, names, depth)
    else:
        raise FormulaError(f"'{ast.unparse(node)}' is not allowed in a formula")


def _check_call(node: ast.Call, names: set[str], depth: int) -> None:
    allowed = ", ".join(_FUNCTIONS)
    if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
        raise FormulaError(f"'{ast.unparse(node.func)}' is not a formula function ({allowed})")
    name, arity = node.func.id, _FUNCTIONS[node.func.id]
    if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
        raise FormulaError(f"{name}() takes plain arguments only")
    if (arity is None and len(node.args) < 2) or (arity and len(node.args) not in arity):
        raise FormulaError(f"{name}() has the wrong number of arguments")
    if name == "round" and len(node.args) == 2:
        digits = _literal(node.args[1])
        if digits is None or not math.isfinite(digits) or digits != int(digits):
            raise FormulaError("round() needs a whole number of digits, e.g. round(x, 1)")
    for arg in node.args:
        _check(arg, names, depth + 1)


def formula_inputs(expression: str) -> set[str]:
    """Indicator codes referenced by `expression`; FormulaError if it is not a valid formula.

    Allowed: numbers, codes, + - * / (binary), unary + -, ** with a literal exponent in
    [-10, 10], and min(a, b, ...), max(a, b, ...), abs(x), round(x[, digits]).
    """
    names: set[str] = set()
    _check(_parse(expression), names)
    return names


def _evaluate(node: ast.expr, values: Mapping[str, float]) -> float:
    """Value of a checked node; ArithmeticError or ValueError when it is not a finite real."""
    result = _evaluate_node(node, values)
    # Checked at every step, so an overflow cannot vanish later (1 / inf, min(nan, 1)).
    if not math.isfinite(result):
        raise OverflowError("not a finite number")
    return result


def _evaluate_node(node: ast.expr, values: Mapping[str, float]) -> float:
    # Every number is a float, so results overflow to an error instead of growing without bound.
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, values))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    args = [_evaluate(arg, values) for arg in node.args]
    if node.func.id == "round":
        return float(round(args[0], int(args[1]))) if len(args) == 2 else float(round(args[0]))
    return {"min": min, "max": max, "abs": abs}[node.func.id](*args)


def evaluate_formula(expression: str, values: Mapping[str, float | None]) -> float | None:
    """Value of `expression` with each code replaced by its value for the same period.

    None when any referenced input is missing or None (a missing input is never 0), on division
    by zero, and when the result is not a finite real number.
    """
    tree = _parse(expression)
    names: set[str] = set()
    _check(tree, names)
    inputs: dict[str, float] = {}
    for name in names:
        value = values.get(name)
        if value is None:
            return None
        inputs[name] = float(value)
    try:
        return _evaluate(tree, inputs)
    except (ArithmeticError, ValueError):
        return None


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One dependency cycle in `graph` (code -> codes it depends on), or None.

    The cycle is returned as [a, b, ..., a] where each code depends on the next one.
    """
    try:
        _sorter(graph).prepare()
    except graphlib.CycleError as exc:
        # graphlib lists each node before the nodes that depend on it; reverse to "depends on".
        return list(reversed(exc.args[1]))
    return None


def topological_order(graph: Mapping[str, set[str]]) -> list[str]:
    """All codes in `graph` (keys and dependencies), each after every code it depends on."""
    try:
        return list(_sorter(graph).static_order())
    except graphlib.CycleError as exc:
        cycle = " -> ".join(reversed(exc.args[1]))
        raise FormulaError(f"formulas refer to each other in a cycle: {cycle}") from None


def _sorter(graph: Mapping[str, set[str]]) -> graphlib.TopologicalSorter[str]:
    # Sorted insertion keeps the order (and the reported cycle) deterministic.
    return graphlib.TopologicalSorter({code: sorted(graph[code]) for code in sorted(graph)})
