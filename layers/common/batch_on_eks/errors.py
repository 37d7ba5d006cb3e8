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


def cause(**fields: Any) -> str:
    """A Fail state's ``Cause``: JSON, so that people and programs can both read it."""
    return json.dumps({k: v for k, v in fields.items() if v is not None}, separators=(",", ":"))
