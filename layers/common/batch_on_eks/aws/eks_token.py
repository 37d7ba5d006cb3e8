"""The bearer token an EKS cluster's API server accepts for an IAM identity (what ``aws eks get-token``
prints): ``k8s-aws-v1.`` followed by the unpadded base64url of an STS GetCallerIdentity URL, presigned with
the header ``x-k8s-aws-id: <cluster name>`` among the signed ones. EKS accepts it for about 15 minutes
after it was signed; :class:`TokenSource` hands out the same token for at most 14, then signs a new one.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any

from batch_on_eks.aws.clients import client, signing_identity

PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
# How long the presigned URL says it is valid; EKS itself caps a token's life at about 15 minutes.
URL_EXPIRES_SECONDS = 60
REUSE_SECONDS = 14 * 60


def eks_token(cluster_name: str) -> str:
    """A fresh token for ``cluster_name``, signed with this process's AWS credentials."""
    sts = client("sts")

    def add_cluster_header(request: Any, **_: Any) -> None:
        request.headers[CLUSTER_HEADER] = cluster_name

    # Registered for this one signing only: the client is shared (cached), the cluster is not.
    handler_id = f"eks-token-{threading.get_ident()}-{time.monotonic_ns()}"
    sts.meta.events.register_first(
        "before-sign.sts.GetCallerIdentity", add_cluster_header, unique_id=handler_id
    )
    try:
        url = sts.generate_presigned_url(
            "get_caller_identity", Params={}, ExpiresIn=URL_EXPIRES_SECONDS, HttpMethod="GET"
        )
    finally:
        sts.meta.events.unregister("before-sign.sts.GetCallerIdentity", unique_id=handler_id)
    return PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


class TokenSource:
    """Tokens per cluster and signing identity, each reused for at most ``REUSE_SECONDS`` (a warm Lambda
    keeps its source). A token names whoever signed it: credentials that change (a process hosting several
    identities, or renewed credentials) get a token of their own, never one signed with the old ones."""

    def __init__(
        self,
        sign: Callable[[str], str] = eks_token,
        clock: Callable[[], float] = time.monotonic,
        identity: Callable[[], str | None] = signing_identity,
    ):
        self._sign = sign
        self._clock = clock
        self._identity = identity
        self._tokens: dict[tuple[str, str | None], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, cluster_name: str) -> str:
        key = (cluster_name, self._identity())
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and self._clock() - cached[1] < REUSE_SECONDS:
                return cached[0]
            token = self._sign(cluster_name)
            self._tokens[key] = (token, self._clock())
            return token
