"""boto3 clients, created once per Lambda container (on first use, not at import: cold starts stay small).

Only the adapters call this module.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config


@cache
def client(service: str) -> Any:
    return boto3.client(service)


@cache
def client_without_retries(service: str) -> Any:
    """A client whose calls are sent once: for calls that are not idempotent (Batch's SubmitJob has no
    client token, so a resend after a lost reply would make a second job)."""
    return boto3.client(service, config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


@cache
def table(name: str) -> Any:
    return boto3.resource("dynamodb").Table(name)
