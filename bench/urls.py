"""The product's URLs plus the naive per-row baseline, which lives only in the bench."""

from django.urls import path

from bench.naive import NaiveMeasurementsView
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/naive/measurements/", NaiveMeasurementsView.as_view(), name="naive-measurements"),
    *product_urlpatterns,
]
