"""Load the demo organisation through the same services the API uses."""

from dataclasses import dataclass
from datetime import date
from time import monotonic

from django.db import transaction

from accounts.models import Organisation, Role
from accounts.services import create_api_key, create_organisation, create_user

from ..models import Deviation, Measurement, PeriodValue
from ..services import create_indicator, ingest_measurements, recompute_dirty
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


def load_demo(*, today: date, seed: int = 7) -> LoadedDemo:
    """Delete the organisation `demo` if it exists and create it again with `build_demo` data.

    Users `admin` (also Django staff and superuser), `analyst` and `viewer` are created or reused
    with the password `demo-password`; the analyst owns the CPIs, the admin the KPIs. Everything is written in one transaction, so the in-process
    (or Celery) recompute runs once after commit; `recompute_dirty` then catches anything left.
    """
    began = monotonic()
    demo = build_demo(today=today, seed=seed)
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
    recompute_dirty()
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
    )
