"""The organisation's language is its members' default; a person's own choice wins."""

from django.conf import settings
from django.utils import translation


class OrganisationLanguageMiddleware:
    """Activate the organisation's `language` for a signed-in member who has not chosen one.

    Precedence: the language cookie (set by the switcher through /i18n/setlang/) > the member's
    organisation's language > the browser's Accept-Language (already activated by Django's
    LocaleMiddleware) > LANGUAGE_CODE. The browser header ranks below the organisation because
    every browser sends one, so it is not a choice the person made in this app. Anonymous pages
    (the login page) and API-key requests keep LocaleMiddleware's choice. Goes after
    AuthenticationMiddleware and accounts' OrganisationMiddleware, whose membership it reuses.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = organisation_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def organisation_language(request) -> str | None:
    """The language to activate for this request instead of LocaleMiddleware's, if any."""
    if chose_language(request) or not request.user.is_authenticated:
        return None
    membership = request.membership
    return membership.organisation.language if membership else None


def chose_language(request) -> bool:
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if not chosen:
        return False
    try:
        translation.get_supported_language_variant(chosen)
    except LookupError:
        return False
    return True
