"""The production description parses and names every process of the production shape."""

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import environ
import pytest
import yaml
from django.http.request import validate_host

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_HOST = "outcome.example.org"


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_has_the_production_processes_with_health_checks():
    services = compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= services.keys()
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "gunicorn" in services["web"]["command"]
    for name, service in services.items():  # the image holds the installed package, no manage.py
        assert "manage.py" not in service.get("command", []), name
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DJANGO_ENV"] == "production", name
        assert environment["DATABASE_URL"].startswith("postgres://"), name
        assert environment["REDIS_URL"].startswith("redis://"), name
        assert "ALLOW_EMBEDDED_IN_PRODUCTION" not in environment, name
        assert environment["CONNECTOR_SECRET_KEYS"].startswith("${CONNECTOR_SECRET_KEYS:?"), name
        # No default password: a guessable one would let a SQL pull or anyone on the network in.
        assert "${POSTGRES_PASSWORD:?" in environment["DATABASE_URL"], name
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]


def probe_host(monkeypatch, allowed_hosts: str) -> str:
    """Run the web health check's Python with urlopen replaced; return the Host it sends."""
    test = compose()["services"]["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    sent = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout: sent.append(request))
    monkeypatch.setenv("ALLOWED_HOSTS", allowed_hosts)
    exec(test[3], {})
    [request] = sent
    assert request.full_url == "http://127.0.0.1:8000/healthz"
    return request.get_header("Host")


@pytest.mark.parametrize(
    "allowed_hosts",
    [PRODUCTION_HOST, f"{PRODUCTION_HOST},admin.example.org", " .example.org", "*"],
)
def test_the_web_health_check_names_a_host_that_production_allows(monkeypatch, allowed_hosts):
    host = probe_host(monkeypatch, allowed_hosts)
    parsed = environ.Env.parse_value(allowed_hosts, list)
    assert validate_host(host, [h.strip() for h in parsed])


@pytest.mark.django_db
def test_the_web_health_check_reaches_healthz_through_host_validation(
    client, settings, monkeypatch
):
    settings.ALLOWED_HOSTS = [PRODUCTION_HOST]
    settings.REDIS_URL = ""
    host = probe_host(monkeypatch, PRODUCTION_HOST)
    assert client.get("/healthz", HTTP_HOST="127.0.0.1").status_code == 400
    assert client.get("/healthz", HTTP_HOST=host).status_code == 200


def test_ci_runs_make_test_only():
    lines = [
        line.strip()
        for line in (ROOT / ".ci/run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "make test" in lines


def test_a_fresh_process_knows_the_tasks_services_wake_by_name():
    """Web servers and commands (load_demo) enqueue `indicators.tasks.recompute` by its name."""
    show = (
        "import django; django.setup(); from celery import current_app; "
        "print(sorted(n for n in current_app.tasks if n.startswith('indicators.')))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    process = subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    assert "'indicators.tasks.recompute'" in process.stdout
    assert "'indicators.tasks.sweep_dirty'" in process.stdout


def test_the_readme_starts_with_the_two_commands_and_documents_the_production_opt_in():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split()[:2] for line in first_block] == [["make", "demo"], ["make", "test"]]
    assert "ALLOW_EMBEDDED_IN_PRODUCTION=1" in readme
    assert "docs/api.md" in readme and "../shared/" not in readme
