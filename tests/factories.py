"""Factories and small builders shared by the tests."""

import factory

from indicators.models import Indicator


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    code = factory.Sequence(lambda n: f"indicator_{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").title())
    unit = "s"
    kind = "cpi"
    direction = "lower_is_better"
    aggregation = "mean"
    period = "month"


def push(api, items, **extra):
    """POST a batch of measurements and return the response."""
    return api.post("/api/v1/measurements/", {"measurements": items}, format="json", **extra)


def values(api, code, **query):
    return api.get(f"/api/v1/indicators/{code}/values/", query).json()
