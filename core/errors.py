"""Exceptions every layer may raise; the API and the pages translate them (404, ...)."""


class NotFound(Exception):
    """The object does not exist, or not in the caller's organisation.

    Selectors raise it instead of `Http404`, so services, tasks and commands can call them too;
    the API's exception handler answers 404 with the error envelope, pages answer the 404 page.
    """
