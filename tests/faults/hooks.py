"""Faults injected into the product's processes from the environment (tests only).

FAULT_CLAIM_SECONDS    shorter claim on dirty marks, so the sweep may take over a dead worker's marks
FAULT_RECOMPUTE_DELAY  seconds a recompute sleeps while it holds its claim (to be killed meanwhile)
FAULT_SKIP_ENQUEUE     the wake-up message is lost between commit and enqueue
FAULT_FAIL_ONCE        the first recompute of this process fails as if the database dropped
"""

import os
import time

# Where a fault goes: the first of these the recompute service has, innermost first (all run
# after the marks are claimed, the first two inside the recompute transaction).
RECOMPUTE_STEPS = ("_store", "_lock_organisation", "_recompute_organisation")


def _wrap_recompute_step(recompute, make_wrapper) -> None:
    for name in RECOMPUTE_STEPS:
        inner = getattr(recompute, name, None)
        if inner is not None:
            setattr(recompute, name, make_wrapper(inner))
            return
    raise RuntimeError(f"none of {RECOMPUTE_STEPS} in indicators.services.recompute")


def apply() -> None:
    from indicators.services import dirty, recompute

    claim = os.environ.get("FAULT_CLAIM_SECONDS")
    if claim:
        recompute.CLAIM_SECONDS = int(claim)
    delay = float(os.environ.get("FAULT_RECOMPUTE_DELAY", "0") or 0)
    if delay:

        def slow(inner):
            def slow_step(*args, **kwargs):
                time.sleep(delay)
                return inner(*args, **kwargs)

            return slow_step

        _wrap_recompute_step(recompute, slow)
    if os.environ.get("FAULT_FAIL_ONCE"):
        from django.db import OperationalError

        failed = []

        def failing(inner):
            def failing_step(*args, **kwargs):
                if not failed:
                    failed.append(True)
                    raise OperationalError("injected: server closed the connection unexpectedly")
                return inner(*args, **kwargs)

            return failing_step

        _wrap_recompute_step(recompute, failing)
    if os.environ.get("FAULT_SKIP_ENQUEUE"):

        def lost() -> None:
            return None

        dirty.enqueue_recompute = lost
