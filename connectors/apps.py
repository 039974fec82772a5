from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = _("Connectors")

    def ready(self):
        # tasks: services wake runs by their registered name, and Celery discovers tasks only in
        # workers, so a web process registers them here.
        from . import tasks  # noqa: F401
