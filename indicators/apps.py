from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicators")

    def ready(self):
        # The worker records recompute durations through the metrics module's signal handlers.
        # Services wake the recompute by task name (services.dirty); the name must be registered in
        # every process, not only in workers, whose autodiscovery is the only other importer.
        from . import (
            metrics,  # noqa: F401
            tasks,  # noqa: F401
        )
