"""The Kubernetes API client (``batch_on_eks.aws.kubernetes``): its bounded retries, each with a fresh token,
against a scripted HTTPS server; TLS verified against the cluster's CA, and API errors that carry the
status and Kubernetes' message but never the token, against a real kube-apiserver."""

from __future__ import annotations

import http.server
import json
import os
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from batch_on_eks.aws.kubernetes import MAX_ATTEMPTS, KubernetesApi
from batch_on_eks.errors import KubernetesApiError, KubernetesUnreachable
from tests.aws.kubernetes_support import (
    ADMIN_TOKEN,
    NODE_GROUP_USER_TOKEN,
    another_ca_pem,
    b64,
    kubernetes_cluster,
    server_certificate,
)

# --- the client's retries, against a scripted HTTPS server -------------------------------------------

DROP = 0  # a scripted "status" that closes the connection without an answer


@dataclass
class ScriptedServer:
    """An HTTPS server (certificate from its own CA, for 127.0.0.1) that answers from a script."""

    endpoint: str
    ca_pem: str
    script: list[int] = field(default_factory=list)
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Authorization


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedServer]:
    ca_pem, cert_pem, key_pem = server_certificate()
    directory = tempfile.mkdtemp()
    cert_file, key_file = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_file, "w") as out:
        out.write(cert_pem)
    with open(key_file, "w") as out:
        out.write(key_pem)
    state = ScriptedServer("", ca_pem)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            state.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
            status = state.script.pop(0) if state.script else 200
            if status == DROP:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            body = json.dumps(
                {"kind": "Status", "code": status, "reason": "Scripted", "message": f"scripted {status}"}
                if status >= 400
                else {"kind": "Thing", "metadata": {"name": "x"}}
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.endpoint = f"https://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _scripted_api(server: ScriptedServer, *statuses: int) -> tuple[KubernetesApi, list[float], list[int]]:
    server.script[:] = list(statuses)
    server.seen.clear()
    slept: list[float] = []
    tokens: list[int] = []

    def token() -> str:
        tokens.append(1)
        return f"token-{len(tokens)}"

    return KubernetesApi(server.endpoint, b64(server.ca_pem), token=token, sleep=slept.append), slept, tokens


def test_a_read_is_retried_on_5xx_with_a_fresh_token_each_time(scripted: ScriptedServer) -> None:
    # Given a server that fails twice with 503, then answers
    api, slept, _ = _scripted_api(scripted, 503, 503, 200)
    # When an object is read
    found = api.get("/api/v1/namespaces/x")
    # Then the third attempt's answer is returned, after two backoffs, each attempt with a fresh token
    assert found == {"kind": "Thing", "metadata": {"name": "x"}}
    assert [auth for _, _, auth in scripted.seen] == ["Bearer token-1", "Bearer token-2", "Bearer token-3"]
    assert len(slept) == 2
    assert slept[1] > slept[0]


def test_retries_are_bounded(scripted: ScriptedServer) -> None:
    # Given a server that always answers 500
    api, _, _ = _scripted_api(scripted, *[500] * 10)
    # When an object is read, then it fails with the status and message after the bounded attempts
    with pytest.raises(KubernetesApiError) as raised:
        api.get("/api/v1/namespaces/x")
    assert raised.value.status == 500
    assert "scripted 500" in str(raised.value)
    assert len(scripted.seen) == MAX_ATTEMPTS


def test_a_write_is_retried_on_429_but_not_on_a_client_error(scripted: ScriptedServer) -> None:
    # Given a server that throttles a create once
    api, _, _ = _scripted_api(scripted, 429, 201)
    # When an object is created, then the create is sent again and succeeds
    api.create("/api/v1/namespaces", {"metadata": {"name": "x"}})
    assert [method for method, _, _ in scripted.seen] == ["POST", "POST"]
    # And given a server that answers 409, a create is sent once and fails with that status
    api, _, _ = _scripted_api(scripted, 409)
    with pytest.raises(KubernetesApiError) as raised:
        api.create("/api/v1/namespaces", {"metadata": {"name": "x"}})
    assert raised.value.status == 409
    assert len(scripted.seen) == 1


def test_a_lost_answer_is_retried_for_a_read_only(scripted: ScriptedServer) -> None:
    # Given a server that drops the connection once
    api, _, _ = _scripted_api(scripted, DROP, 200)
    # When an object is read, then the read is sent again and succeeds
    assert api.get("/api/v1/namespaces/x") is not None
    assert len(scripted.seen) == 2
    # And when a write's answer is lost, it is not sent again (it may have been applied)
    api, _, _ = _scripted_api(scripted, DROP, 200)
    with pytest.raises(KubernetesUnreachable, match="no answer"):
        api.replace("/api/v1/namespaces/x", {"metadata": {"name": "x"}})
    assert len(scripted.seen) == 1


def test_a_missing_object_reads_as_none_and_deletes_as_already_gone(scripted: ScriptedServer) -> None:
    # Given a server that answers 404
    api, _, _ = _scripted_api(scripted, 404, 404)
    # When the object is read and deleted, then it is None and already gone
    assert api.get("/api/v1/namespaces/x") is None
    assert api.delete("/api/v1/namespaces/x") is False


# for_cluster (endpoint and CA from DescribeCluster, a token for that cluster) runs for real in every
# provisioning test: tests/environments/test_provision_environment.py.


# --- against a real kube-apiserver ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with kubernetes_cluster("kubernetes-client") as started:
        yield started


def test_tls_fails_against_another_ca(cluster: Any) -> None:
    # Given a client that trusts some other CA
    other_ca = b64(another_ca_pem())
    api = KubernetesApi(cluster.endpoint, other_ca, token=lambda: ADMIN_TOKEN)
    # When it calls the server, then TLS fails and no answer is read
    with pytest.raises(KubernetesUnreachable, match="TLS"):
        api.get("/api/v1/namespaces")


def test_an_api_error_carries_the_status_and_message_and_never_the_token(cluster: Any) -> None:
    # Given a client whose token the server does not accept, and one that may do nothing
    rejected = KubernetesApi(cluster.endpoint, b64(cluster.ca_pem), token=lambda: "secret-not-a-user")
    nobody = KubernetesApi(cluster.endpoint, b64(cluster.ca_pem), token=lambda: NODE_GROUP_USER_TOKEN)
    # When each calls the API, then the errors carry status and Kubernetes' message, never the token
    with pytest.raises(KubernetesApiError) as unauthorized:
        rejected.get("/api/v1/namespaces")
    assert unauthorized.value.status == 401
    assert "secret-not-a-user" not in str(unauthorized.value)
    with pytest.raises(KubernetesApiError) as forbidden:
        nobody.get("/api/v1/namespaces/default")
    assert forbidden.value.status == 403
    assert forbidden.value.reason == "Forbidden"
    assert 'User "nobody" cannot get resource "namespaces"' in str(forbidden.value)
    assert NODE_GROUP_USER_TOKEN not in str(forbidden.value)
