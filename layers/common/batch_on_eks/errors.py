"""The control plane's named errors. A Lambda step raises one; its class name is the ``Error`` that the
state machine's ``Catch``/``Retry`` match and that a failed execution reports, so the names are part of
the product's interface (documented in the README)."""

from __future__ import annotations

import json
from typing import Any


class ControlPlaneError(Exception):
    """Base class: the message is what a person reads in the execution's ``Cause``."""


class InvalidInput(ControlPlaneError):
    """The input breaks a rule; ``problems`` name each field and rule."""

    def __init__(self, problems: list[dict[str, str]]):
        self.problems = problems
        super().__init__(json.dumps({"problems": problems}))

    @classmethod
    def field(cls, field: str, rule: str) -> InvalidInput:
        return cls([{"field": field, "rule": rule}])


class EnvironmentNotReady(ControlPlaneError):
    """The environment exists but is not READY (still provisioning, failed, being deleted)."""


class SubmitThrottled(ControlPlaneError):
    """Batch throttled SubmitJob (50 TPS per account): the state machine retries with backoff."""


class SubmitOutcomeUnknown(ControlPlaneError):
    """SubmitJob's reply was lost: the job may exist. The retry looks for it by name before submitting."""


class SubmitRejected(ControlPlaneError):
    """Batch refused the job (a client error other than throttling): retrying would not help."""


class EnvironmentBusy(ControlPlaneError):
    """Another provision or teardown execution is working on the environment."""


class WaitBoundExceeded(ControlPlaneError):
    """A check loop saw its resource still not ready (or not gone) after its maximum number of checks."""


class ResourceFailed(ControlPlaneError):
    """AWS reports the resource failed (cluster FAILED, node group or add-on CREATE_FAILED, compute
    environment INVALID); the Cause carries AWS's own reason."""


class ResourceNotOwned(ControlPlaneError):
    """A resource with the environment's name exists but does not carry its tag: it is not ours to change."""


class AwsRequestFailed(ControlPlaneError):
    """An AWS request failed in a way a retry would not fix; the Cause has AWS's error code and message."""


class KubernetesApiError(ControlPlaneError):
    """The API server answered with an error: ``status`` is the HTTP status code, ``reason`` Kubernetes'
    machine-readable reason (``AlreadyExists``, ``Conflict``, ``Forbidden``...) and ``detail`` its message."""

    def __init__(self, method: str, path: str, status: int, reason: str, detail: str):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.detail = detail
        super().__init__(f"Kubernetes {method} {path} failed: {status} {reason}: {detail}")


class KubernetesUnreachable(ControlPlaneError):
    """No answer from the API server: connection refused or reset, timeout, or a TLS failure (the server's
    certificate is not signed by the cluster's CA, or does not name the endpoint's host)."""


class AwsAuthConflict(ControlPlaneError):
    """aws-auth already maps one of our roles to another user or groups: replacing that entry could lock
    out whoever relies on it, and keeping both makes the mapping ambiguous, so a person decides."""


def cause(**fields: Any) -> str:
    """A Fail state's ``Cause``: JSON, so that people and programs can both read it."""
    return json.dumps({k: v for k, v in fields.items() if v is not None}, separators=(",", ":"))
