"""boto3 clients, created once per Lambda container (on first use, not at import: cold starts stay small).

Only the aws layer calls this module. Every error AWS answers leaves a client as
:class:`~batch_on_eks.errors.AwsRequestFailed` (raised from botocore's ``after-call`` event, before botocore
would raise its own ``ClientError``): so the layer's modules turn the codes they expect into answers, and
nothing above the layer ever sees a botocore exception.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from batch_on_eks.errors import AwsRequestFailed


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


def _raise_ours(
    http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
) -> None:
    if http_response.status_code < 300:
        return
    error = parsed.get("Error") or {}
    code = context.get("error_code_override") or error.get("Code") or str(http_response.status_code)
    raise AwsRequestFailed(
        model.name, str(code), str(error.get("Message", "")), http_response.status_code, parsed
    )


@cache
def _session(_identity: str | None) -> boto3.session.Session:
    # Not boto3's default session: it keeps the first credentials it resolved, whoever asks later.
    session = boto3.session.Session()
    # Clients copy the session's event handlers when they are created: every client of it raises ours.
    session.events.register("after-call", _raise_ours)
    return session


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
