"""Schemathesis, every check and every phase, over the live API: 0 failures.

Every operation is tested on both databases in each `make test`, and each database's suite
sends about half of the test cases. An operation gets the coverage phase (the schema's boundary
and wrongly typed values, most of the test cases) on one database and the examples, fuzzing and
stateful phases on the other: the ingest core (measurements and survey responses), the
deviations and the results chain get coverage on PostgreSQL, the production
database; CPIs, experiments, the scorecard and the surveys themselves on SQLite. The operations
whose SQL differs by database, the bulk pushes (an upsert on each) and the survey results
(jsonb / json1), get the examples, fuzzing and stateful phases on both.
`test_each_operation_gets_every_phase_and_the_database_specific_ones_both_spreads` checks that
split against the schema, and the run checks that schemathesis selected exactly those operations.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = Path(sys.executable).with_name("st")
# Bounded so the run takes about a minute on a busy machine; the seed makes it repeatable.
MAX_EXAMPLES = 10
SEED = 20260301
POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
METHODS = {"get", "post", "put", "patch", "delete"}
# The paths whose coverage phase runs on PostgreSQL; the others' runs on SQLite. Two halves of
# about 2,500 test cases each.
ON_POSTGRES = (
    "^/api/v1/(indicators|measurements|deviations|customer-centricity|initiatives|chain|"
    "indicator-library)/|^/api/v1/surveys/[^/]+/responses/"
)
# The operations whose queries differ by database: their examples, fuzzing and stateful phases
# run on both. The others' run on the database that does not run their coverage phase.
ON_BOTH = "^/api/v1/measurements/$|^/api/v1/surveys/[^/]+/(responses|results)/$"
SPREAD_PHASES = "examples,fuzzing,stateful"


def coverage_filter(postgres: bool) -> list[str]:
    return ["--include-path-regex" if postgres else "--exclude-path-regex", ON_POSTGRES]


def spread_filter(postgres: bool) -> list[str]:
    # The operations the other database covers, and those on both: schemathesis has one
    # exclude regex say "covered here and not on both" (lookaheads at the start of the path).
    covered_here = f"(?={ON_POSTGRES})" if postgres else f"(?!{ON_POSTGRES})"
    return ["--exclude-path-regex", f"\\A(?!{ON_BOTH}){covered_here}"]


def selected(path: str, options: list[str]) -> bool:
    """Whether schemathesis's path filter `options` selects `path` (it uses `re.search`)."""
    flag, regex = options
    found = re.search(regex, path) is not None
    return found if flag == "--include-path-regex" else not found


def operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [(m, path) for path, ops in schema["paths"].items() for m in ops if m in METHODS]


def test_each_operation_gets_every_phase_and_the_database_specific_ones_both_spreads():
    ops = operations()
    assert len(ops) >= 69
    for method, path in ops:
        coverage = {pg for pg in (True, False) if selected(path, coverage_filter(pg))}
        spread = {pg for pg in (True, False) if selected(path, spread_filter(pg))}
        assert len(coverage) == 1, (method, path, coverage)
        if re.search(ON_BOTH, path):
            assert spread == {True, False}, (method, path)
        else:
            assert spread == {True, False} - coverage, (method, path, spread)
    on_both = {path for _m, path in ops if re.search(ON_BOTH, path)}
    assert on_both == {
        "/api/v1/measurements/",
        "/api/v1/surveys/{code}/responses/",
        "/api/v1/surveys/{code}/results/",
    }
    on_postgres = {path for _m, path in ops if selected(path, coverage_filter(True))}
    assert {"/api/v1/measurements/", "/api/v1/surveys/{code}/responses/"} <= on_postgres
    assert {"/api/v1/surveys/", "/api/v1/surveys/{code}/results/"}.isdisjoint(on_postgres)


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_failure_in_any_operation(live_api, tmp_path, capsys):
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.read_text() + _deviation_operations(live_api.deviation_id))
    ops = operations()
    spread_options, coverage_options = spread_filter(POSTGRES), coverage_filter(POSTGRES)
    spread = _run(live_api, config, capsys, ["--phases", SPREAD_PHASES, *spread_options])
    coverage = _run(live_api, config, capsys, ["--phases", "coverage", *coverage_options])
    assert spread["total"] == coverage["total"] == len(ops)
    assert spread["selected"] == sum(selected(path, spread_options) for _m, path in ops)
    assert coverage["selected"] == sum(selected(path, coverage_options) for _m, path in ops)
    assert 9 <= spread["operations"] == spread["selected"] < spread["total"]
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
