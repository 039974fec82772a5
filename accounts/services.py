"""Writes with rules for organisations, people and API keys."""

import hashlib
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiKey, Membership, NotifyChoice, Organisation, Role

KEY_PREFIX_LENGTH = 8


def digest_of(secret: str) -> str:
    """SHA-256 of a high-entropy random key (no salt needed: keys are 256-bit random)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_organisation(
    *, slug: str, name: str, time_zone: str = "Europe/Stockholm", language: str = "en"
) -> Organisation:
    organisation = Organisation(slug=slug, name=name, time_zone=time_zone, language=language)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def create_user(
    *,
    organisation: Organisation,
    username: str,
    role: str = Role.VIEWER,
    password: str | None = None,
):
    """Create (or reuse) a user and give them `role` in `organisation`."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if password:
        user.set_password(password)
        user.save()
    elif created:
        user.set_unusable_password()
        user.save()
    Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    return user


def create_api_key(*, organisation: Organisation, name: str) -> tuple[ApiKey, str]:
    """Make a key; returns the row and the full secret, which is never stored or shown again."""
    prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
    secret = f"oc_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        organisation=organisation, name=name, prefix=prefix, digest=digest_of(secret)
    )
    return api_key, secret


def revoke_api_key(*, api_key: ApiKey) -> None:
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])


def authenticate_api_key(secret: str) -> ApiKey | None:
    """The active key matching `secret`, with its organisation, or None."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != "oc":
        return None
    api_key = (
        ApiKey.objects.select_related("organisation")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.digest, digest_of(secret)):
        return None
    return api_key


@transaction.atomic
def update_profile(*, membership: Membership, email: str, notify: str) -> Membership:
    """Set the member's e-mail address and notification choice (validated by the caller's form;
    checked again here so no other caller stores a bad choice)."""
    if notify not in NotifyChoice.values:
        raise ValidationError({"notify": _("Choose at once, daily digest or never.")})
    if email:
        validate_email(email)
    user = membership.user
    if user.email != email:
        user.email = email
        user.save(update_fields=["email"])
    if membership.notify != notify:
        membership.notify = notify
        membership.save(update_fields=["notify"])
    return membership
