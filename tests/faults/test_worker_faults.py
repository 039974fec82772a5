"""A worker dies mid-recompute; a wake-up message is lost after commit: no value is lost."""

import time

import pytest

from tests.faults.stack import (
    Api,
    diagnose,
    dirty_marks,
    expected_vs_stored,
    found_keys,
    kill_hard,
    values_caught_up,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
CLAIM_SECONDS = "2"


def items_for(code: str, prefix: str, days: int, per_day: int) -> list[dict]:
    return [
        {
            "indicator": code,
            "key": f"{prefix}-{day}-{n}",
            "observed_at": f"2026-03-{day:02d}T{8 + n % 12:02d}:{n % 60:02d}:00+02:00",
            "value": float(day * 10 + n),
            "segment": {"channel": ("web", "phone")[n % 2]},
        }
        for day in range(1, days + 1)
        for n in range(per_day)
    ]


def test_a_worker_killed_mid_recompute_is_taken_over_by_the_sweep(stack, queue, report):
    code = "kill_nine"
    slow = stack.worker(queue, FAULT_RECOMPUTE_DELAY="30", FAULT_CLAIM_SECONDS=CLAIM_SECONDS)
    _gunicorn, port = stack.gunicorn(queue)
    api = Api(port, stack.api_key)
    api.create_indicator(code)
    items = items_for(code, "k", days=10, per_day=20)
    answer = api.push(items)
    assert answer.status == 200, answer
    acknowledged = sum(answer.body.values())

    claimed = wait_until(
        lambda: (
            stack.sql("SELECT count(*) FROM indicators_dirtymark WHERE claimed_until IS NOT NULL")[
                0
            ][0]
            > 0
        ),
        timeout=30,
    )
    assert claimed, "the slow worker never claimed the marks\n" + stack.log_tail()
    time.sleep(0.5)  # inside the recompute transaction, sleeping in _store
    kill_hard(slow)
    assert dirty_marks(stack, [code]) > 0, "the killed worker must not have released its marks"
    assert not stack.sql("SELECT count(*) FROM indicators_periodvalue")[0][0]

    sweep_queue = f"{queue}-sweep"
    stack.worker(sweep_queue, FAULT_CLAIM_SECONDS=CLAIM_SECONDS)
    caught_up = wait_until(
        lambda: values_caught_up(stack, [code]),
        timeout=60,
        interval=1.0,
        on_tick=lambda: stack.send_sweep(sweep_queue),
    )
    expected, stored = expected_vs_stored(stack, [code])
    found = found_keys(stack, code, {item["key"] for item in items})
    report(acknowledged, found, f"period values {len(stored)}/{len(expected)}")
    assert caught_up, diagnose(stack, [code]) + "\n" + stack.log_tail(1500)
    assert found == acknowledged == len(items)


def test_a_lost_wake_up_between_commit_and_enqueue_is_swept(stack, queue, report):
    code = "lost_wake_up"
    stack.worker(queue)
    _gunicorn, port = stack.gunicorn(queue, FAULT_SKIP_ENQUEUE="1")
    api = Api(port, stack.api_key)
    api.create_indicator(code)
    items = items_for(code, "w", days=5, per_day=4)
    acknowledged = 0
    for start in range(0, len(items), 5):
        answer = api.push(items[start : start + 5])
        assert answer.status == 200, answer
        acknowledged += sum(answer.body.values())

    time.sleep(2)  # a worker is listening, but no message was ever sent
    assert dirty_marks(stack, [code]) > 0
    assert not values_caught_up(stack, [code])

    caught_up = wait_until(
        lambda: values_caught_up(stack, [code]),
        timeout=30,
        interval=1.0,
        on_tick=lambda: stack.send_sweep(queue),
    )
    found = found_keys(stack, code, {item["key"] for item in items})
    report(acknowledged, found)
    assert caught_up, diagnose(stack, [code]) + "\n" + stack.log_tail(1500)
    assert found == acknowledged == len(items)


def test_a_failed_recompute_frees_its_claim_for_the_retry(stack, queue, report):
    code = "failed_once"
    stack.worker(queue, FAULT_FAIL_ONCE="1")  # the product's own CLAIM_SECONDS
    _gunicorn, port = stack.gunicorn(queue)
    api = Api(port, stack.api_key)
    api.create_indicator(code)
    items = items_for(code, "f", days=3, per_day=5)
    answer = api.push(items)
    assert answer.status == 200, answer
    caught_up = wait_until(
        lambda: values_caught_up(stack, [code]),
        timeout=20,
        interval=1.0,
        on_tick=lambda: stack.send_sweep(queue),
    )
    found = found_keys(stack, code, {item["key"] for item in items})
    report(sum(answer.body.values()), found, f"caught up within 20 s: {caught_up}")
    assert found == len(items)
    assert caught_up, diagnose(stack, [code])
