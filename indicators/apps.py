from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicators")

    def ready(self):
        # The worker records recompute durations through the metrics module's signal handlers.
        # Register the Celery tasks in every process (web too): services wake the recompute
        # by the task's name (services.dirty), never by importing this module.
        from . import (
            metrics,  # noqa: F401
            tasks,  # noqa: F401
        )
