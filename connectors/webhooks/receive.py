"""One call of a webhook connector's URL, from the raw request to the answer; every attempt is a Run.

    answer = receive(connector, body=request.body, headers=request.headers)

In order: a paused connector answers 503 with Retry-After (logged as a skipped run); then, inside
the run service's `running` (one transaction, the run log, failures and the owner's
notification): a body over DATA_UPLOAD_MAX_MEMORY_SIZE is 413; a configured signature that is
missing, wrong, or whose timestamp is out of tolerance is 401; a body that is not JSON is 400,
and so is JSON the database cannot store (nested over MAX_DEPTH, a NUL or a lone surrogate);
a payload the expressions cannot read is 400 `{"errors": [{index, field, expression,
message}]}`; items the ingest refuses are 400 with the ingest's errors; else 200 `{"created",
"updated", "unchanged"}` (a resend: all unchanged). Nothing is stored unless all of it is.

Answers use the API's error envelope `{"errors": [{"index", "field", "message"}]}` plus a
`message`; both come from the run (masked), and never quote the signing secret.
"""

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.bulk import WriteConflict

from .. import secrets as connector_secrets
from ..models import Connector, ConnectorKind, Run, RunStatus, RunTrigger
from ..services import PullFailed, deliver, running
from . import presets
from .mapping import MappingFailed, map_payload
from .signature import SignatureRefused, SignatureSettings, check_signature

PAUSED_RETRY_AFTER_SECONDS = 600
MAX_DEPTH = 100  # objects and lists in each other; survey tools send under 10
UNSTORABLE = re.compile("[\\x00\\ud800-\\udfff]")  # NUL (PostgreSQL refuses it), lone surrogates
PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CONFLICT_RETRY_AFTER_SECONDS = 5


@dataclass
class Answer:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)


class CallRefused(PullFailed):
    """A refused call: the HTTP status it answers, the run's message and errors."""

    def __init__(self, status: int, message: str, errors: list[dict]):
        super().__init__(message, errors)
        self.status = status


def connector_for_token(token: str) -> Connector | None:
    """The webhook connector whose URL carries `token`, or None."""
    return (
        Connector.objects.select_related("organisation", "survey__organisation")
        .filter(token_hash=connector_secrets.hash_token(token), kind=ConnectorKind.WEBHOOK)
        .first()
    )


def not_found() -> Answer:
    message = _("No webhook at this URL: check the address, or renew it on the connector page.")
    return Answer(404, {"errors": [_error("token", message)], "message": message})


def receive(
    connector: Connector, *, body: bytes, headers: Mapping[str, str], too_large: bool = False
) -> Answer:
    """Handle one call (see the module doc). `too_large`: the server refused to read the body."""
    with translation.override(connector.organisation.language):
        if connector.paused:
            return _paused(connector)
        return _received(connector, body, headers, too_large)


def _paused(connector: Connector) -> Answer:
    message = _("This webhook is paused; the call was not read. Send it again later.")
    now = timezone.now()
    Run.objects.create(
        connector=connector,
        trigger=RunTrigger.WEBHOOK,
        status=RunStatus.SKIPPED,
        started_at=now,
        finished_at=now,
        message=message,
    )
    return Answer(
        503,
        {"errors": [_error("connector", message)], "message": message},
        {"Retry-After": str(PAUSED_RETRY_AFTER_SECONDS)},
    )


def _received(connector: Connector, body: bytes, headers, too_large: bool) -> Answer:
    outcome = {"status": 500, "headers": {}}
    with running(connector, trigger=RunTrigger.WEBHOOK, lock=False) as run:
        try:
            _deliver_call(connector, run, body, headers, too_large)
        except PullFailed as refused:  # ours (with a status) or the ingest's (400)
            outcome["status"] = getattr(refused, "status", 400)
            raise
        except WriteConflict:
            outcome["status"] = 503
            outcome["headers"] = {"Retry-After": str(CONFLICT_RETRY_AFTER_SECONDS)}
            raise
    if run.status in (RunStatus.SUCCEEDED, RunStatus.SKIPPED):
        return Answer(
            200, {"created": run.created, "updated": run.updated, "unchanged": run.unchanged}
        )
    errors = run.errors or [_error("", run.message)]
    return Answer(outcome["status"], {"errors": errors, "message": run.message}, outcome["headers"])


def _deliver_call(connector: Connector, run: Run, body: bytes, headers, too_large: bool) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if too_large or (limit is not None and len(body) > limit):
        message = _("The body is over %(limit)s bytes; send fewer items per call.") % {
            "limit": limit
        }
        raise CallRefused(413, message, [_error("body", message)])
    config = presets.expanded(connector.config or {}, connector.survey)
    _check_signature(connector, config, body, headers)
    payload = _json(body)
    try:
        items = map_payload(config, payload, target=connector.target)
    except MappingFailed as failed:
        raise CallRefused(400, str(failed), failed.errors) from failed
    if not items:
        run.status = RunStatus.SKIPPED
        run.message = _("The call carried no items; nothing to store.")
        return
    batch = settings.INGEST_MAX_ITEMS
    for start in range(0, len(items), batch):
        deliver(connector, items[start : start + batch], run=run, dry_run=False, first_index=start)


def _check_signature(connector: Connector, config: dict, body: bytes, headers) -> None:
    signature = SignatureSettings.from_config(config.get("signature"))
    if not signature.enabled:
        return
    secret = connector_secrets.decrypt(connector.secrets).get("signing_secret") or ""
    if not secret:
        message = _(
            "This webhook expects signed calls but has no signing secret: enter it on the "
            "connector page."
        )
        raise CallRefused(401, message, [_error("signing_secret", message)])
    try:
        check_signature(signature, secret, body, headers, now=time.time())
    except SignatureRefused as refused:
        raise CallRefused(401, str(refused), [_error(refused.field, str(refused))]) from None


def _json(body: bytes):
    """The parsed body, or CallRefused(400) when it is not JSON or holds what cannot be stored."""
    try:
        payload = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise _unstorable(_too_deep()) from None
    except (ValueError, UnicodeDecodeError) as error:
        message = _("The body is not JSON (%(problem)s); send application/json.") % {
            "problem": _json_problem(error)
        }
        raise CallRefused(400, message, [_error("body", message)]) from None
    problem = _storage_problem(payload)
    if problem:
        raise _unstorable(problem)
    return payload


def _unstorable(problem: str) -> CallRefused:
    message = _("The body cannot be stored: %(problem)s.") % {"problem": problem}
    return CallRefused(400, message, [_error("body", message)])


def _too_deep() -> str:
    return _("it is nested more than %(limit)s deep; send flatter JSON") % {"limit": MAX_DEPTH}


def _storage_problem(payload) -> str:
    """What in `payload` the database cannot store, or "": nesting deeper than MAX_DEPTH, a NUL
    character (valid JSON, refused by PostgreSQL) or a lone surrogate (valid JSON, not text:
    it cannot be encoded as UTF-8), in a value or a key. The message names where, in escapes:
    it never carries the character itself (the run saves it)."""
    pending = [((), payload)]  # (path, value); iterative: deep payloads do not recurse here
    while pending:
        path, value = pending.pop()
        if len(path) > MAX_DEPTH:
            return _too_deep()
        if isinstance(value, str):
            if UNSTORABLE.search(value):
                return _text_problem(value, path)
        elif isinstance(value, dict):
            for key in value:
                if UNSTORABLE.search(key):
                    return _text_problem(key, (*path, key))
            pending.extend(((*path, key), value[key]) for key in reversed(list(value)))
        elif isinstance(value, list):
            pending.extend(((*path, index), value[index]) for index in reversed(range(len(value))))
    return ""


def _text_problem(text: str, path: tuple) -> str:
    bad = UNSTORABLE.search(text).group()
    if bad == "\x00":
        return _("a NUL character (\\u0000) at %(path)s; remove it from the text") % {
            "path": _path_text(path)
        }
    return _(
        "a lone surrogate (%(escape)s) at %(path)s is not a character; send the text as "
        "UTF-8, or escape a character beyond U+FFFF as a pair of surrogates"
    ) % {"escape": _escaped(bad), "path": _path_text(path)}


def _path_text(path: tuple) -> str:
    """readings[0].note, or ["a key"] for a key that is not a plain name; at most 200 chars."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif PLAIN_KEY.match(step):
            text += f".{step}" if text else step
        else:
            text += "[" + _escaped(json.dumps(step, ensure_ascii=False)) + "]"
    if not text:
        return _("the top level")
    return text if len(text) <= 200 else text[:199] + "…"


def _escaped(text: str) -> str:
    """`text` with lone surrogates and NUL written as JSON escapes (\\udc00, \\u0000)."""
    return UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _json_problem(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg}, line {error.lineno} column {error.colno}"
    return str(error)[:200]


def _error(field_name: str, message: str, index=None) -> dict:
    return {"index": index, "field": field_name, "message": message}
