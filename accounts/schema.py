"""How the OpenAPI schema describes `Authorization: Api-Key <key>` (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The `Api-Key` security scheme of `ApiKeyAuthentication`; loaded by AccountsConfig.ready()."""

    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "Api-Key"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Api-Key <key>: a key made with `manage.py create_api_key`.",
        }
