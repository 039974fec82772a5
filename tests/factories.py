"""Factories and small builders shared by the tests."""

import factory

from indicators.models import Band, Indicator

BAND_KWARGS = {
    "band_low": "low",
    "band_high": "high",
    "action_below": "action_below",
    "action_above": "action_above",
}


class IndicatorFactory(factory.django.DjangoModelFactory):
    """An indicator; `band_low`, `band_high`, `action_below`, `action_above` make its one band
    version, in force from the start (an action defaults to a plain sentence for a bounded side)."""

    class Meta:
        model = Indicator

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        band = {inner: kwargs.pop(name) for name, inner in BAND_KWARGS.items() if name in kwargs}
        indicator = super()._create(model_class, *args, **kwargs)
        if band.get("low") is not None or band.get("high") is not None:
            if band.get("low") is not None:
                band.setdefault("action_below", "Act on a low value.")
            if band.get("high") is not None:
                band.setdefault("action_above", "Act on a high value.")
            Band.objects.create(indicator=indicator, **band)
        return indicator

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
