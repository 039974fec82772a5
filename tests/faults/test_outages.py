"""Redis down during pushes, PostgreSQL restarted during pushes: answers stay honest, nothing lost."""

import threading
import time

import pytest

from tests.faults.stack import Api, Pusher, diagnose, found_keys, values_caught_up, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
PUSH_LIMIT_SECONDS = 5.0


def batch(code: str, prefix: str, n: int, size: int = 20) -> list[dict]:
    return [
        {
            "indicator": code,
            "key": f"{prefix}-{n}-{i}",
            "observed_at": f"2026-04-{1 + (n + i) % 28:02d}T12:{i % 60:02d}:00+03:00",
            "value": float((n * 31 + i * 7) % 100),
            "segment": {"channel": ("web", "shop", "app")[i % 3]},
        }
        for i in range(size)
    ]


def test_pushes_during_a_redis_outage_are_accepted_and_caught_up(stack, queue, report):
    """Our choice: accept (200). The dirty marks are committed with the data, so the broker is
    only a wake-up; refusing would make every client retry for an outage that loses nothing."""
    code = "redis_outage"
    stack.worker(queue)
    _gunicorn, port = stack.gunicorn(queue)
    api = Api(port, stack.api_key)
    api.create_indicator(code)
    sent, answers = [], []
    for n in range(3):
        sent.append(batch(code, "r", n))
        answers.append(api.push(sent[-1]))

    stack.redis.stop()
    for n in range(3, 13):
        sent.append(batch(code, "r", n))
        answers.append(api.push(sent[-1]))
    down_answers = answers[3:]
    stack.redis.start()
    for n in range(13, 15):
        sent.append(batch(code, "r", n))
        answers.append(api.push(sent[-1]))

    statuses = [a.status for a in answers]
    slowest = max(a.seconds for a in down_answers)
    acknowledged = sum(sum(a.body.values()) for a in answers if a.status == 200)
    keys = {item["key"] for items in sent for item in items}
    # A worker reconnects by itself; the messages queued before the outage died with Redis,
    # so the periodic sweep (beat, every minute) is what brings the values up to date.
    caught_up = wait_until(
        lambda: values_caught_up(stack, [code]),
        timeout=60,
        interval=1.0,
        on_tick=lambda: stack.send_sweep(queue),
    )
    found = found_keys(stack, code, keys)
    report(acknowledged, found, f"slowest push while Redis was down {slowest:.2f} s")
    assert statuses == [200] * len(answers), [(a.status, a.body) for a in answers]
    assert slowest < PUSH_LIMIT_SECONDS
    assert found == acknowledged == len(keys)
    assert caught_up, diagnose(stack, [code]) + "\n" + stack.log_tail(1500)


def test_a_postgres_restart_answers_503_with_retry_after_and_loses_nothing(stack, queue, report):
    code = "pg_restart"
    # A recompute cut off by the crash keeps its claim for CLAIM_SECONDS (see
    # test_a_failed_recompute_frees_its_claim_for_the_retry); short here so the test is about loss.
    stack.worker(queue, FAULT_CLAIM_SECONDS="2")
    _gunicorn, port = stack.gunicorn(queue)
    api = Api(port, stack.api_key)
    api.create_indicator(code)
    api.close()

    def endless(client: int):
        n = 0
        while True:
            yield batch(code, f"p{client}", n)
            n += 1

    pushers = [Pusher(port, stack.api_key, endless(c), timeout=30) for c in range(3)]
    for pusher in pushers:
        pusher.start()
    time.sleep(2)
    stack.pg.stop("immediate")  # a crash: no checkpoint, recovery from the WAL on start
    time.sleep(3)
    stack.pg.start()
    time.sleep(3)
    for pusher in pushers:
        pusher.halt.set()
    for pusher in pushers:
        pusher.join(timeout=60)
        assert not pusher.is_alive(), "a client is stuck in a request"

    answers = [answer for pusher in pushers for answer in pusher.answers]
    statuses = {}
    for answer, _items in answers:
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
    acknowledged_keys = {
        item["key"] for answer, items in answers if answer.status == 200 for item in items
    }
    acknowledged = sum(sum(a.body.values()) for a, _items in answers if a.status == 200)
    found = found_keys(stack, code, acknowledged_keys)
    slowest = max(answer.seconds for answer, _items in answers)
    report(acknowledged, found, f"answers by status {statuses}, slowest {slowest:.2f} s")

    assert set(statuses) <= {200, 503}, [
        (a.status, a.body) for a, _items in answers if a.status not in (200, 503)
    ]
    assert statuses.get(503), "no request met the outage: the test proved nothing"
    assert all(a.retry_after for a, _items in answers if a.status == 503)
    assert slowest < 15, "a request hung"
    assert all(p.answers[-1][0].status == 200 for p in pushers), "the service did not come back"
    assert found == acknowledged == len(acknowledged_keys)
    caught_up = wait_until(
        lambda: values_caught_up(stack, [code]),
        timeout=60,
        interval=1.0,
        on_tick=lambda: stack.send_sweep(queue),
    )
    assert caught_up, diagnose(stack, [code]) + "\n" + stack.log_tail(1500)


def test_clients_never_wait_on_a_hung_connection_during_the_restart(stack):
    """Nothing else of the module may still run: the restart test joined every client."""
    assert threading.active_count() < 10
