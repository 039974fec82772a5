"""The connectors' demo: one of each kind, made through the connector services, with a month of
run history so their pages read like a connector in use.

- `typeform-nps`: an inbound webhook with the Typeform preset delivering responses to the
  relationship survey, owned by the demo admin. Its URL token is fixed (demo only), so the
  README's curl example works: POST {SITE_URL}/hooks/demo-typeform-nps/, signed with
  `demo-signing-secret` as Typeform signs (the preset's header).
- `quotes-file`: a file pull of http://127.0.0.1:8765/measurements.csv at 06:00 every day,
  paused (the README starts the local file server, then resumes it).
- `crm-quotes`: a SQL pull of the Fast Quote from the table `quotes` (id, quoted_at, seconds,
  unit) of the
  database oc_demo_crm every 15 minutes, paused (the README creates the database).

The run history is written directly (Run and Feed rows: no source exists to pull from), dated
relative to `today`: succeeded runs with their counts, and two failed runs each, with the
messages (masked) a real failure logs, each followed by its successful retry.
"""

import random
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction

from indicators import selectors as indicator_selectors
from surveys import selectors as survey_selectors

from .. import secrets as connector_secrets
from ..models import Connector, ConnectorKind, Feed, Run, RunStatus, RunTrigger, Target
from ..services import create_connector

DAYS = 30
WEBHOOK_TOKEN = "demo-typeform-nps"
SIGNING_SECRET = "demo-signing-secret"
FILE_URL = "http://127.0.0.1:8765/measurements.csv"
CRM_DSN = "postgresql://postgres@127.0.0.1:5432/oc_demo_crm"
CRM_QUERY = "SELECT id, 'crm-' || id AS quote, quoted_at, seconds, unit\nFROM quotes"
FAST_QUOTE = "fast_quote"  # indicators/demo/definitions.json
FILE_INDICATORS = ("first_time_resolution", "nothing_broke")
SURVEY = "relationship"  # surveys/demo/load.py


def load_demo_connectors(*, organisation, people: dict, today) -> str:
    """The three demo connectors and their run history in `organisation` (the demo's
    indicators and surveys exist); answers the report line of `load_demo`."""
    rng = random.Random(15)
    tz = organisation.tz
    now = datetime.combine(today, time(9, 40), tzinfo=tz)
    admin, analyst = people.get("admin"), people.get("analyst")
    with transaction.atomic():
        survey = survey_selectors.surveys_of(organisation).filter(code=SURVEY).first()
        webhook = _webhook(organisation, survey, admin)
        file_pull, _token = create_connector(
            organisation=organisation,
            kind=ConnectorKind.FILE,
            code="quotes-file",
            name="Service measurements file",
            config={"url": FILE_URL},
            owner=analyst,
            target=Target.MEASUREMENTS,
            schedule="0 6 * * *",
            paused=True,
        )
        sql_pull, _token = create_connector(
            organisation=organisation,
            kind=ConnectorKind.SQL,
            code="crm-quotes",
            name="CRM quote times",
            config={
                "query": CRM_QUERY,
                "watermark_column": "id",
                "timeout_seconds": 60,
                "indicator": FAST_QUOTE,
                "columns": {"key": "quote", "observed_at": "quoted_at", "value": "seconds"},
                "segments": {"unit": "unit"},
            },
            secrets={"dsn": CRM_DSN},
            owner=analyst,
            target=Target.MEASUREMENTS,
            schedule="*/15 * * * *",
            paused=True,
        )
        runs = (
            _webhook_runs(webhook, now, rng)
            + _file_runs(file_pull, now, tz, rng)
            + _sql_runs(sql_pull, now, rng)
        )
        Run.objects.bulk_create(runs, batch_size=1000)
        for connector in (webhook, file_pull, sql_pull):
            _finish(connector, [run for run in runs if run.connector is connector])
        fed = _feeds(organisation, {file_pull: FILE_INDICATORS, sql_pull: (FAST_QUOTE,)}, now)
    return (
        f"Connectors: {webhook.code} (Typeform webhook to the survey {SURVEY}), "
        f"{file_pull.code} (file pull, paused), {sql_pull.code} (SQL pull, paused); "
        f"{len(runs)} runs over {DAYS} days, feeding {fed} indicators. The webhook's URL: "
        f"{settings.SITE_URL}/hooks/{WEBHOOK_TOKEN}/ (signing secret {SIGNING_SECRET}; README)."
    )


def _webhook(organisation, survey, owner) -> Connector:
    connector, _token = create_connector(
        organisation=organisation,
        kind=ConnectorKind.WEBHOOK,
        code="typeform-nps",
        name="Typeform NPS survey",
        config={"preset": "typeform"},
        secrets={"signing_secret": SIGNING_SECRET},
        owner=owner,
        target=Target.RESPONSES,
        survey=survey,
    )
    # Demo only: a known token, so the README's curl example can call it.
    connector.token_hash = connector_secrets.hash_token(WEBHOOK_TOKEN)
    connector.token_hint = WEBHOOK_TOKEN[-4:]
    connector.save(update_fields=["token_hash", "token_hint"])
    return connector


def _run(connector, started, *, seconds: float, **fields) -> Run:
    fields.setdefault("status", RunStatus.SUCCEEDED)
    fields.setdefault("trigger", RunTrigger.SCHEDULE)
    return Run(
        connector=connector,
        started_at=started,
        finished_at=started + timedelta(seconds=seconds),
        **fields,
    )


def _webhook_runs(connector, now, rng) -> list[Run]:
    """Typeform calls once per completed survey: a few a day, each one response."""
    runs, failures = [], {9, 22}  # days ago: a response the survey's scale refused
    for day in range(DAYS, 0, -1):
        morning = datetime.combine((now - timedelta(days=day)).date(), time(8), tzinfo=now.tzinfo)
        for _call in range(rng.randint(4, 11)):  # customers answer between 08:00 and 22:00
            started = morning + timedelta(minutes=rng.randint(0, 14 * 60))
            runs.append(
                _run(
                    connector,
                    started,
                    seconds=rng.uniform(0.05, 0.3),
                    trigger=RunTrigger.WEBHOOK,
                    rows=1,
                    created=1,
                )
            )
        if day in failures:
            started = now - timedelta(days=day, hours=2, minutes=13)
            runs.append(
                _run(
                    connector,
                    started,
                    seconds=0.08,
                    trigger=RunTrigger.WEBHOOK,
                    status=RunStatus.FAILED,
                    rows=1,
                    error_count=1,
                    errors=[
                        {
                            "index": 0,
                            "field": "answers.nps",
                            "message": "11 is outside the question's scale 0-10.",
                        }
                    ],
                    message="1 item(s) refused; nothing was written.",
                )
            )
    return runs


def _file_runs(connector, now, tz, rng) -> list[Run]:
    """Daily at 06:00: a new day's rows on working days; a weekend's file has not changed."""
    runs = []
    for day in range(DAYS, 0, -1):
        started = datetime.combine((now - timedelta(days=day)).date(), time(6), tzinfo=tz)
        started += timedelta(seconds=rng.randint(1, 20))
        if started.weekday() >= 5:
            runs.append(
                _run(
                    connector,
                    started,
                    seconds=0.4,
                    status=RunStatus.SKIPPED,
                    message="The file has not changed since the last run (same ETag).",
                )
            )
            continue
        if day == 17:  # the report server was down; the retry a minute later got the file
            runs.append(
                _run(
                    connector,
                    started,
                    seconds=30.0,
                    status=RunStatus.FAILED,
                    message=f"The file could not be fetched: timed out after 30 s ({FILE_URL}).",
                    retry_at=started + timedelta(seconds=90),
                )
            )
            started += timedelta(seconds=90)
            trigger = RunTrigger.RETRY
        else:
            trigger = RunTrigger.SCHEDULE
        if day == 8:  # someone typed a comma into a value column; fixed by the next morning
            runs.append(
                _run(
                    connector,
                    started,
                    seconds=1.2,
                    status=RunStatus.FAILED,
                    rows=184,
                    error_count=2,
                    errors=[
                        {"index": 41, "field": "value", "message": "“12,5” is not a number."},
                        {"index": 97, "field": "value", "message": "“8,75” is not a number."},
                    ],
                    message="2 item(s) refused; nothing was written.",
                )
            )
            continue
        rows = rng.randint(176, 190)
        created = rng.randint(6, 8)
        updated = rng.randint(0, 2)
        runs.append(
            _run(
                connector,
                started,
                seconds=rng.uniform(0.9, 1.8),
                trigger=trigger,
                attempt=2 if trigger == RunTrigger.RETRY else 1,
                rows=rows,
                created=created,
                updated=updated,
                unchanged=rows - created - updated,
            )
        )
    return runs


SQL_FAILURES = {
    # tick number (15 minutes each since the start): (seconds it took, the message it logged)
    12 * 96 + 40: (
        60.0,
        "The query was cancelled: canceling statement due to statement timeout (time limit 60 s).",
    ),
    25 * 96 + 22: (
        10.0,
        "The database could not be reached: connection to server at "
        '"127.0.0.1", port 5432 failed: Connection refused. Is the server running '
        "on that host and accepting TCP/IP connections?",
    ),
}


def _sql_runs(connector, now, rng) -> list[Run]:
    """Every 15 minutes: the quotes finished since the watermark (few at night)."""
    runs = []
    tick = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    watermark, number = (tick - timedelta(days=1)).date().isoformat(), 0
    while tick < now - timedelta(minutes=5):
        started = tick + timedelta(seconds=rng.randint(0, 3))
        if number in SQL_FAILURES:
            seconds, message = SQL_FAILURES[number]
            runs.append(
                _run(
                    connector,
                    started,
                    seconds=seconds,
                    status=RunStatus.FAILED,
                    message=message,
                    retry_at=started + timedelta(seconds=seconds + 60),
                )
            )
            started += timedelta(seconds=seconds + 60)
            counts = _quotes(rng, tick) | {"trigger": RunTrigger.RETRY, "attempt": 2}
        else:
            counts = _quotes(rng, tick)
        if counts["rows"]:
            day = tick.date().isoformat()
            counts |= {"watermark_from": watermark, "watermark_to": day}
            watermark = day
            runs.append(_run(connector, started, seconds=rng.uniform(0.2, 0.9), **counts))
        else:
            runs.append(
                _run(
                    connector,
                    started,
                    seconds=0.1,
                    status=RunStatus.SKIPPED,
                    message="Nothing new since the watermark.",
                    **{k: v for k, v in counts.items() if k in ("trigger", "attempt")},
                )
            )
        tick += timedelta(minutes=15)
        number += 1
    return runs


def _quotes(rng, tick) -> dict:
    busy = 7 <= tick.hour < 20 and tick.weekday() < 5
    rows = rng.randint(3, 9) if busy else rng.choice((0, 0, 0, 1))
    # A quote's day value is re-read until the day ends: most rows are unchanged.
    created = min(rows, 1 if rows else 0)
    updated = min(rows - created, rng.randint(0, 2))
    return {
        "rows": rows,
        "created": created,
        "updated": updated,
        "unchanged": rows - created - updated,
    }


def _finish(connector, runs: list[Run]) -> None:
    """last_run_at, last_success_at and failures_in_row as the runs left them."""
    runs = sorted(runs, key=lambda run: run.started_at)
    succeeded = [run for run in runs if run.status != RunStatus.FAILED]
    failures = 0
    for run in reversed(runs):
        if run.status != RunStatus.FAILED:
            break
        failures += 1
    Connector.objects.filter(pk=connector.pk).update(
        last_run_at=runs[-1].started_at if runs else None,
        last_success_at=succeeded[-1].finished_at if succeeded else None,
        failures_in_row=failures,
    )


def _feeds(organisation, codes_by_connector: dict, now) -> int:
    codes = {code for codes in codes_by_connector.values() for code in codes}
    indicators = indicator_selectors.indicators_by_code(organisation=organisation, codes=codes)
    feeds = [
        Feed(connector=connector, indicator=indicators[code], last_delivered_at=now)
        for connector, codes in codes_by_connector.items()
        for code in codes
        if code in indicators
    ]
    Feed.objects.bulk_create(feeds)
    return len({feed.indicator_id for feed in feeds})
