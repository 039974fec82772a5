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
        from .hooks import register_values_changed
        from .services.deviation_notices import wake_on_values_changed

        register_check("oldest_dirty_seconds", health.oldest_dirty_seconds)
        metrics.register()
        # After each recompute commit: tell owners and webhooks of the deviations it opened.
        register_values_changed("indicators.deviation_notices", wake_on_values_changed)
