"""File pull: a CSV or XLSX file fetched from an http(s) URL, read with the upload's parsers.

    config  {"url": "https://files.example.com/kpi/measurements.xlsx", "sheet": "measurements"}
    secrets {"headers": {"Authorization": "Bearer ..."}}        (optional)

The file is read exactly as an upload of it would be: measurements with
`indicators.upload.read_upload` (the upload template's columns), survey responses with
`surveys.upload.read_responses` (respondent, submitted_at, question codes, background
variables); `sheet` names the XLSX sheet (default: the upload's own, "measurements" or
"responses"). There is one parser, not two.

An unchanged file is not read again: the request carries `If-None-Match` / `If-Modified-Since`
from the last successful run (`Connector.file_state`), a 304 is a skipped run, and a body with
the same SHA-256 as last time is skipped too (servers without validators). Rows go to the
connector's target in batches of INGEST_MAX_ITEMS inside the run's one transaction, so a file
is written completely or not at all; every error names the file's line and column.

An unreachable server, a timeout, 5xx and 429 are transient (SourceUnavailable: retried with
back-off); any other refusal, a file over the upload size limit or rows that cannot be read or
are refused fail the run for good (PullFailed). The secret headers are sent to the URL's host
only (dropped when a redirect leads elsewhere) and every message is masked.
"""

import hashlib
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from indicators import upload
from surveys import upload as survey_upload

from .. import secrets as connector_secrets
from ..models import Connector, Run, RunStatus, Target
from ..services.errors import PullFailed, SourceUnavailable
from ..services.sink import deliver

MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
SHEET_NAME_MAX = 31  # Excel's limit
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an RFC 9110 token
TRANSIENT_STATUSES = {429}  # and every 5xx


def validate_config(config: dict, secrets: dict, *, target: str) -> dict[str, str]:
    """{field: message} for what is wrong with a file pull's settings; empty when fine."""
    errors = {}
    url_problem = _url_problem(config.get("url"))
    if url_problem:
        errors["url"] = url_problem
    sheet = config.get("sheet")
    if sheet not in (None, ""):
        if not isinstance(sheet, str) or not sheet.strip():
            errors["sheet"] = _("Give the sheet's name as text, or leave it empty.")
        elif len(sheet) > SHEET_NAME_MAX:
            errors["sheet"] = _("An Excel sheet name has at most %(max)s characters.") % {
                "max": SHEET_NAME_MAX
            }
    headers_problem = _headers_problem(secrets.get("headers"))
    if headers_problem:
        errors["headers"] = headers_problem
    return errors


def _url_problem(url) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return _("Give the URL of the file, starting with https:// or http://.")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return _("The URL cannot be read; write it as https://example.com/path/file.csv.")
    if parts.scheme.lower() not in ("http", "https"):
        return _(
            "The URL must start with https:// or http:// (the file is fetched over HTTP), "
            "not “%(scheme)s”."
        ) % {"scheme": parts.scheme or url.strip()[:20]}
    if not parts.hostname:
        return _("The URL names no server; write it as https://example.com/path/file.csv.")
    if parts.username or parts.password:
        return _(
            "Do not put a user name or password in the URL (settings are not secret); give an "
            "Authorization header instead."
        )
    return None


def _headers_problem(headers) -> str | None:
    if headers in (None, "", {}):
        return None
    if not isinstance(headers, dict):
        return _("Give the request headers as names with their values.")
    for name, value in headers.items():
        if not isinstance(name, str) or not HEADER_NAME.match(name):
            return _(
                "“%(name)s” is not a header name: use letters, digits and dashes, "
                "e.g. Authorization or X-Api-Key."
            ) % {"name": str(name)[:40]}
        if not isinstance(value, str) or not value.strip():
            return _("Give the header %(name)s a text value, or remove it.") % {"name": name}
        if any(char in value for char in "\r\n\0"):
            # The value is secret: say which header, never what it holds.
            return _("The value of the header %(name)s must be one line.") % {"name": name}
    return None


@dataclass
class Fetched:
    status: int
    body: bytes = b""
    name: str = ""  # the file name at the final URL, which tells CSV from XLSX
    etag: str = ""
    last_modified: str = ""


def pull(connector: Connector, *, run: Run, dry_run: bool) -> None:
    """Fetch the file, skip it when unchanged, read it and deliver every row (or none)."""
    values = _secrets(connector)
    try:
        _pull(connector, values, run=run, dry_run=dry_run)
    except (SourceUnavailable, PullFailed) as error:
        # Drivers and servers may quote what they were sent: mask before the run stores it.
        masked = connector_secrets.mask(str(error), values)
        if isinstance(error, SourceUnavailable):
            raise SourceUnavailable(masked) from None
        raise PullFailed(masked, error.errors) from None


def _pull(connector: Connector, values: dict, *, run: Run, dry_run: bool) -> None:
    url = (connector.config or {}).get("url")
    problem = _url_problem(url)
    if problem:  # a connector saved around the service's checks
        raise PullFailed(problem)
    state = connector.file_state or {}
    fetched = _fetch(url.strip(), values.get("headers") or {}, state)
    if fetched.status == 304:
        if not (state.get("etag") or state.get("last_modified")):
            raise PullFailed(
                _("The server answered 304 Not Modified to a request that was not conditional.")
            )
        validator = "ETag" if state.get("etag") else "Last-Modified"
        run.status = RunStatus.SKIPPED
        run.message = _("Skipped: the file is unchanged since the last run (%(validator)s).") % {
            "validator": validator
        }
        return
    digest = hashlib.sha256(fetched.body).hexdigest()
    new_state = {"etag": fetched.etag, "last_modified": fetched.last_modified, "sha256": digest}
    if digest == state.get("sha256"):
        run.status = RunStatus.SKIPPED
        run.message = _("Skipped: the file has the same content as the last run.")
        if not dry_run and new_state != state:
            _store_state(connector, new_state)  # its validators, so the next request can 304
        return
    parsed, column_of = _read(connector, fetched)
    run.rows = len(parsed.items)
    _refuse_unreadable_cells(parsed)
    try:
        _deliver(connector, parsed.items, parsed.row_numbers, column_of, run=run, dry_run=dry_run)
    finally:
        run.rows = len(parsed.items)  # rows read, whether or not a batch was refused
    if not dry_run:
        _store_state(connector, new_state)


def _secrets(connector: Connector) -> dict:
    try:
        return connector_secrets.decrypt(connector.secrets)
    except connector_secrets.SecretsUnreadable:
        raise PullFailed(
            _(
                "The connector's secrets cannot be read with the configured keys "
                "(CONNECTOR_SECRET_KEYS). Enter its headers again."
            )
        ) from None


def _store_state(connector: Connector, state: dict) -> None:
    # Inside the run's transaction: rolled back with the rows if anything after this fails.
    Connector.objects.filter(pk=connector.pk).update(file_state=state)
    connector.file_state = state


class _Session(requests.Session):
    """At most MAX_REDIRECTS redirects; the secret headers go to the URL's own host only
    (requests drops only Authorization on a redirect to another host)."""

    def __init__(self, secret_names) -> None:
        super().__init__()
        self.max_redirects = MAX_REDIRECTS
        self.secret_names = list(secret_names)

    def rebuild_auth(self, prepared_request, response) -> None:
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in self.secret_names:
                prepared_request.headers.pop(name, None)
        super().rebuild_auth(prepared_request, response)


def _fetch(url: str, secret_headers: dict, state: dict) -> Fetched:
    headers = dict(secret_headers)
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    timeout = settings.CONNECTOR_HTTP_TIMEOUT_SECONDS
    host = urlsplit(url).hostname or url
    try:
        with (
            _Session(secret_headers) as session,
            session.get(url, stream=True, timeout=timeout, headers=headers) as response,
        ):
            _check_status(response)
            if response.status_code == 304:
                return Fetched(304)
            return Fetched(
                response.status_code,
                body=_body(response),
                name=_file_name(response.url),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
    except requests.TooManyRedirects:
        raise PullFailed(
            _("The URL redirects more than %(max)s times; give the file's own URL.")
            % {"max": MAX_REDIRECTS}
        ) from None
    except requests.Timeout:
        raise SourceUnavailable(
            _("%(host)s did not answer within %(seconds)s seconds; the run will be retried.")
            % {"host": host, "seconds": f"{timeout:g}"}
        ) from None
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
        raise SourceUnavailable(
            _("Could not reach %(host)s (%(reason)s); the run will be retried.")
            % {"host": host, "reason": _reason(error)}
        ) from None
    except requests.RequestException as error:
        raise PullFailed(
            _("The file could not be fetched (%(reason)s). Check the URL and the headers.")
            % {"reason": _reason(error)}
        ) from None


def _check_status(response) -> None:
    status = response.status_code
    said = f"{status} {response.reason or ''}".strip()
    if status >= 500 or status in TRANSIENT_STATUSES:
        raise SourceUnavailable(
            _("The server answered %(status)s; the run will be retried.") % {"status": said}
        )
    if status in (401, 403):
        raise PullFailed(
            _(
                "The server refused to give the file (%(status)s). Check the connector's "
                "headers (e.g. Authorization) and that they grant access to this URL."
            )
            % {"status": said}
        )
    if status in (404, 410):
        raise PullFailed(
            _("There is no file at that URL (%(status)s). Check the URL.") % {"status": said}
        )
    if status >= 400:
        raise PullFailed(
            _("The server refused the request (%(status)s). Check the URL and the headers.")
            % {"status": said}
        )
    if status >= 300 and status != 304:
        raise PullFailed(
            _("The server answered %(status)s instead of the file. Give the file's own URL.")
            % {"status": said}
        )


def _body(response) -> bytes:
    """The body, read in chunks and refused as soon as it passes the upload's size limit."""
    limit = upload.MAX_FILE_BYTES
    too_large = PullFailed(
        _(
            "The file is larger than the upload limit of %(limit)s; nothing was written. "
            "Split it into smaller files."
        )
        % {"limit": filesizeformat(limit)}
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    # iter_content undoes a gzip Content-Encoding: the limit counts what will be parsed.
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _file_name(url: str) -> str:
    return posixpath.basename(unquote(urlsplit(url).path)) or "file"


def _reason(error: BaseException) -> str:
    """The innermost operating-system reason (“Connection refused”), else the error's kind."""
    seen, current = set(), error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        reason = getattr(current, "reason", None)
        current = current.__cause__ or current.__context__
        if current is None and isinstance(reason, BaseException):
            current = reason
    return type(error).__name__


def _read(connector: Connector, fetched: Fetched):
    """The fetched file parsed by the upload's reader, and the file column of a service error's
    field (a survey answer's `answers.q1` is column q1)."""
    tz = connector.organisation.tz
    wanted = (connector.config.get("sheet") or "").strip()
    uploaded = ContentFile(fetched.body, name=fetched.name)
    if wanted:
        _check_sheet(fetched.body, wanted)
    try:
        if connector.target == Target.RESPONSES:
            if connector.survey is None:
                raise PullFailed(_("The connector delivers survey responses but names no survey."))
            sheet = wanted or survey_upload.SHEET
            parsed, _layout = survey_upload.read_responses(
                uploaded, survey=connector.survey, tz=tz, sheet=sheet
            )
            column_of = survey_upload.column_of
        else:
            parsed = upload.read_upload(uploaded, tz=tz, sheet=wanted or "measurements")
            column_of = str
    except upload.UploadRefused as refused:
        raise PullFailed(str(refused)) from None
    return parsed, column_of


def _refuse_unreadable_cells(parsed) -> None:
    if parsed.errors:
        errors = [
            {"index": error.row, "field": error.column, "message": error.message}
            for error in sorted(parsed.errors, key=lambda e: e.row)
        ]
        raise PullFailed(
            _("%(count)s cell(s) of the file cannot be read; nothing was written.")
            % {"count": len(errors)},
            errors,
        )


def _check_sheet(data: bytes, wanted: str) -> None:
    """The upload reads the active sheet when the named one is missing; a connector that names
    its sheet must not read another one without saying so."""
    if data[:4] != b"PK\x03\x04":
        return  # CSV: there are no sheets
    import openpyxl

    try:
        names = openpyxl.load_workbook(ContentFile(data), read_only=True).sheetnames
    except Exception:  # a damaged workbook: the upload's reader says what is wrong with it
        return
    if wanted not in names:
        raise PullFailed(
            _("The workbook has no sheet named “%(sheet)s”; it has %(names)s.")
            % {"sheet": wanted, "names": ", ".join(f"“{name}”" for name in names)}
        )


def _deliver(connector, items, row_numbers, column_of, *, run: Run, dry_run: bool) -> None:
    """Every item in batches; a refused batch fails the run (the transaction drops the rest)."""
    size = settings.INGEST_MAX_ITEMS
    for start in range(0, len(items), size):
        try:
            deliver(
                connector, items[start : start + size], run=run, dry_run=dry_run, first_index=start
            )
        except PullFailed as refused:
            if not refused.errors:
                raise
            errors = [
                {
                    **error,
                    "index": row_numbers[error["index"]],
                    "field": column_of(error.get("field") or ""),
                }
                for error in refused.errors
            ]
            raise PullFailed(
                _("%(count)s row(s) of the file were refused; nothing was written.")
                % {"count": len(errors)},
                errors,
            ) from None
