"""Bench settings: the product's settings with the naive baseline's URL mounted beside the API."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
