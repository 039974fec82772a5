"""From a webhook's JSON payload to ingest items, with JMESPath expressions (jmespath.org).

    {"items": "form_response",                      # the list of items (one object: [object])
     "fields": {"respondent": "token", "submitted_at": "submitted_at"},
     "attributes": {"*": "hidden", "unit": "hidden.team"},
     "answers": {"nps": "answers[?field.ref=='nps'] | [0].number"}}

`items` is evaluated on the whole payload (empty: the payload itself); every other expression on
one item. Measurements take the fields indicator, observed_at, value, numerator, denominator,
key and comment, and `segments` {dimension: expression}; survey responses take respondent and
submitted_at, `attributes` {name: expression} and `answers` {question code: expression}. A
constant is a JMESPath literal: `'revenue'` (a string), `` `42` `` (any JSON value).

The attribute "*" is special: its expression gives an object ({name: value}) or a list of
[name, value] pairs, each becoming an attribute (named ones override it) — how the presets carry
a survey tool's hidden fields over without naming each one.

An expression that finds nothing gives null: an optional field is then left out (an answer is
sent as null, a skipped answer), a required one is an error naming the item, the field and the
expression. Values are passed on as found; the ingest services judge them (a number as a
string is refused there, as for a push).
"""

from functools import lru_cache

import jmespath
from django.utils.translation import gettext as _
from jmespath.exceptions import JMESPathError, LexerError, ParseError

from ..models import Target

ALL_ATTRIBUTES = "*"
MEASUREMENT_FIELDS = (
    "indicator",
    "observed_at",
    "value",
    "numerator",
    "denominator",
    "key",
    "comment",
)
RESPONSE_FIELDS = ("respondent", "submitted_at")
REQUIRED = {
    Target.MEASUREMENTS: ("indicator", "observed_at"),
    Target.RESPONSES: ("respondent", "submitted_at"),
}
# The groups of named expressions each target takes besides `fields`.
GROUPS = {Target.MEASUREMENTS: ("segments",), Target.RESPONSES: ("attributes", "answers")}
MAX_ERRORS = 100


class MappingFailed(Exception):
    """The payload cannot be read with the connector's expressions. `errors` lists
    {index, field, expression, message}; nothing was stored."""

    def __init__(self, message: str, errors: list[dict]):
        super().__init__(message)
        self.errors = errors


@lru_cache(maxsize=1024)
def compiled(expression: str):
    """The parsed expression (raises jmespath's ParseError / LexerError)."""
    return jmespath.compile(expression)


def compile_problem(expression) -> str | None:
    """Why `expression` is no JMESPath expression, in words, or None when it is one."""
    if not isinstance(expression, str) or not expression.strip():
        return _("Write a JMESPath expression, e.g. form_response.token.")
    try:
        compiled(expression)
    except (ParseError, LexerError) as error:
        return _("Not a JMESPath expression: %(problem)s") % {"problem": _jmespath_words(error)}
    except JMESPathError as error:  # any other complaint of the parser
        return _("Not a JMESPath expression: %(problem)s") % {"problem": _one_line(str(error))}
    return None


def _jmespath_words(error) -> str:
    if isinstance(error, ParseError):
        return _("%(problem)s at character %(position)s") % {
            "problem": _one_line(error.msg),
            "position": error.lex_position,
        }
    return _("%(problem)s at character %(position)s") % {
        "problem": _one_line(error.message),
        "position": error.lexer_position,
    }


def _one_line(text) -> str:
    return " ".join(str(text).split())


def map_payload(config: dict, payload, *, target: str) -> list[dict]:
    """The ingest items of `payload` under the (expanded) `config`; raises MappingFailed."""
    errors: list[dict] = []
    items_expression = (config.get("items") or "").strip()
    raw_items = payload
    if items_expression:
        raw_items = _search(items_expression, payload, None, "items", errors)
        if errors:
            raise MappingFailed(_("The payload cannot be read."), errors)
        if raw_items is None:
            errors.append(
                _error(None, "items", items_expression, _nothing_found(items_expression, "items"))
            )
            raise MappingFailed(_("The payload cannot be read."), errors)
    if isinstance(raw_items, dict):
        raw_items = [raw_items]
    if not isinstance(raw_items, list):
        message = _("It gives %(kind)s, not a list of objects or one object.") % {
            "kind": _kind(raw_items)
        }
        errors.append(_error(None, "items", items_expression or "@", message))
        raise MappingFailed(_("The payload cannot be read."), errors)
    build = _measurement if target == Target.MEASUREMENTS else _response
    items = []
    for index, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            message = _("Item %(index)s is %(kind)s, not a JSON object.") % {
                "index": index,
                "kind": _kind(raw),
            }
            errors.append(_error(index, "items", items_expression or "@", message))
            continue
        items.append(build(config, raw, index, errors))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise MappingFailed(
            _("%(count)s problem(s) reading the payload; nothing was stored.")
            % {"count": len(errors)},
            errors[:MAX_ERRORS],
        )
    return items


def _measurement(config: dict, raw: dict, index: int, errors: list) -> dict:
    item = _fields(config, raw, index, errors, MEASUREMENT_FIELDS, Target.MEASUREMENTS)
    segment = {}
    for dimension, expression in _named(config, "segments"):
        value = _search(expression, raw, index, f"segments.{dimension}", errors)
        if value is not None:
            segment[dimension] = value
    if segment:
        item["segment"] = segment
    return item


def _response(config: dict, raw: dict, index: int, errors: list) -> dict:
    item = _fields(config, raw, index, errors, RESPONSE_FIELDS, Target.RESPONSES)
    attributes = {}
    named = dict(_named(config, "attributes"))
    everything = named.pop(ALL_ATTRIBUTES, "")
    if everything:
        found = _search(everything, raw, index, "attributes.*", errors)
        attributes.update(_pairs(found, everything, index, errors))
    for name, expression in named.items():
        value = _search(expression, raw, index, f"attributes.{name}", errors)
        if value is not None:
            attributes[name] = value
    item["attributes"] = attributes
    item["answers"] = {
        code: _search(expression, raw, index, f"answers.{code}", errors)
        for code, expression in _named(config, "answers")
    }
    return item


def _fields(config, raw, index, errors, names, target) -> dict:
    item = {}
    fields = config.get("fields") or {}
    for name in names:
        expression = (fields.get(name) or "").strip()
        if not expression:
            continue
        before = len(errors)
        value = _search(expression, raw, index, name, errors)
        if value is None:
            if name in REQUIRED[target] and len(errors) == before:
                message = _nothing_found(expression, name, index)
                errors.append(_error(index, name, expression, message))
            continue
        item[name] = value
    return item


def _pairs(found, expression: str, index: int, errors: list) -> dict:
    if found is None:
        return {}
    if isinstance(found, dict):
        return {str(name): value for name, value in found.items()}
    if isinstance(found, list) and all(
        isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) for pair in found
    ):
        return dict(pair for pair in found)
    message = _(
        "Item %(index)s: it gives %(kind)s; “*” needs an object {name: value} or a list of "
        "[name, value] pairs."
    ) % {"index": index, "kind": _kind(found)}
    errors.append(_error(index, "attributes.*", expression, message))
    return {}


def _named(config: dict, group: str) -> list[tuple[str, str]]:
    values = config.get(group) or {}
    return [
        (name, expression.strip())
        for name, expression in values.items()
        if isinstance(expression, str) and expression.strip()
    ]


def _search(expression: str, data, index, field: str, errors: list):
    try:
        return compiled(expression).search(data)
    except JMESPathError as error:  # a function given the wrong type, and the like
        where = _("the payload") if index is None else _("item %(index)s") % {"index": index}
        message = _("It fails on %(where)s: %(problem)s") % {
            "where": where,
            "problem": _one_line(str(error)),
        }
        errors.append(_error(index, field, expression, message))
        return None


def _error(index, field: str, expression: str, message: str) -> dict:
    return {"index": index, "field": field, "expression": expression, "message": message}


def _nothing_found(expression: str, field: str, index=None) -> str:
    values = {"expression": expression, "field": field, "index": index}
    if index is None:
        return _("The expression “%(expression)s” for %(field)s finds nothing in the payload.") % (
            values
        )
    return _("Item %(index)s: the expression “%(expression)s” for %(field)s finds nothing.") % (
        values
    )


def _kind(value) -> str:
    if value is None:
        return _("nothing")
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, list):
        return _("a list")
    return _("an object")
