"""What a request to the control plane (the REST API) can run into, besides a bad input (``InvalidInput``).

These are domain outcomes, not HTTP: the API maps each class to its status code in one place
(:mod:`batch_on_eks.api.problems`), and each carries the ``field`` of the request it is about, so that a
caller learns which part of its request to change.
"""

from __future__ import annotations

from batch_on_eks.errors import ControlPlaneError


class RequestError(ControlPlaneError):
    """A request the control plane refuses: ``message`` for people, ``field`` the part of the request."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class EnvironmentNotFound(RequestError):
    """No environment of that name was ever provisioned (or its name cannot be one of ours)."""


class RunNotFound(RequestError):
    """No run (job) with that id: neither the runs table nor the run-job workflow knows it."""


class EnvironmentExists(RequestError):
    """Provisioning asked for an environment that exists (READY): tear it down first, or use another name."""


class EnvironmentBusy(RequestError):
    """A provision or teardown execution that is still running holds the environment."""


class EnvironmentDeleted(RequestError):
    """Teardown asked for an environment whose teardown has already finished."""


class EnvironmentNotReady(RequestError):
    """A job was asked for on an environment that exists but is not READY."""


class RunFinished(RequestError):
    """A cancel arrived for a run whose job, or whose execution, has already ended."""


class IdempotencyKeyReused(RequestError):
    """The Idempotency-Key already started an execution with a different request."""
