"""gunicorn config for the fault tests: apply the injected faults in every worker."""


def post_worker_init(worker):
    from tests.faults import hooks

    hooks.apply()
