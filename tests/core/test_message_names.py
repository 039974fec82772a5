"""Every app's messages reach the catalogues: every translation function is imported under a
name that makemessages extracts, so no message is left out of locale/*.po."""

import ast
from pathlib import Path

from django.conf import settings

# What `manage.py makemessages` finds: xgettext's own Python keywords and the ones Django adds.
EXTRACTED = {
    "_",
    "gettext",
    "ngettext",
    "dgettext",
    "dngettext",
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy",
    "pgettext",
    "npgettext",
    "pgettext_lazy",
    "npgettext_lazy",
}
TRANSLATION = "django.utils.translation"
APPS = (
    "accounts",
    "config",
    "connectors",
    "core",
    "cpi",
    "dashboard",
    "indicators",
    "outcomes",
    "scorecard",
    "surveys",
)


def names_not_extracted(source: str) -> list[str]:
    """`name as alias` of each translation function imported under a name xgettext misses."""
    missed = []
    for statement in ast.walk(ast.parse(source)):
        if isinstance(statement, ast.ImportFrom) and statement.module == TRANSLATION:
            for alias in statement.names:
                bound = alias.asname or alias.name
                if "gettext" in alias.name and bound not in EXTRACTED:
                    missed.append(f"{alias.name} as {bound}")
    return missed


def test_an_alias_makemessages_misses_is_found():
    source = "from django.utils.translation import gettext as _g, gettext_lazy as _\n"
    assert names_not_extracted(source) == ["gettext as _g"]


def test_every_translation_function_is_imported_under_an_extracted_name():
    root = Path(settings.BASE_DIR)
    modules = sorted(path for app in APPS for path in (root / app).rglob("*.py"))
    assert len(modules) > 100
    missed = {
        str(path.relative_to(root)): names
        for path in modules
        if (names := names_not_extracted(path.read_text()))
    }
    assert missed == {}
