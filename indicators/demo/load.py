"""Load the demo organisation through the same services the API uses."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, Role
from accounts.services import create_api_key, create_organisation, create_user

from ..compute.periods import next_period_start
from ..models import (
    Deviation,
    DeviationChange,
    DeviationState,
    Measurement,
    PeriodValue,
)
from ..services import create_indicator, ingest_measurements, recompute_dirty, update_deviation
from ..services.stale import remind_stale
from .parts import claimed_demo_series, load_claimed_series, load_demo_parts
from .story import TIME_ZONE, Demo, build_demo

SLUG = "demo"
NAME = "Nordic Mutual Insurance"
LANGUAGE = "en"
PASSWORD = "demo-password"
USERS = (("admin", Role.ADMIN), ("analyst", Role.ANALYST), ("viewer", Role.VIEWER))
API_KEY_NAME = "demo client"
# Who is told about deviations and stale data: the analyst runs the CPIs, the admin the KPIs.
OWNERS = {"cpi": "analyst", "kpi": "admin"}
BATCH_SIZE = 10_000  # the API's limit per push
EMAIL_DOMAIN = "nordic-mutual.example"
# Deviations a manager already handled, oldest first: the note says what was done or learned.
CLOSING_NOTES = {
    "corrective": "Done: {name} was checked with the team the same week; the cause (a "
    "rating-service slowdown after a release) was fixed and the next value came back inside.",
    "learning": "Learned: {name} was better because quotes were pre-filled from public "
    "registers; the same pre-fill now runs in the phone channel too.",
}
HANDLED_AFTER_DAYS = 91
ACKNOWLEDGED_NOTE = "Seen; the team is looking into it and reports back on Friday."


@dataclass(frozen=True)
class LoadedDemo:
    """What `load_demo` did; `api_key` is the only copy of the new key's secret."""

    organisation: Organisation
    api_key: str
    replaced: bool
    demo: Demo
    batches: int
    measurements: int
    period_values: int
    deviations: dict[str, int]
    seconds: float
    # The report line of each demo part (`parts.py`), by the part's name.
    parts: dict[str, str]


def load_demo(*, today: date, seed: int = 7) -> LoadedDemo:
    """Delete the organisation `demo` if it exists and create it again with `build_demo` data.

    Users `admin` (also Django staff and superuser), `analyst` and `viewer` are created or reused
    with the password `demo-password`; the analyst owns the CPIs, the admin the KPIs. Everything is written in one transaction, so the in-process
    (or Celery) recompute runs once after commit; `recompute_dirty` then catches anything left.
    A series claimed by an app above (`parts.py`) is loaded by that app in the same
    transaction, right after the story's measurements; then the demo parts of the apps above add their data on top.
    """
    began = monotonic()
    demo = build_demo(today=today, seed=seed, withhold=claimed_demo_series())
    with transaction.atomic():
        existing = Organisation.objects.filter(slug=SLUG).first()
        if existing is not None:
            existing.delete()
        organisation = create_organisation(
            slug=SLUG, name=NAME, time_zone=TIME_ZONE, language=LANGUAGE
        )
        people = {}
        for username, role in USERS:
            user = create_user(
                organisation=organisation, username=username, role=role, password=PASSWORD
            )
            user.email = f"{username}@{EMAIL_DOMAIN}"
            user.save(update_fields=["email"])
            people[username] = user
            if role == Role.ADMIN:
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
        _api_key, secret = create_api_key(organisation=organisation, name=API_KEY_NAME)
        for data in demo.indicators:
            owner = people[OWNERS[data["kind"]]]
            create_indicator(organisation=organisation, data={**data, "owner_user": owner})
        batches = [
            demo.measurements[i : i + BATCH_SIZE]
            for i in range(0, len(demo.measurements), BATCH_SIZE)
        ]
        for batch in batches:
            ingest_measurements(organisation=organisation, items=batch)
        claimed = load_claimed_series(
            organisation=organisation, people=people, today=today, withheld=demo.withheld
        )
    recompute_dirty()
    _opened_when_their_period_ended(organisation)
    _handle_some_deviations(organisation, people)
    remind_stale(organisation=organisation)
    parts = {**claimed, **load_demo_parts(organisation=organisation, people=people, today=today)}
    deviations = Deviation.objects.filter(indicator__organisation=organisation)
    return LoadedDemo(
        organisation=organisation,
        api_key=secret,
        replaced=existing is not None,
        demo=demo,
        batches=len(batches),
        measurements=Measurement.objects.filter(indicator__organisation=organisation).count(),
        period_values=PeriodValue.objects.filter(indicator__organisation=organisation).count(),
        deviations={
            kind: deviations.filter(kind=kind).count() for kind in ("corrective", "learning")
        },
        seconds=monotonic() - began,
        parts=parts,
    )


def _opened_when_their_period_ended(organisation: Organisation) -> None:
    """The backfill opened every deviation at once; date each one's opening (and the
    recompute's history entry of it) to the morning after its period, as if the values had
    arrived on time, so the inbox's ages read like a real year."""
    deviations = list(
        Deviation.objects.filter(indicator__organisation=organisation).prefetch_related("history")
    )
    changes, now = [], timezone.now()
    for deviation in deviations:
        day = next_period_start(deviation.period_start, deviation.period)
        morning = datetime.combine(day, time(7), tzinfo=organisation.tz)
        deviation.opened_at = deviation.notified_at = min(morning, now)
        for change in deviation.history.all():
            change.at = deviation.opened_at
            changes.append(change)
    Deviation.objects.bulk_update(deviations, ["opened_at", "notified_at"])
    DeviationChange.objects.bulk_update(changes, ["at"])


def _handle_some_deviations(organisation: Organisation, people: dict) -> None:
    """A manager's earlier weeks: deviations of periods that began more than a quarter before
    the latest one were closed with a note, the three newest corrective ones still open are acknowledged,
    the rest are open — so the inbox shows every state, and the open ones are recent."""
    rows = list(
        Deviation.objects.filter(indicator__organisation=organisation)
        .select_related("indicator", "owner")
        .order_by("period_start", "pk")
    )
    if not rows:
        return
    handled_before = rows[-1].period_start - timedelta(days=HANDLED_AFTER_DAYS)
    for deviation in rows:
        if deviation.period_start < handled_before:
            update_deviation(
                deviation=deviation,
                by=deviation.owner or people["analyst"],
                state=DeviationState.CLOSED,
                note=CLOSING_NOTES[deviation.kind].format(name=deviation.indicator.name),
            )
    # Of those still open: early in a year the newest corrective ones may be older than a
    # quarter, and a closed deviation is not acknowledged again.
    still_open = [
        d
        for d in rows
        if d.kind == "corrective"
        and d.state == DeviationState.OPEN
        and d.period_start >= handled_before
    ]
    for deviation in still_open[-3:]:
        update_deviation(
            deviation=deviation,
            by=deviation.owner or people["analyst"],
            state=DeviationState.ACKNOWLEDGED,
            note=ACKNOWLEDGED_NOTE,
        )
