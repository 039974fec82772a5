from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicators")

    def ready(self):
        # /healthz and /metrics (core) report the recompute lag, counters and durations; the
        # worker loads this too, so core's task timers record its recompute runs.
        from core.health import register_check

        # tasks: services wake the recompute by its registered name, and Celery discovers
        # tasks only in workers, so a web process registers them here.
        from . import health, metrics, tasks  # noqa: F401

        register_check("oldest_dirty_seconds", health.oldest_dirty_seconds)
        metrics.register()
