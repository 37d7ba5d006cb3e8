"""A lean client for a Kubernetes API server (an EKS cluster's), on urllib3.

Why not the official ``kubernetes`` package: measured (fresh processes, median of 7), ``import boto3``
plus its client takes 1.85x a bare ``import boto3``, this module 1.07x (urllib3 is already loaded by
botocore); and its pins clash (its newest release cannot be installed beside botocore: python-dateutil).
The provisioning step needs only a handful of calls on objects named by their API path:

- TLS verified against the cluster's own CA (DescribeCluster's ``certificateAuthority.data``), hostname
  included;
- a bearer token from a callable on every request (a :class:`TokenSource` renews it before EKS stops
  accepting it), never written into an error message or a log line;
- timeouts on every call, and bounded retries only where a retry cannot do harm: reads on any transient
  failure, every method on 429 (not processed) or 5xx;
- failures raised as :class:`KubernetesApiError` with the status code and Kubernetes' own message, or as
  :class:`KubernetesUnreachable` when no answer came (TLS failure, connection refused, timeout).
"""

from __future__ import annotations

import base64
import binascii
import json
import ssl
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import urllib3

from batch_on_eks.aws.clients import client
from batch_on_eks.aws.eks_token import TokenSource
from batch_on_eks.errors import KubernetesApiError, KubernetesUnreachable
from batch_on_eks.observability import logger

CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 20.0
MAX_ATTEMPTS = 4
BACKOFF_SECONDS = 0.25
# A server's Retry-After is honoured up to this many seconds (a Lambda step has a deadline).
MAX_RETRY_AFTER_SECONDS = 5.0
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_IDEMPOTENT_METHODS = frozenset({"GET"})

# One per Lambda container: a warm container reuses a cluster's token for up to 14 minutes.
TOKENS = TokenSource()


class KubernetesApi:
    """Calls on Kubernetes objects named by API path, e.g. ``/api/v1/namespaces/doeks-aws-batch`` or
    ``/apis/rbac.authorization.k8s.io/v1/clusterroles`` (see :func:`resource_path`)."""

    def __init__(
        self,
        endpoint: str,
        ca_data: str,
        token: Callable[[], str],
        *,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not endpoint.startswith("https://"):
            # The bearer token must never travel in clear text.
            raise ValueError(f"a Kubernetes endpoint must be https:// (got {endpoint!r})")
        self.endpoint = endpoint.rstrip("/")
        self._token = token
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._pool = urllib3.PoolManager(
            ssl_context=_ssl_context(ca_data),
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_SECONDS, read=READ_TIMEOUT_SECONDS),
            retries=False,  # retries are decided here, per method and status
        )

    def get(self, path: str) -> dict[str, Any] | None:
        """The object at ``path``, or None when it does not exist."""
        try:
            return self.request("GET", path)
        except KubernetesApiError as error:
            if error.status == 404:
                return None
            raise

    def create(self, collection_path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to a collection; an existing object of that name is a 409 ``AlreadyExists``."""
        return self.request("POST", collection_path, body)

    def replace(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT ``body`` (with the ``metadata.resourceVersion`` it was read at: a 409 ``Conflict`` says
        someone wrote it since)."""
        return self.request("PUT", path, body)

    def delete(self, path: str, uid: str | None = None) -> bool:
        """Delete the object at ``path``; False if it was already gone. With ``uid``, only that very
        object: one deleted and created again since (another uid) is left alone with a 409."""
        body = None
        if uid is not None:
            body = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": uid}}
        try:
            self.request("DELETE", path, body)
        except KubernetesApiError as error:
            if error.status == 404:
                return False
            raise
        return True

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One API call, retried within the bound where a retry is safe; the decoded JSON answer."""
        if not path.startswith("/"):
            raise ValueError(f"an API path starts with '/' (got {path!r})")
        payload = None if body is None else json.dumps(body).encode()
        for attempt in range(1, self._max_attempts + 1):
            headers = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
            if payload is not None:
                headers["Content-Type"] = "application/json"
            try:
                response = self._pool.request(method, self.endpoint + path, body=payload, headers=headers)
            except urllib3.exceptions.SSLError as error:
                # A certificate the cluster's CA did not sign does not get better with a retry.
                raise KubernetesUnreachable(f"TLS with {self.endpoint} failed: {error}") from None
            except urllib3.exceptions.HTTPError as error:
                if method in _IDEMPOTENT_METHODS and attempt < self._max_attempts:
                    self._wait(method, path, attempt, f"{type(error).__name__}", None)
                    continue
                raise KubernetesUnreachable(
                    f"Kubernetes {method} {path} got no answer from {self.endpoint}: {type(error).__name__}"
                ) from None
            if response.status < 400:
                return _json(response.data)
            if response.status in _RETRYABLE_STATUSES and attempt < self._max_attempts:
                self._wait(method, path, attempt, str(response.status), response.headers.get("Retry-After"))
                continue
            raise _api_error(method, path, response.status, response.data)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, method: str, path: str, attempt: int, why: str, retry_after: str | None) -> None:
        delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
        if retry_after is not None and retry_after.isdigit():
            delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER_SECONDS))
        logger.warning(
            "Kubernetes call retried",
            extra={"method": method, "path": path, "attempt": attempt, "why": why, "delaySeconds": delay},
        )
        self._sleep(delay)


def for_cluster(cluster_name: str) -> KubernetesApi:
    """A client for the EKS cluster ``cluster_name``: endpoint and CA from DescribeCluster, tokens signed
    with this process's credentials (the Lambda's role, which needs an access entry on the cluster)."""
    cluster = client("eks").describe_cluster(name=cluster_name)["cluster"]
    return KubernetesApi(
        cluster["endpoint"],
        cluster["certificateAuthority"]["data"],
        token=lambda: TOKENS.token(cluster_name),
    )


def resource_path(
    group_version: str, plural: str, name: str | None = None, namespace: str | None = None
) -> str:
    """The API path of a collection (no ``name``) or an object: ``v1`` is the core group (``/api/v1``),
    anything else a named group (``/apis/<group>/<version>``)."""
    root = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    parts = [root]
    if namespace is not None:
        parts.append(f"namespaces/{quote(namespace, safe='')}")
    parts.append(plural)
    if name is not None:
        parts.append(quote(name, safe=""))
    return "/".join(parts)


def _ssl_context(ca_data: str) -> ssl.SSLContext:
    """A context that trusts the cluster's CA only (not the system's), with hostname checks on."""
    try:
        pem = base64.b64decode(ca_data, validate=True).decode("ascii")
        context = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH, cadata=pem)
    except (binascii.Error, UnicodeDecodeError, ssl.SSLError) as error:
        raise ValueError("the cluster CA must be base64 of PEM, as DescribeCluster returns it") from error
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _json(data: bytes) -> dict[str, Any]:
    if not data:
        return {}
    decoded = json.loads(data)
    return decoded if isinstance(decoded, dict) else {"items": decoded}


def _api_error(method: str, path: str, status: int, data: bytes) -> KubernetesApiError:
    """Kubernetes answers errors with a ``Status`` object; anything else (a proxy's page) is summarised."""
    reason, detail = "", ""
    try:
        decoded = json.loads(data) if data else {}
    except ValueError:
        decoded = {}
    if isinstance(decoded, dict):
        reason = str(decoded.get("reason", ""))
        detail = str(decoded.get("message", ""))
    if not detail:
        detail = data[:200].decode("utf-8", "replace").strip() or "(no message)"
    return KubernetesApiError(method, path, status, reason or "Unknown", detail)
