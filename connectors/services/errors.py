"""What a puller raises; the run service turns each into a failed run with a masked message."""


class SourceUnavailable(Exception):
    """The source could not be reached (refused connection, DNS, timeout, HTTP 5xx): transient,
    so the run is retried with back-off. Nothing was written."""


class PullFailed(Exception):
    """The source answered, but what it gave cannot be delivered (a mapping names a column the
    query does not return, items refused by the ingest, a file over the size limit): retrying
    will not help. `errors` lists `{index, field, message}`; nothing was written."""

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or []
