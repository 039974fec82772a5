"""Structured log lines carrying the request id of the request that wrote them, and never a
webhook's URL token (the token in /hooks/<token>/ is the credential of its connector)."""

import contextvars
import logging
import re
import uuid

from gunicorn import glogging

request_id = contextvars.ContextVar("request_id", default="-")
WEBHOOK_TOKEN = re.compile(r"(/hooks/)[^/\s?#\"']+")
HIDDEN = "••••"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class RequestIdMiddleware:
    """Take `X-Request-ID` from the client (or make one), log with it, and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        value = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex
        token = request_id.set(value)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = value
        return response


def hide_webhook_tokens(text: str) -> str:
    """`text` with every /hooks/<token>/ written /hooks/••••/."""
    return WEBHOOK_TOKEN.sub(r"\g<1>" + HIDDEN, text) if "/hooks/" in text else text


class WebhookTokenFilter(logging.Filter):
    """Mask webhook URL tokens in a record: its message with the args merged in (Django's
    "Bad Request: /hooks/<token>/" passes the path as an arg, gunicorn's access line a dict of
    atoms) and its traceback. On every handler of LOGGING, and on the loggers that write paths
    (django.request, django.server, gunicorn's error and access logs), so that handlers added
    elsewhere (mail_admins, a test's) see the masked record too."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error report
            return True
        if "/hooks/" in message:
            record.msg, record.args = hide_webhook_tokens(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = hide_webhook_tokens(record.exc_text)
        return True


class GunicornLogger(glogging.Logger):
    """gunicorn's logger with webhook tokens masked in its access and error logs: run gunicorn
    with `--logger-class config.logging.GunicornLogger`."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(found, WebhookTokenFilter) for found in log.filters):
                log.addFilter(WebhookTokenFilter())
