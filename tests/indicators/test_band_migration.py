"""Migration 0006 turns each indicator's one band into a band version from the start."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from indicators.models import FROM_THE_START

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [("indicators", "0005_idempotency_records_move_to_core"), ("accounts", "0001_initial")]
AFTER = [("indicators", "0006_metric_pipe")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_copy_bands_makes_one_version_from_the_start_per_banded_indicator():
    old = migrate(BEFORE)
    Organisation = old.get_model("accounts", "Organisation")
    Indicator = old.get_model("indicators", "Indicator")
    organisation = Organisation.objects.create(slug="acme", name="Acme", time_zone="UTC")
    common = {"organisation": organisation, "kind": "cpi", "period": "month", "aggregation": "mean"}
    Indicator.objects.create(
        code="banded", name="B", direction="higher_is_better", band_low=20.0, band_high=None,
        action_below="fix", action_above="", **common,
    )  # fmt: skip
    Indicator.objects.create(code="plain", name="P", direction="in_range", **common)
    try:
        new = migrate(AFTER)
        Band = new.get_model("indicators", "Band")
        rows = list(
            Band.objects.values_list(
                "indicator__code", "valid_from", "low", "high", "action_below", "action_above"
            )
        )
        assert rows == [("banded", FROM_THE_START, 20.0, None, "fix", "")]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
