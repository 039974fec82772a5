from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Organisations and access")

    def ready(self) -> None:
        from core.api import register_organisation_resolver

        from . import schema  # noqa: F401  (registers the Api-Key scheme of the OpenAPI schema)
        from .permissions import organisation_and_role

        register_organisation_resolver(lambda request: organisation_and_role(request)[0])
