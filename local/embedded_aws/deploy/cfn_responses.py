"""CloudFormation's presigned response URLs, served on 127.0.0.1 for the embedded AWS and the tests.

A custom resource's function answers CloudFormation by PUTting JSON to the request's ``ResponseURL`` (an S3
URL on AWS). Here each expected answer gets its own URL on a small local HTTP server, and whoever sent the
request waits for the body to arrive there (a bound, not a sleep).

    server = response_server()
    pending = server.expect()        # pending.url goes into the request as ResponseURL
    ... invoke the function ...
    body = pending.wait(60)          # the parsed JSON the function PUT
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PATH_PREFIX = "/cloudformation-response/"


class NoResponse(TimeoutError):
    """The function did not answer within the bound (CloudFormation would wait up to an hour)."""


class PendingResponse:
    def __init__(self, url: str):
        self.url = url
        self._arrived = threading.Event()
        self.body: dict[str, Any] | None = None
        self.content_type: str | None = None

    def deliver(self, body: dict[str, Any], content_type: str | None) -> None:
        self.body = body
        self.content_type = content_type
        self._arrived.set()

    def wait(self, bound_seconds: float) -> dict[str, Any]:
        if not self._arrived.wait(bound_seconds) or self.body is None:
            raise NoResponse(f"no response at {self.url} within {bound_seconds} s")
        return self.body


class ResponseServer:
    """One HTTP server on 127.0.0.1 (a free port) that accepts each expected PUT once."""

    def __init__(self) -> None:
        self._pending: dict[str, PendingResponse] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with server._lock:
                    pending = server._pending.pop(self.path, None)
                if pending is None:
                    self.send_response(404)  # an unknown or already answered URL, as S3 would refuse it
                    self.end_headers()
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"unparsable": raw.decode(errors="replace")}
                pending.deliver(body, self.headers.get("Content-Type"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet: one line per request otherwise
                return

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, name="cfn-responses", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def expect(self) -> PendingResponse:
        """A fresh response URL, and the handle to wait for what is PUT to it."""
        path = f"{_PATH_PREFIX}{uuid.uuid4()}"
        pending = PendingResponse(f"{self.base_url}{path}")
        with self._lock:
            self._pending[path] = pending
        return pending


_SERVER: ResponseServer | None = None
_SERVER_LOCK = threading.Lock()


def response_server() -> ResponseServer:
    """The process's response server (started on first use, kept for the process's life)."""
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None:
            _SERVER = ResponseServer()
        return _SERVER
