"""Fault injection runs against PostgreSQL and Redis servers of its own, one pair per module.

The tests need `make test`'s PostgreSQL pass (DATABASE_URL on PostgreSQL and REDIS_URL set) only as
the signal that this machine has PostgreSQL and Redis; they never touch those servers.
"""

import os
import uuid

import pytest

from tests.faults.stack import start_stack

HERE = os.path.dirname(__file__)
REPORTED: list[str] = []


def pytest_collection_modifyitems(config, items):
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    for item in items:
        if not str(item.path).startswith(HERE):
            continue
        if not postgres or not os.environ.get("REDIS_URL"):
            item.add_marker(
                pytest.mark.skip(reason="needs DATABASE_URL on PostgreSQL and REDIS_URL")
            )


@pytest.fixture(scope="module")
def stack():
    stack = start_stack()
    yield stack
    stack.shutdown()


@pytest.fixture
def queue():
    return f"faults-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def report(request):
    """Print acknowledged vs found measurements in the test's output (shown with -rA or -s)."""
    lines: list[str] = []

    def say(acknowledged: int, found: int, note: str = "") -> None:
        line = f"{request.node.name}: acknowledged={acknowledged} found={found} {note}".strip()
        lines.append(line)
        print(line)

    yield say
    REPORTED.extend(lines)


def pytest_terminal_summary(terminalreporter):
    if REPORTED:
        terminalreporter.section("fault injection: acknowledged vs found")
        for line in REPORTED:
            terminalreporter.write_line(line)
