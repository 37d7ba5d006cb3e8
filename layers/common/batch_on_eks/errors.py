"""The control plane's named errors. A Lambda step raises one; its class name is the ``Error`` that the
state machine's ``Catch``/``Retry`` match and that a failed execution reports, and the ``code`` the REST API
answers with, so the names are part of the product's interface (documented in docs/runs.md,
docs/environments.md, docs/api.md and the OpenAPI document). The API maps each to its HTTP status in one
place (:mod:`batch_on_eks.api.problems`).
"""

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


class RequestError(ControlPlaneError):
    """A request the control plane refuses because of the state of things (not a malformed input):
    ``message`` for people, ``field`` the part of the request it is about (None: none in particular)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class EnvironmentNotFound(RequestError):
    """No environment of that name was ever provisioned (or its name cannot be one of ours)."""


class EnvironmentNotReady(RequestError):
    """The environment exists but is not READY (still provisioning, failed, being deleted)."""


class EnvironmentBusy(RequestError):
    """A provision or teardown execution that is still running holds the environment."""


class EnvironmentExists(RequestError):
    """Provisioning asked for an environment that exists (READY): tear it down first, or use another name."""


class EnvironmentDeleted(RequestError):
    """Teardown asked for an environment whose teardown has already finished."""


class RunNotFound(RequestError):
    """No run (job) with that id: neither the runs table nor the run-job workflow knows it."""


class RunFinished(RequestError):
    """A cancel arrived for a run whose job, or whose execution, has already ended."""


class IdempotencyKeyReused(RequestError):
    """The Idempotency-Key already started an execution with a different request."""


class SubmitThrottled(ControlPlaneError):
    """Batch throttled SubmitJob (50 TPS per account): the state machine retries with backoff."""


class SubmitOutcomeUnknown(ControlPlaneError):
    """SubmitJob's reply was lost: the job may exist. The retry looks for it by name before submitting."""


class SubmitRejected(ControlPlaneError):
    """Batch refused the job (a client error other than throttling): retrying would not help."""


class WaitBoundExceeded(ControlPlaneError):
    """A check loop saw its resource still not ready (or not gone) after its maximum number of checks."""


class ResourceFailed(ControlPlaneError):
    """AWS reports the resource failed (cluster FAILED, node group or add-on CREATE_FAILED, compute
    environment INVALID); the Cause carries AWS's own reason."""


class ResourceNotOwned(ControlPlaneError):
    """A resource with the environment's name exists but does not carry its tag: it is not ours to change."""


# AWS saying "slow down": nothing was done, and a later retry may succeed.
THROTTLING_CODES = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "ProvisionedThroughputExceededException"}
)


class AwsRequestFailed(ControlPlaneError):
    """An AWS request failed in a way its caller did not expect: AWS's error ``code`` and ``reason``, and
    the operation. The aws layer raises it for every error it does not turn into an answer, so nothing
    above it sees botocore's exceptions."""

    def __init__(
        self,
        operation: str,
        code: str,
        reason: str,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(f"{operation}: {code}: {reason}")
        self.operation = operation
        self.code = code
        self.reason = reason
        self.status = status  # the HTTP status: 5xx means AWS may have done it anyway
        self.details = details or {}  # the whole parsed answer (DynamoDB puts the old item there)

    @property
    def throttled(self) -> bool:
        return self.code in THROTTLING_CODES


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
