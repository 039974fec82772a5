from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = _("Connectors")

    def ready(self):
        # tasks: services wake runs by their registered name, and Celery discovers tasks only in
        # workers, so a web process registers them here.
        from indicators.sources import register_sources

        from . import selectors, tasks  # noqa: F401

        # The indicator page lists the connectors that deliver to it.
        register_sources("connectors", selectors.sources_of)
