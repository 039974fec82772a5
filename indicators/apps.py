from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicators")

    def ready(self):
        # The worker records recompute durations through the metrics module's signal handlers.
        # Services wake the recompute by task name, so the tasks must be registered in every
        # process (web, commands), not only in workers, which autodiscover them.
        from . import metrics, tasks  # noqa: F401
