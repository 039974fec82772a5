"""Ready mappings for the response webhooks of two survey tools, from their public documentation.

A preset is a function (survey or None) -> a full webhook config: the items, the fields, the
attributes, one answer expression per question of the survey (its current questions: the preset
is expanded when a call arrives), and the signature the tool sends. A connector's config names
it (`{"preset": "typeform"}`) and may override any expression or signature setting; an empty
value keeps the preset's.

**Typeform** (typeform.com/developers/webhooks): the payload is `{"event_id", "event_type":
"form_response", "form_response": {"token", "submitted_at", "hidden": {name: value},
"answers": [{"type": "number", "number": 9, "field": {"id", "type", "ref"}}, ...]}}`. An answer
is found by its question's `ref`, which the form's builder lets you set: give each question the
code of our question (`nps`, `reason`). Signed with HMAC-SHA256 of the raw body, base64, in the
`Typeform-Signature` header as `sha256=<digest>`; no timestamp.

**Tally** (tally.so/help/webhooks): `{"eventId", "eventType": "FORM_RESPONSE", "createdAt",
"data": {"responseId", "respondentId", "createdAt", "fields": [{"key", "label", "type",
"value"}, ...]}}`; hidden fields are fields of type HIDDEN_FIELDS whose label is their name.
Tally's field keys are generated, so an answer is found by its label: the code of our question
(`nps`) or its wording in any of the survey's languages. Signed with HMAC-SHA256 of the body,
base64, in the `Tally-Signature` header; no prefix, no timestamp.

Both keep a tool's resend idempotent: the respondent is the tool's id of the response (Typeform's
`token`, Tally's `responseId`), so a retried delivery changes nothing.
"""

import json

from surveys.models import QuestionType

from ..models import Target

TARGET = Target.RESPONSES  # both presets deliver survey responses
EXPRESSION_GROUPS = ("fields", "segments", "attributes", "answers")


def typeform(survey=None) -> dict:
    """The Typeform response webhook (`form_response` events; other events carry no items)."""
    answers = {}
    for question in _questions(survey):
        found = f"answers[?field.ref=={literal(question.code)}] | [0]"
        answers[question.code] = f"{found}.{_typeform_value(question.type)}"
    return {
        "preset": "typeform",
        "items": "[@][?event_type=='form_response'].form_response",
        "fields": {"respondent": "token", "submitted_at": "submitted_at"},
        "attributes": {"*": "hidden"},
        "answers": answers,
        "signature": {
            "header": "Typeform-Signature",
            "algorithm": "sha256",
            "encoding": "base64",
            "prefix": "sha256=",
        },
    }


def _typeform_value(question_type: str) -> str:
    # Opinion scale, NPS, rating and number answers are {"type": "number", "number": n};
    # short and long text answers are {"type": "text", "text": "..."}.
    return "text" if question_type == QuestionType.TEXT else "number"


def tally(survey=None) -> dict:
    """The Tally form webhook (`FORM_RESPONSE` events)."""
    answers = {}
    for question in _questions(survey):
        names = [question.code, question.text, *(question.texts or {}).values()]
        unique = list(dict.fromkeys(name for name in names if name))
        labels = " || ".join(f"label=={literal(name)}" for name in unique)
        answers[question.code] = f"fields[?type!='HIDDEN_FIELDS' && ({labels})] | [0].value"
    return {
        "preset": "tally",
        "items": "[@][?eventType=='FORM_RESPONSE'].data",
        "fields": {"respondent": "responseId", "submitted_at": "createdAt"},
        "attributes": {"*": "fields[?type=='HIDDEN_FIELDS'].[label, value]"},
        "answers": answers,
        "signature": {
            "header": "Tally-Signature",
            "algorithm": "sha256",
            "encoding": "base64",
            "prefix": "",
        },
    }


PRESETS = {"typeform": typeform, "tally": tally}
PRESET_NAMES = tuple(PRESETS)


def literal(text: str) -> str:
    """`text` as a JMESPath string literal: a raw string ('...', quotes escaped) when it has no
    backslash, else a JSON literal (`"..."`). A raw string cannot carry a backslash before a
    quote or at its end (it escapes the quote), and jmespath.py keeps an escaped backslash
    doubled (`'\\\\'` is two backslashes), so only JSON spells those texts exactly."""
    text = str(text)
    if "\\" not in text:
        return "'" + text.replace("'", "\\'") + "'"
    return "`" + json.dumps(text, ensure_ascii=False).replace("`", "\\`") + "`"


def _questions(survey) -> list:
    if survey is None:
        return []
    return list(survey.questions.all())


def expanded(config: dict, survey=None) -> dict:
    """`config` with its preset filled in (for `survey`'s current questions): every expression
    and signature setting the config leaves empty is the preset's. Without a preset, `config`
    itself. An unknown preset raises KeyError (validate_config refuses it when saved)."""
    name = config.get("preset") or ""
    if not name:
        return config
    base = PRESETS[name](survey)
    result = dict(config)
    result["items"] = _given(config.get("items")) or base["items"]
    for group in EXPRESSION_GROUPS:
        result[group] = {**base.get(group, {}), **_non_empty(config.get(group))}
    result["signature"] = {**base["signature"], **_non_empty(config.get("signature"))}
    return result


def _given(value):
    return value.strip() if isinstance(value, str) else value


def _non_empty(values) -> dict:
    if not isinstance(values, dict):
        return {}
    return {
        name: value
        for name, value in values.items()
        if value is not None and not (isinstance(value, str) and not value.strip())
    }
