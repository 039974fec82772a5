"""Schemathesis, every check and every phase, over the live API: 0 failures.

The examples, fuzzing and stateful phases run over every operation on both databases. The coverage
phase (the schema's boundary and wrongly typed values, 85 % of the test cases and six minutes a
database) covers every operation once per `make test`: the ingest core (measurements and survey
responses), the deviations and the results chain on PostgreSQL, the production database; CPIs,
experiments, the scorecard and the surveys themselves on SQLite.
Every operation is still sent every boundary value in each run, and each suite is ~3 minutes
shorter.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = Path(sys.executable).with_name("st")
# Bounded so the run takes about a minute on a busy machine; the seed makes it repeatable.
MAX_EXAMPLES = 10
SEED = 20260301
POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
# The paths whose coverage phase runs on PostgreSQL; the others' runs on SQLite. Two halves of
# about 2,500 test cases each.
ON_POSTGRES = (
    "^/api/v1/(indicators|measurements|deviations|customer-centricity|initiatives|chain|"
    "indicator-library)/|^/api/v1/surveys/[^/]+/responses/"
)
SPREAD_PHASES = "examples,fuzzing,stateful"


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_failure_in_any_operation(live_api, tmp_path, capsys):
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.read_text() + _deviation_operations(live_api.deviation_id))
    half = ["--include-path-regex" if POSTGRES else "--exclude-path-regex", ON_POSTGRES]
    spread = _run(live_api, config, capsys, ["--phases", SPREAD_PHASES])
    coverage = _run(live_api, config, capsys, ["--phases", "coverage", *half])
    assert spread["operations"] == spread["selected"] == spread["total"] >= 9
    assert spread["phases"] == dict.fromkeys(SPREAD_PHASES.split(","), "success")
    assert 9 <= coverage["operations"] == coverage["selected"] < coverage["total"]
    assert coverage["phases"] == {"coverage": "success"}


def _run(live_api, config, capsys, options) -> dict:
    report = config.with_name(f"report-{options[1]}.json")  # named by its phases
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
        *options,
    ]
    run = subprocess.run(command, cwd=config.parent, capture_output=True, text=True, timeout=600)
    counts = _counts(json.loads(report.read_text()))
    with capsys.disabled():  # the counts belong in the test run's output, pass or fail
        print(
            "\nschemathesis {options}: {operations} operations, {test_cases} test cases, "
            "{failures} failures; phases {phases}".format(options=" ".join(options), **counts)
        )
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    assert counts["failures"] == counts["errors"] == 0
    return counts


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
        "phases": {
            name: phase["status"]
            for name, phase in report["phases"].items()
            if phase["status"] != "skip"
        },
    }
