"""boto3 clients, created once per Lambda container (on first use, not at import: cold starts stay small).

Only the adapters call this module.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config


def signing_identity() -> str | None:
    """Whose credentials a new client would sign with, as far as the environment says (Lambda puts the
    execution role's there). A client keeps the credentials it was made with, so the caches are keyed by
    them: a process that hosts several functions' identities (the embedded AWS runs every function in one
    process) never signs one function's calls with another's role. In Lambda it never changes."""
    return os.environ.get("AWS_ACCESS_KEY_ID")


def client(service: str) -> Any:
    return _client(service, signing_identity())


def client_without_retries(service: str) -> Any:
    """A client whose calls are sent once: for calls that are not idempotent (Batch's SubmitJob has no
    client token, so a resend after a lost reply would make a second job)."""
    return _client_without_retries(service, signing_identity())


def table(name: str) -> Any:
    return _table(name, signing_identity())


@cache
def _session(_identity: str | None) -> boto3.session.Session:
    # Not boto3's default session: it keeps the first credentials it resolved, whoever asks later.
    return boto3.session.Session()


@cache
def _client(service: str, identity: str | None) -> Any:
    return _session(identity).client(service)


@cache
def _client_without_retries(service: str, identity: str | None) -> Any:
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    return _session(identity).client(service, config=config)


@cache
def _table(name: str, identity: str | None) -> Any:
    return _session(identity).resource("dynamodb").Table(name)
