"""Every connector write that has rules: connectors and their schedules, runs, deliveries.

Views, tasks, commands and the admin write through these names only.
"""

from .connectors import (
    create_connector,
    delete_connector,
    rotate_token,
    set_paused,
    update_connector,
    validator_for,
)
from .errors import PullFailed, SourceUnavailable
from .runs import run_connector, running, start_run
from .schedules import cron_problem, describe, sync_schedule
from .sink import deliver

__all__ = [
    "PullFailed",
    "SourceUnavailable",
    "create_connector",
    "cron_problem",
    "delete_connector",
    "deliver",
    "describe",
    "rotate_token",
    "run_connector",
    "running",
    "set_paused",
    "start_run",
    "sync_schedule",
    "update_connector",
    "validator_for",
]
