"""`gettext` / `ngettext` for code that runs both inside the app and without Django (the push CLI).

Inside the app (Django loaded and configured) they are Django's, in the request's language. In
a process without Django they read the project's own catalogues (`locale/`, or `config/locale/`
in an installed copy) with the standard library's gettext, in the language of LANGUAGE / LC_ALL /
LANG. Django is looked up in `sys.modules`, never imported here.
"""

import gettext as plain_gettext
import sys
from functools import cache
from pathlib import Path

_PACKAGES = Path(__file__).resolve().parents[1]
_LOCALE_DIRS = [_PACKAGES / "locale", _PACKAGES / "config" / "locale"]


@cache
def catalogue() -> plain_gettext.NullTranslations:
    for path in _LOCALE_DIRS:
        if path.is_dir():
            return plain_gettext.translation("django", localedir=str(path), fallback=True)
    return plain_gettext.NullTranslations()


def _django_translation():
    conf = sys.modules.get("django.conf")
    if conf is None or not conf.settings.configured:
        return None
    from django.utils import translation

    return translation


def gettext(message: str) -> str:
    django = _django_translation()
    return django.gettext(message) if django else catalogue().gettext(message)


def ngettext(singular: str, plural: str, number: int) -> str:
    django = _django_translation()
    if django:
        return django.ngettext(singular, plural, number)
    return catalogue().ngettext(singular, plural, number)
