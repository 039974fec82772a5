"""`pip install .` carries what the production path needs: the apps, templates, static files and
compiled catalogues, so an installed copy serves Swedish and Finnish pages without the source tree.
"""

import gettext
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po"))

# Run by the installed copy, from a directory without the source tree.
SERVE_LOGIN_PAGE = """
import json, django
django.setup()
from django.core.management import call_command
from django.test import Client
import config
call_command("migrate", verbosity=0)
pages = {
    language: Client(HTTP_HOST="localhost").get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for language in ("en", "sv", "fi")
}
print(json.dumps({"config": config.__file__, "pages": pages}))
"""


def catalog(path: Path) -> dict:
    with path.open("rb") as file:
        return gettext.GNUTranslations(file)._catalog


def test_every_language_has_a_catalogue():
    assert {po.parent.parent.name for po in CATALOGUES} == {"sv", "fi"}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: po.parent.parent.name)
def test_every_catalogue_has_an_up_to_date_compiled_copy(po, tmp_path):
    """The committed .mo says what msgfmt makes of the .po now (`make messages` rebuilds it)."""
    assert shutil.which("msgfmt"), "msgfmt is missing: install gettext"
    committed = po.with_suffix(".mo")
    assert committed.exists(), f"{committed} is missing: run `make messages` and commit it"
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", fresh, po], check=True)
    assert catalog(committed) == catalog(fresh), f"{committed} is stale: run `make messages`"


def build(target: Path) -> Path:
    """What `pip install .` puts in site-packages: setup.py's build of the packages."""
    subprocess.run(
        [sys.executable, "setup.py", "-q", "egg_info", "--egg-base", target,
         "build_py", "--build-lib", target / "site"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    return target / "site"


@pytest.mark.slow
def test_the_installed_package_serves_swedish_and_finnish_pages_from_any_directory(tmp_path):
    site = build(tmp_path)
    assert {p.name for p in site.iterdir()} == {
        "config", "core", "accounts", "indicators", "surveys", "cpi", "outcomes", "scorecard", "connectors", "dashboard",
    }  # fmt: skip
    assert (site / "indicators/demo/definitions.json").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "serve.py").write_text(SERVE_LOGIN_PAGE)
    names = ("DJANGO_ENV", "DATABASE_URL", "REDIS_URL", "PYTHONPATH", "STATIC_ROOT")
    env = {k: v for k, v in os.environ.items() if k not in names}
    env |= {
        "PYTHONPATH": str(site),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{elsewhere / 'db.sqlite3'}",
        "STATIC_ROOT": str(elsewhere / "static"),
    }
    process = subprocess.run(
        [sys.executable, "serve.py"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    answer = json.loads(process.stdout.strip().splitlines()[-1])
    assert Path(answer["config"]).is_relative_to(site)
    pages = answer["pages"]
    assert "Sign in" in pages["en"]
    assert "Logga in" in pages["sv"] and "Sign in" not in pages["sv"]
    assert "Kirjaudu sisään" in pages["fi"] and "Sign in" not in pages["fi"]
