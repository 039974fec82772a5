"""Schemathesis, every check and every phase (stateful included), over the live API: 0 failures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = Path(sys.executable).with_name("st")
# Bounded so the run takes about a minute on a busy machine; the seed makes it repeatable.
MAX_EXAMPLES = 10
SEED = 20260301


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_failure_in_any_operation(live_api, tmp_path, capsys):
    report = tmp_path / "report.json"
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.read_text() + _deviation_operations(live_api.deviation_id))
    command = [
        str(ST),
        "--config-file",
        str(config),
        "run",
        live_api.schema_url,
        "--checks",
        "all",
        "--header",
        f"Authorization: Api-Key {live_api.key}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        # One worker: the live server shares one SQLite connection between its threads.
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    counts = _counts(json.loads(report.read_text()))
    with capsys.disabled():  # the counts belong in the test run's output, pass or fail
        print(
            "\nschemathesis: {operations} operations, {test_cases} test cases, "
            "{failures} failures; phases {phases}".format(**counts)
        )
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    assert counts["operations"] == counts["selected"] == counts["total"] >= 9
    assert counts["failures"] == counts["errors"] == 0
    assert counts["phases"]["stateful"] == counts["phases"]["coverage"] == "success"


def _deviation_operations(deviation_id: int) -> str:
    # No operation creates deviations, so schemathesis could only guess ids and meet 404s: the
    # detail operations get the fixture's deviation. An integer, written here: a string from an
    # environment variable would read as a wrongly typed id in negative tests.
    return (
        "\n[[operations]]\n"
        'include-path-regex = "^/api/v1/deviations/\\\\{id\\\\}/$"\n'
        f"parameters = {{ id = {deviation_id} }}\n"
    )


def _counts(report: dict) -> dict:
    return {
        "operations": report["operations"]["tested"],
        "selected": report["operations"]["selected"],
        "total": report["operations"]["total"],
        "test_cases": report["test_cases"]["generated"],
        "failures": sum(failure["count"] for failure in report["failures"]),
        "errors": len(report["errors"]),
        "phases": {name: phase["status"] for name, phase in report["phases"].items()},
    }
