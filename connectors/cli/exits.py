"""The exit codes, the exception that ends a push, and `_` for the messages.

`_` and `ngettext` are `core.messages`': without Django they read the project's own catalogues
with the standard library's gettext, in the language of LANGUAGE / LC_ALL / LANG.
"""

from core.messages import gettext as _  # noqa: F401 (the CLI's modules import it from here)
from core.messages import ngettext as ngettext

EXIT_OK, EXIT_REFUSED, EXIT_FAILED = 0, 1, 2  # pushed; items refused; any other problem


class Stop(Exception):
    """The push cannot go on: the message says why and what to do, `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED):
        super().__init__(message)
        self.code = code
