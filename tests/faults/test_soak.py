"""Five clients push overlapping batches at once; the final values equal a recomputation."""

import os
import random
import time

import pytest

from tests.faults.stack import (
    Api,
    Pusher,
    diagnose,
    expected_vs_stored,
    found_keys,
    values_caught_up,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
SOAK_SECONDS = float(os.environ.get("FAULT_SOAK_SECONDS", "60"))
CLIENTS = 5
KEYS = 600  # shared by every client, so batches overlap and rewrite each other's items


def overlapping_batches(code: str, client: int, deadline: float):
    rng = random.Random(client)
    while time.monotonic() < deadline:
        keys = rng.sample(range(KEYS), rng.randint(20, 200))
        yield [
            {
                "indicator": code,
                "key": f"s-{k}",
                # The observed time (so the day and month) of a key moves between pushes too.
                "observed_at": f"2026-{1 + (k + rng.randint(0, 1)) % 3:02d}-{1 + k % 28:02d}"
                f"T{k % 24:02d}:00:00+02:00",
                "value": float(rng.randint(0, 1000)),
                "segment": {"channel": ("web", "phone", "shop")[(k + rng.randint(0, 1)) % 3]},
            }
            for k in keys
        ]


def unexpected_errors_logged(stack) -> list[str]:
    """The tracebacks gunicorn logged for 500 answers, so a failure says what broke."""
    texts = [path.read_text(errors="replace") for path in stack.logs.glob("gunicorn-*.log")]
    starts = [(text, text.find("unexpected error")) for text in texts]
    return [text[start : start + 4000] for text, start in starts if start >= 0]


def test_concurrent_overlapping_pushes_end_in_consistent_values(stack, queue, report):
    codes = ["soak_a", "soak_b"]
    stack.worker(queue)
    stack.worker(queue)  # two workers race for the same marks
    _gunicorn, port = stack.gunicorn(queue)
    api = Api(port, stack.api_key)
    for code in codes:
        api.create_indicator(code)
    api.close()

    deadline = time.monotonic() + SOAK_SECONDS
    pushers = [
        Pusher(port, stack.api_key, overlapping_batches(codes[c % 2], c, deadline))
        for c in range(CLIENTS)
    ]
    for pusher in pushers:
        pusher.start()
    for pusher in pushers:
        pusher.join(timeout=SOAK_SECONDS + 120)
        assert not pusher.is_alive(), "a client is stuck in a request"

    answers = [(answer, items) for pusher in pushers for answer, items in pusher.answers]
    statuses = {}
    for answer, _items in answers:
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
    acknowledged_items = sum(sum(a.body.values()) for a, _items in answers if a.status == 200)
    acknowledged, found = 0, 0
    for code in codes:
        keys = {
            item["key"]
            for answer, items in answers
            if answer.status == 200
            for item in items
            if item["indicator"] == code
        }
        acknowledged += len(keys)
        found += found_keys(stack, code, keys)

    caught_up = wait_until(
        lambda: values_caught_up(stack, codes),
        timeout=90,
        interval=1.0,
        on_tick=lambda: stack.send_sweep(queue),
    )
    expected, stored = expected_vs_stored(stack, codes)
    reasons = sorted(
        {
            line.split("database unavailable: ", 1)[1][:60]
            for path in stack.logs.glob("gunicorn-*.log")
            for line in path.read_text(errors="replace").splitlines()
            if "database unavailable: " in line
        }
    )
    report(
        acknowledged,
        found,
        f"distinct keys; {acknowledged_items} items acknowledged in {statuses.get(200, 0)}"
        f" pushes over {SOAK_SECONDS:.0f} s, answers by status {statuses},"
        f" period values checked {len(expected)}; 503 causes {reasons}",
    )
    assert set(statuses) <= {200, 503}, (
        [(a.status, a.body) for a, _items in answers if a.status not in (200, 503)],
        unexpected_errors_logged(stack),
    )
    assert all(a.retry_after for a, _items in answers if a.status == 503)
    assert statuses.get(200, 0) >= CLIENTS
    assert found == acknowledged
    assert caught_up, diagnose(stack, codes) + "\n" + stack.log_tail(1500)
    assert expected == stored
