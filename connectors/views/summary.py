"""What the connector pages say about a connector: its state in words and colour, its settings
with every secret masked, its next scheduled run, its webhook address and a run's outcome.

Nothing here shows a stored secret: a DSN is reduced to user@host:port/database, request
headers to their names, a signing secret to whether there is one, the webhook token to its hint.
"""

from datetime import datetime, time, timedelta

from celery.schedules import crontab_parser
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from indicators import selectors as indicator_selectors

from .. import secrets as connector_secrets
from ..models import Connector, ConnectorKind, RunStatus, Target
from ..services import cron_problem, describe
from ..services.schedules import CRON_FIELDS

STATE_CLASSES = {
    "ok": "better",
    "failing": "worse",
    "retrying": "at-risk",
    "paused": "state",
    "never": "expected",
}
RUN_CLASSES = {
    RunStatus.SUCCEEDED: "better",
    RunStatus.FAILED: "worse",
    RunStatus.SKIPPED: "state",
    RunStatus.RUNNING: "at-risk",
}


def state_of(connector: Connector) -> dict:
    """{"key": ok|failing|retrying|paused|never, "words", "class"} (the pill's colour, as in
    app.css). Failing means what the dashboard and the indicator page mean: failed runs in a
    row (`failures_in_row`), not an attempt that will be retried, nor a failed dry run."""
    last_status = getattr(getattr(connector, "last_run", None), "status", None)
    if connector.paused:
        key, words = "paused", _("paused")
    elif connector.failures_in_row:
        key = "failing"
        count = max(connector.failures_in_row, 1)
        words = ngettext(
            "failing: %(count)s run in a row", "failing: %(count)s runs in a row", count
        ) % {"count": count}
    elif last_status == RunStatus.FAILED and getattr(connector.last_run, "retry_at", None):
        # Not failing yet: the failure counts when the last attempt fails too.
        key, words = "retrying", _("retrying after a failed attempt")
    elif connector.last_run_at is None:
        key, words = "never", _("never run")
    else:
        key, words = "ok", _("ok")
    return {"key": key, "words": words, "class": STATE_CLASSES[key]}


def delivers(connector: Connector) -> str:
    if connector.target == Target.RESPONSES:
        if connector.survey is None:
            return _("survey responses")
        return _("responses to the survey “%(name)s”") % {"name": connector.survey.name}
    return _("measurements of indicators")


def schedule_words(connector: Connector) -> str:
    if connector.kind == ConnectorKind.WEBHOOK:
        return _("when called")
    if not connector.schedule:
        return _("by hand only")
    return describe(connector) or connector.schedule


def next_run_at(connector: Connector, now=None):
    """When beat runs the connector next, in the organisation's time zone (None: no schedule,
    or paused). Beat's crontab wants every field to match (day of month AND day of week)."""
    if connector.paused or not connector.schedule or cron_problem(connector.schedule):
        return None
    tz = connector.organisation.tz
    now = (now or timezone.now()).astimezone(tz)
    fields = dict(zip(CRON_FIELDS, connector.schedule.split(), strict=True))
    minutes = sorted(crontab_parser(60).parse(fields["minute"]))
    hours = sorted(crontab_parser(24).parse(fields["hour"]))
    days = crontab_parser(31, 1).parse(fields["day_of_month"])
    months = crontab_parser(12, 1).parse(fields["month_of_year"])
    weekdays = crontab_parser(7).parse(fields["day_of_week"])  # 0 = Sunday
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for offset in range(366 * 5):  # a 29 February comes within five years
        day = start.date() + timedelta(days=offset)
        if day.day not in days or day.month not in months or (day.isoweekday() % 7) not in weekdays:
            continue
        for hour in hours:
            for minute in minutes:
                at = datetime.combine(day, time(hour, minute), tzinfo=tz)
                if at >= start:
                    return at
    return None


def hook_path(token: str) -> str:
    try:
        return reverse("connector-webhook", args=[token])
    except NoReverseMatch:  # the webhook view is merged from its own branch
        return f"/hooks/{token}/"


def hook_url(token: str) -> str:
    """The webhook's full address; only right after it is made (the token is not kept)."""
    return settings.SITE_URL + hook_path(token)


def masked_hook_url(connector: Connector) -> str:
    if not connector.token_hint:
        return ""
    # reverse() would percent-encode the mask's bullets
    masked = hook_path("TOKEN").replace("TOKEN", connector_secrets.MASK + connector.token_hint)
    return settings.SITE_URL + masked


def dsn_summary(dsn: str) -> str:
    """user@host:port/database of a DSN, never its password."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except (ProgrammingError, ValueError, TypeError):
        return connector_secrets.MASK
    where = parts.get("host") or "localhost"
    if parts.get("port"):
        where += f":{parts['port']}"
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"{user}{where}/{parts.get('dbname', '')}" + (
        " " + _("(password stored)") if parts.get("password") else ""
    )


def _stored(connector: Connector) -> dict:
    try:
        return connector_secrets.decrypt(connector.secrets)
    except connector_secrets.SecretsUnreadable:
        return {}


def settings_rows(connector: Connector) -> list[dict]:
    """{"label", "value", "pre"} of the connector's settings for its page, secrets masked
    (`pre`: shown as code with its line breaks, the query)."""
    config, stored = connector.config or {}, _stored(connector)
    rows = [(_("Delivers"), delivers(connector))]
    if connector.kind == ConnectorKind.SQL:
        columns = config.get("columns") or {}
        rows += [
            (_("Database"), dsn_summary(stored["dsn"]) if stored.get("dsn") else _("not set")),
            (_("Query"), Pre(config.get("query", ""))),
            (_("Watermark column"), config.get("watermark_column") or _("none: reads every row")),
            (_("Time limit"), _("%(seconds)s s") % {"seconds": config.get("timeout_seconds", "")}),
            (_("Indicator"), _indicator_words(connector, config, columns)),
            (
                _("Columns"),
                ", ".join(f"{field} ← {column}" for field, column in columns.items()) or "—",
            ),
            (_("Segments"), _pairs(config.get("segments"))),
        ]
    elif connector.kind == ConnectorKind.FILE:
        headers = stored.get("headers") or {}
        rows += [
            (_("File URL"), config.get("url", "")),
            (_("Sheet"), config.get("sheet") or _("the first")),
            (
                _("Request headers"),
                ", ".join(f"{name}: {connector_secrets.MASK}" for name in headers) or _("none"),
            ),
        ]
    else:
        signature = config.get("signature") or {}
        preset = config.get("preset") or ""
        rows += [
            (_("Address"), masked_hook_url(connector)),
            (_("Preset"), preset.title() if preset else _("none")),
        ]
        if not preset or config.get("fields") or config.get("items"):
            mapping = [f"items = {config['items']}"] if config.get("items") else []
            mapping += [f"{f} = {e}" for f, e in (config.get("fields") or {}).items()]
            for name in ("segments", "attributes", "answers"):
                mapping += [f"{name}.{k} = {e}" for k, e in (config.get(name) or {}).items()]
            rows.append((_("Mapping"), "; ".join(mapping) or "—"))
        if signature.get("header"):
            words = _("%(header)s, HMAC-%(algorithm)s, %(encoding)s") % {
                "header": signature["header"],
                "algorithm": (signature.get("algorithm") or "sha256").upper(),
                "encoding": signature.get("encoding") or "hex",
            }
            if signature.get("timestamp_header"):
                words += ", " + _("timestamp in %(header)s within %(seconds)s s") % {
                    "header": signature["timestamp_header"],
                    "seconds": signature.get("tolerance_seconds", 300),
                }
            rows.append((_("Signature"), words))
        elif not preset:
            rows.append((_("Signature"), _("not checked")))
        rows.append(
            (
                _("Signing secret"),
                _("stored") if stored.get("signing_secret") else _("none"),
            )
        )
    rows += [
        (_("Owner"), _person(connector.owner)),
        (
            _("Tell the owner after"),
            ngettext("%(n)s failed run", "%(n)s failed runs in a row", connector.notify_after)
            % {"n": connector.notify_after},
        ),
    ]
    return [
        {"label": label, "value": value, "pre": isinstance(value, Pre)} for label, value in rows
    ]


class Pre(str):
    """A settings value shown as code, keeping its line breaks."""


def _indicator_words(connector: Connector, config: dict, columns: dict) -> str:
    code = config.get("indicator")
    if not code:
        return _("from the column %(column)s") % {"column": columns.get("indicator", "?")}
    found = indicator_selectors.indicators_by_code(
        organisation=connector.organisation, codes=[code]
    ).get(code)
    return f"{found.name} ({code})" if found else code


def _pairs(pairs) -> str:
    return ", ".join(f"{name} ← {value}" for name, value in (pairs or {}).items()) or "—"


def _person(user) -> str:
    if user is None:
        return _("nobody")
    return user.get_full_name() or user.get_username()


def run_outcome(run) -> tuple[str, str]:
    """(message level, words) saying what a run did — or, dry, what it would have written."""
    counts = {
        "rows": run.rows,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
    }
    if run.status == RunStatus.RUNNING:
        return "info", _("The run has started; its result appears in the run log below.")
    if run.status == RunStatus.SKIPPED:
        return "info", run.message or _("The run was skipped: nothing new.")
    if run.status == RunStatus.FAILED:
        text = _("The run failed: %(message)s") % {"message": run.message}
        if run.errors:
            text += " " + _("See the first errors in the run log.")
        if run.dry_run:
            return "error", _("Dry run: ") + text + " " + _("Nothing was written.")
        return "error", text + " " + _("Nothing was written.")
    if run.dry_run:
        return "success", _(
            "Dry run: %(rows)s rows read. A real run would create %(created)s, update "
            "%(updated)s and leave %(unchanged)s unchanged. Nothing was written."
        ) % counts
    return "success", _(
        "Run finished: %(rows)s rows read, %(created)s created, %(updated)s updated, "
        "%(unchanged)s unchanged."
    ) % counts
