from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Project plumbing with no domain words: API errors, pagination, scoping, idempotency
    records, health and metrics (filled by the apps above through registries), database helpers.
    """

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"
