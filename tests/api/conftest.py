"""A live API server (pytest-django's live_server) with one organisation, a key and indicators."""

from dataclasses import dataclass

import pytest

from accounts.services import create_api_key, create_organisation
from indicators import services
from indicators.models import Deviation


@dataclass
class LiveApi:
    url: str
    key: str
    deviation_id: int

    @property
    def schema_url(self) -> str:
        return f"{self.url}/api/schema/"

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Api-Key {self.key}"}


@pytest.fixture
def live_api(live_server) -> LiveApi:
    """The only data made by hand: an organisation, its API key, three indicators and one
    measurement outside a band, whose recompute (in-process) opens a deviation."""
    organisation = create_organisation(slug="acme", name="Acme", time_zone="Europe/Helsinki")
    key = create_api_key(organisation=organisation, name="clients")[1]
    indicator = {"kind": "kpi", "direction": "higher_is_better", "period": "month"}
    services.create_indicator(
        organisation=organisation,
        data={**indicator, "code": "nps", "name": "NPS", "aggregation": "mean"},
    )
    services.create_indicator(
        organisation=organisation,
        data={**indicator, "code": "conversion", "name": "Conversion", "aggregation": "ratio"},
    )
    services.create_indicator(
        organisation=organisation,
        data={
            **indicator,
            "code": "wait_minutes",
            "name": "Wait",
            "direction": "lower_is_better",
            "aggregation": "mean",
            "band": {"low": None, "high": 10, "action_above": "Call in more staff."},
        },
    )
    services.ingest_measurements(
        organisation=organisation,
        items=[{"indicator": "wait_minutes", "observed_at": "2026-03-02", "value": 25}],
    )
    deviation = Deviation.objects.get(indicator__organisation=organisation)
    return LiveApi(url=live_server.url, key=key, deviation_id=deviation.pk)
