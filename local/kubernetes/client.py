"""A small HTTP client for a local API server, for the emulator's own calls (the embedded AWS, the data
plane, tests): the admin token, optionally impersonating a user so that RBAC decides as it would for that
user (``Impersonate-User``, which ``system:masters`` may do), or a token of its own (Batch's EKS token). The
project's code reaches clusters through its own adapter (``batch_on_eks.aws.kubernetes``); this one stays in
``local/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from local.kubernetes.cluster import KubernetesCluster

TIMEOUT_SECONDS = 10.0


class KubernetesError(RuntimeError):
    """The API server refused a call: its status code, reason (``Forbidden``...) and message."""

    def __init__(self, method: str, path: str, status: int, reason: str, message: str):
        self.status = status
        self.reason = reason
        self.message = message
        super().__init__(f"{method} {path}: {status} {reason}: {message}")


class KubeClient:
    def __init__(
        self,
        cluster: KubernetesCluster,
        *,
        as_user: str | None = None,
        token: str | Callable[[], str] | None = None,
    ):
        """The admin token unless given ``token``: a bearer token, or a callable asked for one on every
        request (an EKS token, renewed before it expires)."""
        self.cluster = cluster
        self._session = requests.Session()
        # Passed on every request: a session-wide verify loses to REQUESTS_CA_BUNDLE from the environment.
        self._ca_file = str(cluster.certificates.ca_file)
        self._token = token if callable(token) else None
        if not callable(token):
            self._session.headers["Authorization"] = f"Bearer {token or cluster.admin_token}"
        if as_user is not None:
            self._session.headers["Impersonate-User"] = as_user

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        content_type: str = "application/json",
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = self._session.request(
            method,
            self.cluster.endpoint + path,
            json=body,
            params=params,
            verify=self._ca_file,
            headers={
                **({"Content-Type": content_type} if body is not None else {}),
                **({"Authorization": f"Bearer {self._token()}"} if self._token is not None else {}),
            },
            timeout=TIMEOUT_SECONDS,
        )
        try:
            answer: dict[str, Any] = response.json()
        except ValueError:
            answer = {"message": response.text}
        if response.status_code >= 400:
            raise KubernetesError(
                method,
                path,
                response.status_code,
                str(answer.get("reason", response.reason)),
                str(answer.get("message", response.text)),
            )
        return answer

    def get(self, path: str) -> dict[str, Any]:
        return self.request("GET", path)

    def get_or_none(self, path: str) -> dict[str, Any] | None:
        try:
            return self.get(path)
        except KubernetesError as error:
            if error.status == 404:
                return None
            raise

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", path, body)

    def merge_patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("PATCH", path, body, content_type="application/merge-patch+json")

    def delete(self, path: str, grace_period_seconds: int | None = None) -> dict[str, Any]:
        params = None if grace_period_seconds is None else {"gracePeriodSeconds": str(grace_period_seconds)}
        return self.request("DELETE", path, params=params)

    def close(self) -> None:
        self._session.close()
