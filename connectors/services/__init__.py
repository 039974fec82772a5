"""Every connector write that has rules: connectors, runs, webhook deliveries.

Views, tasks, commands and the admin write through these names only.
"""

from .errors import PullFailed, SourceUnavailable
from .runs import run_connector, running
from .sink import deliver

__all__ = ["PullFailed", "SourceUnavailable", "deliver", "run_connector", "running"]
