"""The exit codes, the exception that ends a push, and `_` for the messages.

`_` reads the project's own catalogues (`locale/`, or `config/locale/` in an installed copy) with
the standard library's gettext, in the language of LANGUAGE / LC_ALL / LANG: no Django here.
"""

import gettext
from pathlib import Path

_PACKAGES = Path(__file__).resolve().parents[2]
_LOCALE_DIRS = [_PACKAGES / "locale", _PACKAGES / "config" / "locale"]
_catalogue = next(
    (
        gettext.translation("django", localedir=str(path), fallback=True)
        for path in _LOCALE_DIRS
        if path.is_dir()
    ),
    gettext.NullTranslations(),
)
_ = _catalogue.gettext
ngettext = _catalogue.ngettext

EXIT_OK, EXIT_REFUSED, EXIT_FAILED = 0, 1, 2  # pushed; items refused; any other problem


class Stop(Exception):
    """The push cannot go on: the message says why and what to do, `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED):
        super().__init__(message)
        self.code = code
