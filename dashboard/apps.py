from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The home page: panels composed from every app's selectors (the top of the layers)."""

    name = "dashboard"
    default_auto_field = "django.db.models.BigAutoField"
