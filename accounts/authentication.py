"""`Authorization: Api-Key <key>` for machine clients."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiKey, Role
from .services import authenticate_api_key

TOUCH_INTERVAL = timedelta(minutes=5)


class ApiClient:
    """The principal behind an API key: acts as an analyst of the key's organisation."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    role = Role.ANALYST

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.organisation = api_key.organisation
        self.pk = None
        self.username = f"api-key:{api_key.name}"

    def __str__(self) -> str:
        return self.username


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        scheme, _sep, secret = header.partition(" ")
        if scheme != self.keyword:
            return None
        api_key = authenticate_api_key(secret.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > TOUCH_INTERVAL:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return ApiClient(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword
