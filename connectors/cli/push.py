"""Items to the API in chunks: idempotency keys, retries with back-off, counts and reports."""

import hashlib
import json
import math
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import requests

from .exits import EXIT_OK, EXIT_REFUSED, Stop, _, ngettext
from .files import Loaded, problem_line

MAX_CHUNK = 10_000  # the API's limit per request (413 above it)
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
REPLAYED_HEADER = "Idempotent-Replayed"  # the server gave a remembered answer again
# Back-off between attempts: BASE, 2 x BASE, 4 x BASE... at most CAP; a Retry-After wins.
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
_sleep = time.sleep  # replaced by tests that look at the delays without waiting


@dataclass
class Target:
    """Where the items go: the endpoint, the body's list name, and the survey's questions."""

    url: str
    wrapper: str  # "measurements" | "responses"
    survey: str = ""


@dataclass
class Totals:
    chunks_done: int = 0
    items_done: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused_chunks: list[int] = field(default_factory=list)
    refused_items: int = 0


class Client:
    """A `requests` session with the API key, the timeout and the retries of one push."""

    def __init__(self, *, server: str, api_key: str, retries: int, timeout: float, out):
        self.server = server
        self.retries = retries
        self.timeout = timeout
        self.out = out
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Api-Key {api_key}", "User-Agent": "outcome-chain-push"}
        )

    def send(self, method: str, url: str, *, what: str, body: bytes | None = None, key=""):
        """The server's answer to a request, retried on 429/502/503/504 and network errors;
        raises GaveUp after the last attempt."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        attempts = self.retries + 1
        for attempt in range(attempts):
            retry_after = None
            try:
                answer = self.session.request(
                    method, url, data=body, headers=headers, timeout=self.timeout
                )
            except requests.Timeout:
                reason = _("no answer within %(seconds)s s") % {"seconds": self.timeout}
            except requests.ConnectionError:
                reason = _("cannot connect to %(server)s") % {"server": shown(self.server)}
            except requests.RequestException as error:  # a broken answer, a dropped connection
                reason = _("the connection failed (%(error)s)") % {"error": type(error).__name__}
            else:
                if answer.status_code not in RETRIED_STATUSES:
                    return answer
                reason = _("the server answered %(status)s") % {"status": answer.status_code}
                retry_after = answer.headers.get("Retry-After")
            if attempt + 1 == attempts:
                raise GaveUp(reason, attempts)
            delay = backoff_delay(attempt, retry_after)
            self.out.note(
                _("%(what)s: %(reason)s; retrying in %(delay)s s (attempt %(next)s of %(all)s).")
                % {
                    "what": what,
                    "reason": reason,
                    "delay": f"{delay:g}",
                    "next": attempt + 2,
                    "all": attempts,
                }
            )
            _sleep(delay)
        raise AssertionError("unreachable")


def shown(url: str) -> str:
    """`url` without a user name or password in it, for messages."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class GaveUp(Exception):
    def __init__(self, reason: str, attempts: int):
        super().__init__(reason)
        self.reason, self.attempts = reason, attempts


def backoff_delay(attempt: int, retry_after: str | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (from 0): the server's Retry-After
    seconds when it sends them, else BASE x 2^attempt, at most CAP."""
    if retry_after is not None:
        try:
            seconds = float(retry_after)
        except ValueError:
            seconds = None  # an HTTP date: fall back to our own back-off
        if seconds is not None and math.isfinite(seconds) and seconds >= 0:
            return seconds
    return min(BACKOFF_BASE_SECONDS * 2**attempt, BACKOFF_CAP_SECONDS)


def chunk_key(body: bytes, *, content_sha: str, target: Target, index: int, salt: str = "") -> str:
    """The Idempotency-Key of one chunk, from the sha256 of its exact request body.

    The body holds everything that shapes it (the items as read with --time-zone and the survey's
    questions, `dry_run`), so the same command gets the same keys (a rerun after a crash replays
    the chunks already written) and a different body never reuses one (no 409). `salt` (--fresh)
    gives every chunk a new key, so the server works it out anew instead of replaying its answer.
    """
    body_sha = hashlib.sha256(body).hexdigest()
    text = f"{content_sha}:{target.wrapper}:{target.survey}:{index}:{body_sha}:{salt}"
    return "oc-push-" + hashlib.sha256(text.encode()).hexdigest()


def is_replayed(answer) -> bool:
    """The server gave the answer it remembered for this key, not one worked out now."""
    return answer.headers.get(REPLAYED_HEADER, "").lower() == "true"


def server_messages(answer) -> list[dict]:
    """The `errors` of an error answer, or one made of its text when it is not the envelope."""
    try:
        errors = answer.json().get("errors")
    except (ValueError, AttributeError):
        errors = None
    if isinstance(errors, list) and all(isinstance(e, dict) for e in errors):
        return errors
    text = " ".join(answer.text.split())[:200]
    return [{"index": None, "field": "", "message": text or answer.reason or ""}]


def _column_of(name: str) -> str:
    """The file column of a service error's field: `answers.q1` is column q1."""
    for prefix in ("answers.", "attributes."):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


class Output:
    def __init__(self, quiet: bool):
        self.quiet = quiet

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def note(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)

    def error(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)


def push(
    client: Client, loaded: Loaded, target: Target, *, content_sha: str, args, salt: str = ""
) -> int:
    """Send the items chunk by chunk; the exit code. `salt` (--fresh) makes new keys."""
    out, size = client.out, args.chunk_size
    chunks = [loaded.items[i : i + size] for i in range(0, len(loaded.items), size)]
    totals = Totals()
    fresh = bool(salt)
    if fresh:
        out.say(
            _(
                "--fresh: new Idempotency-Keys for this push (salt %(salt)s); the server works "
                "every chunk out anew instead of giving a remembered answer."
            )
            % {"salt": salt}
        )
    for index, chunk in enumerate(chunks):
        what = _("chunk %(n)s/%(all)s") % {"n": index + 1, "all": len(chunks)}
        body = json.dumps(
            {target.wrapper: chunk, "dry_run": args.dry_run},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        key = chunk_key(body, content_sha=content_sha, target=target, index=index, salt=salt)
        try:
            answer = client.send("POST", target.url, what=what, body=body, key=key)
        except GaveUp as gave_up:
            raise Stop(_gave_up_message(what, gave_up, totals, args.dry_run, fresh)) from None
        if answer.status_code == 400:
            _report_refused(out, what, answer, loaded, first=index * size)
            totals.refused_chunks.append(index + 1)
            totals.refused_items += len(chunk)
            if not args.keep_going:
                out.error(_stopped_message(totals, len(chunks), args.dry_run, fresh))
                return EXIT_REFUSED
            continue
        if answer.status_code != 200:
            raise Stop(refusal_message(what, answer, target))
        counts = _counts(answer, what)
        totals.chunks_done += 1
        totals.items_done += len(chunk)
        totals.created += counts["created"]
        totals.updated += counts["updated"]
        totals.unchanged += counts["unchanged"]
        line = _chunk_line(what, len(chunk), counts, args.dry_run)
        if is_replayed(answer):
            line += " " + _("(the first answer again: this chunk was pushed before, nothing new)")
        out.say(line)
    out.say(_totals_line(totals, len(chunks), args.dry_run))
    return EXIT_REFUSED if totals.refused_chunks else EXIT_OK


def _counts(answer, what: str) -> dict:
    try:
        document = answer.json()
        return {name: int(document[name]) for name in ("created", "updated", "unchanged")}
    except (ValueError, TypeError, KeyError, AttributeError):
        raise Stop(
            _(
                "%(what)s: the server's answer is not an Outcome Chain answer (no counts). "
                "Check --server: it is the address of the app, e.g. https://oc.example.org."
            )
            % {"what": what}
        ) from None


def _chunk_line(what: str, size: int, counts: dict, dry_run: bool) -> str:
    values = {"what": what, "items": count_items(size), **counts}
    if dry_run:
        return (
            _(
                "%(what)s (dry run): %(items)s, would create %(created)s, "
                "update %(updated)s, leave %(unchanged)s unchanged"
            )
            % values
        )
    return (
        _("%(what)s: %(items)s, created %(created)s, updated %(updated)s, unchanged %(unchanged)s")
        % values
    )


def _totals_line(totals: Totals, chunks: int, dry_run: bool) -> str:
    values = {
        "items": count_items(totals.items_done),
        "chunks": count_chunks(chunks),
        "created": totals.created,
        "updated": totals.updated,
        "unchanged": totals.unchanged,
        "refused": count_chunks(len(totals.refused_chunks)),
        "refused_items": count_items(totals.refused_items),
    }
    if dry_run:
        line = _(
            "dry run, nothing written: %(items)s in %(chunks)s would create "
            "%(created)s, update %(updated)s, leave %(unchanged)s unchanged"
        )
    else:
        line = _(
            "total: %(items)s in %(chunks)s, created %(created)s, "
            "updated %(updated)s, unchanged %(unchanged)s"
        )
    if totals.refused_chunks:
        line += "; " + _("refused: %(refused)s with %(refused_items)s, nothing of them written")
    return line % values


def count_items(count: int) -> str:
    return ngettext("%(count)s item", "%(count)s items", count) % {"count": count}


def count_chunks(count: int) -> str:
    return ngettext("%(count)s chunk", "%(count)s chunks", count) % {"count": count}


def _written(totals: Totals, dry_run: bool, fresh: bool) -> str:
    if dry_run:
        return _("This was a dry run: nothing was written.")
    if fresh:  # a new salt, new keys: nothing is replayed, the server compares instead
        return _(
            "Written before it: %(chunks)s, %(items)s. Running the same command again is safe: "
            "the items already written come back unchanged."
        ) % {"chunks": count_chunks(totals.chunks_done), "items": count_items(totals.items_done)}
    return _(
        "Written before it: %(chunks)s, %(items)s. Running the same command again is safe: "
        "the written chunks are answered again, not written twice."
    ) % {"chunks": count_chunks(totals.chunks_done), "items": count_items(totals.items_done)}


def _gave_up_message(what: str, gave_up: GaveUp, totals: Totals, dry_run: bool, fresh: bool) -> str:
    return (
        _("%(what)s failed after %(attempts)s attempts: %(reason)s.")
        % {"what": what, "attempts": gave_up.attempts, "reason": gave_up.reason}
        + " "
        + _written(totals, dry_run, fresh)
    )


def _stopped_message(totals: Totals, chunks: int, dry_run: bool, fresh: bool) -> str:
    return (
        _(
            "Stopped at the refused chunk (--keep-going pushes the other chunks). Fix the rows "
            "above and run again: the items already written come back unchanged."
        )
        + " "
        + _written(totals, dry_run, fresh)
    )


def _report_refused(out: Output, what: str, answer, loaded: Loaded, *, first: int) -> None:
    errors = server_messages(answer)
    values = {
        "what": what,
        "errors": ngettext("%(count)s error", "%(count)s errors", len(errors))
        % {"count": len(errors)},
    }
    if is_replayed(answer):
        out.error(
            _(
                "%(what)s refused, nothing of it written (%(errors)s). This is the server's "
                "remembered answer from an earlier push of the same chunk (it keeps answers for "
                "24 hours), not a new check:"
            )
            % values
        )
    else:
        out.error(_("%(what)s refused, nothing of it written (%(errors)s):") % values)
    for error in errors:
        name = str(error.get("field") or "")
        if loaded.tabular:
            name = _column_of(name)
        index = error.get("index")
        if isinstance(index, int) and 0 <= first + index < len(loaded.places):
            place = loaded.places[first + index]
        else:
            place = what
        message = str(error.get("message", ""))
        out.error("  " + (problem_line(place, name, message) if name else f"{place}: {message}"))
    if is_replayed(answer):
        out.error(
            _(
                "If you have fixed this on the server since (created the indicator, say), push "
                "again with --fresh: new keys, so the server checks the chunk anew. A change in "
                "the file makes a new chunk and needs no --fresh."
            )
        )


def refusal_message(what: str, answer, target: Target) -> str:
    status = answer.status_code
    said = "; ".join(str(e.get("message", "")) for e in server_messages(answer))
    if status in (401, 403):
        hint = _(
            "The server refused the API key. Check --api-key (or OUTCOME_CHAIN_API_KEY); an "
            "admin makes one with: python manage.py create_api_key <org-slug> <name>."
        )
    elif status == 404 and target.survey:
        hint = _("There is no survey “%(code)s” in the API key's organisation. Check --survey.") % {
            "code": target.survey
        }
    elif status == 404:
        hint = _("Nothing answers at %(url)s. Check --server: the address of the app.") % {
            "url": shown(target.url)
        }
    elif status == 409:
        hint = _(
            "The chunk's Idempotency-Key was used with a different body within 24 hours (this "
            "tool makes its keys from the bodies, so another client used it). Push again with "
            "--fresh (new keys)."
        )
    elif status == 413:
        hint = _("The chunk is too large for the server. Use a smaller --chunk-size.")
    else:
        hint = _("The server could not take the chunk.")
    return (
        _("%(what)s: the server answered %(status)s: %(said)s")
        % {"what": what, "status": status, "said": said}
        + " "
        + hint
    )
