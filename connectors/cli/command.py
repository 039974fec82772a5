"""The command line: arguments, reading the file, then the push."""

import argparse
import hashlib
import os
import secrets
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .exits import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, Stop, _, ngettext
from .files import (
    Loaded,
    items_from_json,
    measurements_from_table,
    read_table,
    responses_from_table,
)
from .push import MAX_CHUNK, Client, GaveUp, Output, Target, push, refusal_message


def survey_questions(client: Client, server: str, code: str) -> dict[str, str]:
    """The survey's question codes and types (GET /api/v1/surveys/{code}/)."""
    url = f"{server}/api/v1/surveys/{quote(code, safe='')}/"
    what = _("reading survey %(code)s") % {"code": code}
    try:
        answer = client.send("GET", url, what=what)
    except GaveUp as gave_up:
        raise Stop(
            _("%(what)s failed after %(attempts)s attempts: %(reason)s.")
            % {"what": what, "attempts": gave_up.attempts, "reason": gave_up.reason}
        ) from None
    target = Target(url=url, wrapper="responses", survey=code)
    if answer.status_code != 200:
        raise Stop(refusal_message(what, answer, target))
    try:
        return {q["code"]: q["type"] for q in answer.json()["questions"]}
    except (ValueError, TypeError, KeyError):
        raise Stop(
            _("%(what)s: the server's answer is not an Outcome Chain survey. Check --server.")
            % {"what": what}
        ) from None


def load(path: Path, data: bytes, *, client: Client, server: str, survey: str, tz) -> Loaded:
    wrapper = "responses" if survey else "measurements"
    if path.suffix.lower() == ".json":
        return items_from_json(data, wrapper)
    table = read_table(data, path.name, sheet=wrapper)
    if survey:
        return responses_from_table(table, survey_questions(client, server, survey), tz=tz)
    return measurements_from_table(table, tz=tz)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outcome-chain-push",
        description=_(
            "Push a CSV, XLSX or JSON file of measurements (or, with --survey, survey responses) "
            "to an Outcome Chain server through its API, in chunks that are safe to resend."
        ),
        epilog=_("Exit codes: 0 pushed, 1 items refused, 2 any other problem."),
    )
    parser.add_argument("file", type=Path, help=_("the CSV, XLSX or JSON file"))
    parser.add_argument(
        "--server",
        metavar="URL",
        default=os.environ.get("OUTCOME_CHAIN_SERVER", ""),
        help=_("the app's address, e.g. https://oc.example.org (env OUTCOME_CHAIN_SERVER)"),
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        default=os.environ.get("OUTCOME_CHAIN_API_KEY", ""),
        help=_("the organisation's API key (env OUTCOME_CHAIN_API_KEY)"),
    )
    parser.add_argument(
        "--survey", metavar="CODE", default="", help=_("push responses to this survey (code)")
    )
    parser.add_argument(
        "--chunk-size",
        metavar="N",
        type=int,
        default=1000,
        help=_("items per request, 1-%(max)s (default 1000)") % {"max": MAX_CHUNK},
    )
    parser.add_argument(
        "--dry-run", action="store_true", help=_("check everything and write nothing")
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help=_("push the other chunks after a refused one (exit code 1 all the same)"),
    )
    parser.add_argument(
        "--retries", metavar="N", type=int, default=5, help=_("retries per request (default 5)")
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=120.0,
        help=_("seconds to wait for an answer (120)"),
    )
    parser.add_argument(
        "--time-zone",
        metavar="ZONE",
        default="",
        help=_("read XLSX times without an offset in this zone, e.g. Europe/Helsinki"),
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help=_(
            "new Idempotency-Keys (a random salt): the server checks every chunk anew instead "
            "of giving the answer it remembers from an earlier push of the same chunk (24 h)"
        ),
    )
    parser.add_argument("--quiet", action="store_true", help=_("print only errors, no progress"))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (the console script exits with it)."""
    command = parser()
    args = command.parse_args(argv)
    if not args.server:
        command.error(_("Give the server: --server URL or OUTCOME_CHAIN_SERVER."))
    if not args.server.startswith(("http://", "https://")):
        command.error(
            _("--server must start with http:// or https://, e.g. http://127.0.0.1:8000.")
        )
    if not args.api_key:
        command.error(_("Give an API key: --api-key KEY or OUTCOME_CHAIN_API_KEY."))
    if not 1 <= args.chunk_size <= MAX_CHUNK:
        command.error(_("--chunk-size must be 1-%(max)s.") % {"max": MAX_CHUNK})
    if args.retries < 0 or not args.timeout > 0:
        command.error(_("--retries must be 0 or more and --timeout more than 0."))
    tz = None
    if args.time_zone:
        try:
            tz = ZoneInfo(args.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            command.error(
                _("Unknown time zone “%(zone)s”; write it like Europe/Helsinki.")
                % {"zone": args.time_zone}
            )
    out = Output(args.quiet)
    server = args.server.rstrip("/").removesuffix("/api/v1")
    client = Client(
        server=server, api_key=args.api_key, retries=args.retries, timeout=args.timeout, out=out
    )
    try:
        return _run(args, client, server, out, tz)
    except Stop as stop:
        out.error(str(stop))
        return stop.code
    except KeyboardInterrupt:
        out.error(_("Interrupted. Running the same command again is safe."))
        return EXIT_FAILED


def _run(args, client: Client, server: str, out: Output, tz) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as error:
        raise Stop(
            _("Cannot read %(file)s: %(error)s") % {"file": args.file, "error": error.strerror}
        ) from None
    loaded = load(args.file, data, client=client, server=server, survey=args.survey, tz=tz)
    if loaded.problems:
        count = len(loaded.problems)
        out.error(
            _("%(file)s cannot be pushed as it is (%(problems)s); nothing was sent:")
            % {
                "file": args.file.name,
                "problems": ngettext("%(count)s problem", "%(count)s problems", count)
                % {"count": count},
            }
        )
        for problem in loaded.problems:
            out.error("  " + problem)
        return EXIT_REFUSED
    if not loaded.items:
        out.say(_("%(file)s has no items; nothing was sent.") % {"file": args.file.name})
        return EXIT_OK
    if args.survey:
        url = f"{server}/api/v1/surveys/{quote(args.survey, safe='')}/responses/"
        target = Target(url=url, wrapper="responses", survey=args.survey)
    else:
        target = Target(url=f"{server}/api/v1/measurements/", wrapper="measurements")
    content_sha = hashlib.sha256(data).hexdigest()
    salt = secrets.token_hex(8) if args.fresh else ""
    return push(client, loaded, target, content_sha=content_sha, args=args, salt=salt)
