"""The CPI evidence's API (stubs until the API helper lands)."""

from rest_framework import viewsets


class HypothesisViewSet(viewsets.GenericViewSet):
    pass


class ExperimentViewSet(viewsets.GenericViewSet):
    pass


class CpiViewSet(viewsets.GenericViewSet):
    pass
