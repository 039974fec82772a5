"""Faults injected into the product's processes from the environment (tests only).

FAULT_CLAIM_SECONDS    shorter claim on dirty marks, so the sweep may take over a dead worker's marks
FAULT_RECOMPUTE_DELAY  seconds a recompute sleeps while it holds its claim (to be killed meanwhile)
FAULT_SKIP_ENQUEUE     the wake-up message is lost between commit and enqueue
FAULT_FAIL_ONCE        the first recompute of this process fails as if the database dropped
"""

import os
import time


def apply() -> None:
    from indicators import tasks
    from indicators.services import ingest, recompute

    claim = os.environ.get("FAULT_CLAIM_SECONDS")
    if claim:
        recompute.CLAIM_SECONDS = int(claim)
    delay = float(os.environ.get("FAULT_RECOMPUTE_DELAY", "0") or 0)
    if delay:
        store = recompute._store

        def slow_store(*args, **kwargs):
            time.sleep(delay)
            return store(*args, **kwargs)

        recompute._store = slow_store
    if os.environ.get("FAULT_FAIL_ONCE"):
        from django.db import OperationalError

        inner = recompute._store
        failed = []

        def failing_store(*args, **kwargs):
            if not failed:
                failed.append(True)
                raise OperationalError("injected: server closed the connection unexpectedly")
            return inner(*args, **kwargs)

        recompute._store = failing_store
    if os.environ.get("FAULT_SKIP_ENQUEUE"):

        def lost() -> None:
            return None

        tasks.enqueue_recompute = lost
        ingest.enqueue_recompute = lost
