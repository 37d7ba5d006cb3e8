"""CloudFormation: answer a custom resource request, and read the stack's status.

The answer is an HTTP PUT of JSON to the request's presigned ``ResponseURL`` (an S3 URL on AWS): not a
boto3 call, but still a call out of the process, so it lives here with the rest of the aws layer.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from batch_on_eks.aws.clients import client
from batch_on_eks.errors import AwsRequestFailed

_ATTEMPTS = 3


def send_response(response_url: str, body: dict[str, Any]) -> None:
    """PUT ``body`` to ``response_url``; a few tries, since a lost answer leaves CloudFormation waiting for
    an hour. The presigned URL signs no content type, so none is sent (an empty ``Content-Type``, as AWS's
    own cfn-response module does)."""
    if urlsplit(response_url).scheme not in ("https", "http"):  # http: the embedded AWS's local stand-in
        raise ValueError(f"ResponseURL must be an https URL (got {response_url[:40]!r}...)")
    data = json.dumps(body, separators=(",", ":")).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        response_url, data=data, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(data))}
    )
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - checked above
                answer.read()
            return
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            if attempt == _ATTEMPTS:
                raise
            time.sleep(attempt)


def stack_status(stack_id: str) -> str | None:
    """The stack's status (``DELETE_IN_PROGRESS``...), or None when CloudFormation does not know the stack."""
    try:
        stacks = client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"]
    except AwsRequestFailed as error:
        if error.code == "ValidationError":  # "Stack with id ... does not exist"
            return None
        raise
    return str(stacks[0]["StackStatus"]) if stacks else None
