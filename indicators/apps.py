from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicators")

    def ready(self):
        # The worker records recompute durations through the metrics module's signal handlers.
        from . import metrics  # noqa: F401
