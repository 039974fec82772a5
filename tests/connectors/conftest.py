"""Fixtures every connector test may use: connectors made directly, and an HTTP server.

`make_connector` writes a Connector row with encrypted secrets (test set-up, not the service's
rules); `http_server` starts a threaded HTTP server on 127.0.0.1 whose answers the test sets per
path and which records every request it got.
"""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors import secrets as connector_secrets
from connectors.models import Connector


@pytest.fixture
def make_connector(organisation):
    def make(kind: str, *, code: str = "source", secrets: dict | None = None, **fields):
        fields.setdefault("name", code.replace("-", " ").title())
        return Connector.objects.create(
            organisation=fields.pop("organisation", organisation),
            kind=kind,
            code=code,
            secrets=connector_secrets.encrypt(secrets or {}),
            **fields,
        )

    return make


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes


class TestServer:
    """`answers[path]` is an Answer, a list of Answers (one per request, the last repeats), or a
    callable(Request) -> Answer. Unknown paths answer 404."""

    def __init__(self) -> None:
        self.answers: dict = {}
        self.requests: list[Request] = []
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll: shutdown() waits for it (0.5 s by default, at the end of every test).
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def answer(self, request: Request) -> Answer:
        self.requests.append(request)
        found = self.answers.get(request.path.split("?")[0])
        if found is None:
            return Answer(404, b"not found")
        if callable(found):
            return found(request)
        if isinstance(found, list):
            count = sum(1 for r in self.requests if r.path == request.path)
            return found[min(count, len(found)) - 1]
        return found

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, self.path, dict(self.headers.items()), body)
                answer = server.answer(request)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.body)

            do_GET = do_POST = do_HEAD = do_PUT = _serve

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def http_server():
    server = TestServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
