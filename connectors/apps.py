from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = _("Connectors")

    def ready(self):
        # tasks: services wake runs by their registered name, and Celery discovers tasks only in
        # workers, so a web process registers them here. The indicator page lists the
        # connectors that deliver to it. Demo: one connector of each kind.
        from indicators.demo.parts import register_demo_part
        from indicators.sources import register_sources

        from . import selectors, tasks  # noqa: F401
        from .demo.load import load_demo_connectors

        register_sources("connectors", selectors.sources_of)
        register_demo_part("connectors", load_demo_connectors)

        # A schedule runs in its organisation's time zone: a changed zone moves the schedules.
        from django.db.models.signals import post_save

        from accounts.models import Organisation

        post_save.connect(
            _follow_time_zone, sender=Organisation, dispatch_uid="connectors.follow_time_zone"
        )


def _follow_time_zone(sender, instance, created=False, raw=False, **_kwargs):
    if created or raw:
        return
    from .services.schedules import follow_time_zone

    follow_time_zone(instance)
