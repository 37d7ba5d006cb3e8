"""The TokenReview webhook a local API server asks about every bearer token it does not know itself.

EKS tokens change on every call (each is a freshly presigned URL), so no static token file can hold them:
the server posts each one here (``--authentication-token-webhook-config-file``) and this answers who it
is, through the ``authenticate`` callable the cluster was started with. Both TokenReview versions are
answered in the version asked (1.20 sends ``v1beta1`` unless told otherwise). Plain HTTP on loopback: the
webhook and the server live on the same machine and the token never leaves it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.kubernetes.ports import LOOPBACK

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """Who a token belongs to, as Kubernetes sees users: name, uid, groups."""

    username: str
    uid: str
    groups: tuple[str, ...]


Authenticate = Callable[[str], Identity | None]


def token_review_answer(review: dict[str, Any], authenticate: Authenticate) -> dict[str, Any]:
    """The TokenReview to send back for the one the server posted."""
    token = str((review.get("spec") or {}).get("token", ""))
    try:
        identity = authenticate(token) if token else None
    except Exception:  # a bug in the authenticator must deny, never let a token through
        logger.exception("token authentication failed with an error; the token is refused")
        identity = None
    status: dict[str, Any] = {"authenticated": identity is not None}
    if identity is not None:
        status["user"] = {"username": identity.username, "uid": identity.uid, "groups": list(identity.groups)}
    return {
        "apiVersion": review.get("apiVersion", "authentication.k8s.io/v1beta1"),
        "kind": "TokenReview",
        "status": status,
    }


class TokenReviewServer:
    """An HTTP server on a free loopback port, one per cluster, answering on any path."""

    def __init__(self, authenticate: Authenticate):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    review = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self.send_error(400, "a TokenReview (JSON) is expected")
                    return
                body = json.dumps(token_review_answer(review, outer.authenticate)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # one line per request otherwise
                return

        self.authenticate = authenticate
        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{LOOPBACK}:{self._server.server_address[1]}/authenticate"
        self._thread = threading.Thread(target=self._server.serve_forever, name="token-review", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
