"""A Celery worker with the injected faults applied: python -m tests.faults.worker -Q QUEUE."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from config.celery import app
    from tests.faults import hooks

    hooks.apply()
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=warning",
            *sys.argv[1:],
        ]
    )
