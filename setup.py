"""What `pip install .` installs: the apps, and the templates, static files and catalogues.

Templates, static files and `locale/` (with the compiled `.mo` catalogues, which are committed) sit
at the top of the source tree, where `manage.py` finds them. An installed copy carries them inside
`config/` as `config/templates`, `config/static` and `config/locale`, where `config/settings.py`
looks first. Everything else is in `pyproject.toml`; a new app is added to APPS.
"""

from pathlib import Path

from setuptools import find_packages, setup

APPS = [
    "config",
    "core",
    "accounts",
    "indicators",
    "surveys",
    "cpi",
    "outcomes",
    "scorecard",
    "connectors",
    "dashboard",
]
ASSETS = {"config.templates": "templates", "config.static": "static", "config.locale": "locale"}


def asset_packages() -> list[str]:
    """Every directory under an asset directory, named as the package that carries its files."""
    names = []
    for package, directory in ASSETS.items():
        root = Path(__file__).resolve().parent / directory
        for path in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
            names.append(".".join([package, *path.relative_to(root).parts]))
    return names


setup(
    packages=[
        *find_packages(include=[name for app in APPS for name in (app, f"{app}.*")]),
        *asset_packages(),
    ],
    package_dir=ASSETS,
    # Data files inside the apps (the demo's definitions.json), and every asset file.
    package_data={"": ["*.json"], **{package: ["*"] for package in asset_packages()}},
)
