"""A live API server (pytest-django's live_server) with one organisation, a key and indicators."""

from dataclasses import dataclass

import pytest

from accounts.services import create_api_key, create_organisation
from indicators import services


@dataclass
class LiveApi:
    url: str
    key: str

    @property
    def schema_url(self) -> str:
        return f"{self.url}/api/schema/"

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Api-Key {self.key}"}


@pytest.fixture
def live_api(live_server) -> LiveApi:
    """The only data made by hand: an organisation, its API key and two indicators."""
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
    return LiveApi(url=live_server.url, key=key)
