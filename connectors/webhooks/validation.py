"""The rules of a webhook connector's settings, checked when it is saved.

`validate_config(config, secrets, *, target) -> {field: message}` (empty when fine), with field
names such as "preset", "items", "fields.respondent", "answers.nps", "signature.algorithm",
"signing_secret". A preset fills the expressions it knows; what remains must name every
required field, and every expression must compile.
"""

import re

from django.utils.translation import gettext as _

from ..models import Target
from . import presets
from .mapping import (
    ALL_ATTRIBUTES,
    GROUPS,
    MEASUREMENT_FIELDS,
    REQUIRED,
    RESPONSE_FIELDS,
    compile_problem,
)
from .signature import ALGORITHMS, ENCODINGS, MAX_TOLERANCE_SECONDS, SIGNED

HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")  # an HTTP token (RFC 9110)
FIELDS = {Target.MEASUREMENTS: MEASUREMENT_FIELDS, Target.RESPONSES: RESPONSE_FIELDS}
ALL_GROUPS = ("segments", "attributes", "answers")
EXAMPLES = {
    "indicator": "'revenue'",
    "observed_at": "created_at",
    "respondent": "token",
    "submitted_at": "submitted_at",
}


def validate_config(config: dict, secrets: dict, *, target: str) -> dict[str, str]:
    """{field: message} for every problem of a webhook connector's `config` and `secrets`."""
    errors: dict[str, str] = {}
    if not isinstance(config, dict):
        return {"config": _("The settings must be a JSON object.")}
    target = target if target in FIELDS else Target.MEASUREMENTS
    if not _check_shape(config, errors):
        return errors
    if not _check_preset(config, target, errors):
        return errors
    merged = presets.expanded(config, None)
    _check_items(merged, errors)
    _check_fields(merged, target, errors)
    _check_groups(merged, target, errors)
    _check_signature(merged.get("signature") or {}, secrets or {}, errors)
    return errors


def _check_shape(config: dict, errors: dict) -> bool:
    if not isinstance(config.get("preset", ""), str | type(None)):
        errors["preset"] = _("Name a preset (typeform, tally) or leave it empty.")
    if not isinstance(config.get("items", ""), str | type(None)):
        errors["items"] = _("Write the items as one JMESPath expression, or leave it empty.")
    for group in ("fields", *ALL_GROUPS):
        values = config.get(group)
        if values is None:
            continue
        if not isinstance(values, dict) or not all(
            isinstance(name, str) and isinstance(value, str | type(None))
            for name, value in values.items()
        ):
            errors[group] = _("Give %(group)s as an object of {name: JMESPath expression}.") % {
                "group": group
            }
    if not isinstance(config.get("signature", {}), dict | type(None)):
        errors["signature"] = _("Give the signature settings as an object.")
    return not errors


def _check_preset(config: dict, target: str, errors: dict) -> bool:
    name = config.get("preset") or ""
    if not name:
        return True
    if name not in presets.PRESETS:
        errors["preset"] = _("Unknown preset “%(name)s”: choose one of %(names)s.") % {
            "name": name,
            "names": ", ".join(presets.PRESET_NAMES),
        }
        return False
    if target != presets.TARGET:
        errors["preset"] = _(
            "The %(name)s preset delivers survey responses: choose survey responses and the "
            "survey, or map measurements without a preset."
        ) % {"name": name}
        return False
    return True


def _check_items(config: dict, errors: dict) -> None:
    expression = (config.get("items") or "").strip()
    if expression:
        problem = compile_problem(expression)
        if problem:
            errors["items"] = problem


def _check_fields(config: dict, target: str, errors: dict) -> None:
    fields = config.get("fields") or {}
    allowed = FIELDS[target]
    for name, expression in fields.items():
        key = f"fields.{name}"
        if name not in allowed:
            errors[key] = _("Unknown field “%(name)s”: %(target)s take %(names)s.") % {
                "name": name,
                "target": Target(target).label,
                "names": ", ".join(allowed),
            }
        elif expression and expression.strip():
            problem = compile_problem(expression)
            if problem:
                errors[key] = problem
    for name in REQUIRED[target]:
        key = f"fields.{name}"
        if key not in errors and not (fields.get(name) or "").strip():
            errors[key] = _(
                "Say where %(name)s is in each item: a JMESPath expression such as %(example)s."
            ) % {"name": name, "example": EXAMPLES[name]}
    if target == Target.MEASUREMENTS and not any(
        (fields.get(name) or "").strip() for name in ("value", "numerator", "denominator")
    ):
        errors["fields.value"] = _(
            "Say where the value is (or the numerator and denominator of a ratio indicator)."
        )


def _check_groups(config: dict, target: str, errors: dict) -> None:
    allowed = GROUPS[target]
    for group in ALL_GROUPS:
        values = {
            name: expression
            for name, expression in (config.get(group) or {}).items()
            if expression and expression.strip()
        }
        if values and group not in allowed:
            errors[group] = _("%(target)s take %(groups)s, not %(group)s.") % {
                "target": Target(target).label.capitalize(),
                "groups": _(" and ").join(allowed),
                "group": group,
            }
            continue
        for name, expression in values.items():
            key = f"{group}.{name}"
            if not name.strip() or (name == ALL_ATTRIBUTES and group != "attributes"):
                errors[key] = _("Give each entry of %(group)s a name.") % {"group": group}
                continue
            problem = compile_problem(expression)
            if problem:
                errors[key] = problem
    if (
        target == Target.RESPONSES
        and not config.get("preset")
        and not any((e or "").strip() for e in (config.get("answers") or {}).values())
    ):
        errors["answers"] = _(
            "Map at least one answer: {question code: JMESPath expression}, or use a preset."
        )


def _check_signature(signature: dict, secrets: dict, errors: dict) -> None:
    header = signature.get("header") or ""
    for name in ("header", "timestamp_header"):
        value = signature.get(name) or ""
        if value and (not isinstance(value, str) or not HEADER_NAME.match(value)):
            errors[f"signature.{name}"] = _(
                "Write a header name such as X-Signature (letters, digits and hyphens)."
            )
    if not isinstance(signature.get("prefix") or "", str):
        errors["signature.prefix"] = _("Write the prefix as text, e.g. sha256=.")
    algorithm = signature.get("algorithm") or "sha256"
    if algorithm not in ALGORITHMS:
        errors["signature.algorithm"] = _("Choose %(choices)s.") % {
            "choices": ", ".join(ALGORITHMS)
        }
    encoding = signature.get("encoding") or "hex"
    if encoding not in ENCODINGS:
        errors["signature.encoding"] = _("Choose hex or base64: how the digest is written.")
    tolerance = signature.get("tolerance_seconds")
    if tolerance not in (None, "") and (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int)
        or not 1 <= tolerance <= MAX_TOLERANCE_SECONDS
    ):
        errors["signature.tolerance_seconds"] = _(
            "Allow 1 to %(max)s seconds between the sender's clock and ours."
        ) % {"max": MAX_TOLERANCE_SECONDS}
    signed = signature.get("signed") or "body"
    if signed not in SIGNED:
        errors["signature.signed"] = _(
            "Choose body (the raw body is signed) or timestamp.body (“<timestamp>.<body>”)."
        )
    elif signed == "timestamp.body" and not signature.get("timestamp_header"):
        errors["signature.timestamp_header"] = _(
            "Name the header that carries the timestamp the sender signs."
        )
    elif signed == "body" and signature.get("timestamp_header"):
        # A timestamp outside the signature guards nothing: a captured call is replayed with a
        # fresh timestamp header, and still matches.
        errors["signature.signed"] = _(
            "A timestamp guards against replays only when it is signed: choose timestamp.body "
            "(the sender signs “<timestamp>.<body>”), or clear the timestamp header."
        )
    if signature.get("timestamp_header") and not header:
        errors["signature.header"] = _(
            "Name the signature header too: a timestamp guards against replays only when it "
            "is signed."
        )
    if header and not (secrets.get("signing_secret") or ""):
        errors["signing_secret"] = _(
            "Enter the signing secret the sender uses, or clear the signature header."
        )
