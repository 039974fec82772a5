"""Every object is visible only inside its organisation; another's answers 404."""

from datetime import date

import pytest
from django.utils import timezone

from indicators.models import Deviation, Indicator, Measurement, PeriodValue
from tests.factories import IndicatorFactory, push

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(other_organisation):
    """The rival's indicator with a value and a deviation: none of it is ours to see."""
    indicator = IndicatorFactory(
        organisation=other_organisation, code="secret_margin", band_low=0, band_high=10
    )
    PeriodValue.objects.create(
        indicator=indicator,
        period="month",
        period_start=date(2026, 3, 1),
        value=42,
        count=1,
        computed_at=timezone.now(),
    )
    deviation = Deviation.objects.create(
        indicator=indicator,
        period="month",
        period_start=date(2026, 3, 1),
        kind="corrective",
        value=42,
        band_low=0,
        band_high=10,
    )
    return indicator, deviation


@pytest.fixture
def ours(organisation):
    return IndicatorFactory(organisation=organisation, code="quote_time")


def assert_not_found(response):
    assert response.status_code == 404, response.content
    assert response.json() == {"errors": [{"index": None, "field": "", "message": "Not found."}]}


def test_another_organisations_indicator_is_not_listed(api, theirs, ours):
    codes = [row["code"] for row in api.get("/api/v1/indicators/").json()["results"]]
    assert codes == ["quote_time"]


def test_another_organisations_indicator_answers_404(api, theirs):
    assert_not_found(api.get("/api/v1/indicators/secret_margin/"))


def test_another_organisations_indicator_cannot_be_changed(api, theirs):
    response = api.patch("/api/v1/indicators/secret_margin/", {"name": "Mine now"}, format="json")
    assert_not_found(response)
    assert Indicator.objects.get(code="secret_margin").name != "Mine now"


def test_another_organisations_values_answer_404(api, theirs):
    assert_not_found(api.get("/api/v1/indicators/secret_margin/values/", {"period": "month"}))


def test_another_organisations_deviations_are_not_listed(api, theirs, ours):
    body = api.get("/api/v1/deviations/").json()
    assert body["count"] == 0 and body["results"] == []
    assert api.get("/api/v1/deviations/", {"indicator": "secret_margin"}).json()["count"] == 0


def test_another_organisations_deviation_answers_404(api, theirs):
    _indicator, deviation = theirs
    assert_not_found(api.get(f"/api/v1/deviations/{deviation.pk}/"))


def test_another_organisations_deviation_cannot_be_acknowledged(api, theirs):
    _indicator, deviation = theirs
    response = api.patch(
        f"/api/v1/deviations/{deviation.pk}/", {"state": "acknowledged"}, format="json"
    )
    assert_not_found(response)
    deviation.refresh_from_db()
    assert deviation.state == "open"


def test_a_push_naming_another_organisations_indicator_is_an_unknown_indicator(api, theirs):
    response = push(api, [{"indicator": "secret_margin", "observed_at": "2026-03-01", "value": 1}])
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(0, "indicator")]
    assert Measurement.objects.count() == 0


def test_the_same_code_in_two_organisations_is_two_indicators(api, other_api, theirs, ours):
    IndicatorFactory(organisation=theirs[0].organisation, code="quote_time")
    item = {"indicator": "quote_time", "observed_at": "2026-03-01", "value": 5}
    assert push(api, [item]).json() == {"created": 1, "updated": 0, "unchanged": 0}
    # the rival's identical push is its own measurement, not a replay of ours
    assert push(other_api, [item]).json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert Measurement.objects.filter(indicator=ours).count() == 1


def test_the_rival_sees_its_own_objects(other_api, theirs, ours):
    _indicator, deviation = theirs
    assert other_api.get("/api/v1/indicators/secret_margin/").status_code == 200
    assert other_api.get(f"/api/v1/deviations/{deviation.pk}/").json()["indicator"] == (
        "secret_margin"
    )
    assert other_api.get("/api/v1/indicators/quote_time/").status_code == 404
