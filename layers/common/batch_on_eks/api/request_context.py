"""What a route needs from the API Gateway event besides its parameters: who calls, where the API is
mounted (for ``Location``), and the workflows of this control plane.

With ``AWS_IAM`` auth, API Gateway has already verified the caller's signature and puts the caller's IAM
identity in ``requestContext.identity``: it names who asked in the environments' timelines and scopes the
callers' idempotency keys (two callers never share an execution by choosing the same key).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from batch_on_eks.api.schemas import Accepted
from batch_on_eks.settings import Settings, load_settings
from batch_on_eks.workflows import starts as workflow_starts
from batch_on_eks.workflows.arns import Workflows
from batch_on_eks.workflows.execution_names import RequestOrigin


def caller(event: APIGatewayProxyEvent) -> str:
    """The IAM identity API Gateway authenticated (its ARN), else the best it gave."""
    identity = (event.raw_event.get("requestContext") or {}).get("identity") or {}
    for key in ("userArn", "caller", "user", "accountId"):
        if identity.get(key):
            return str(identity[key])
    return "unknown caller"


def origin(event: APIGatewayProxyEvent, idempotency_key: str | None) -> RequestOrigin:
    return RequestOrigin(caller(event), f"{event.http_method.upper()} {event.path}", idempotency_key)


def base_path(event: APIGatewayProxyEvent) -> str:
    """Where the API is mounted: ``/v1`` through the stage's own URL (``requestContext.path`` is the
    stage plus the resource path), so that a ``Location`` works when followed as it is."""
    full = str((event.raw_event.get("requestContext") or {}).get("path") or "")
    return full[: -len(event.path)] if event.path and full.endswith(event.path) else ""


class Setup:
    """The settings and the workflows, per invocation (cheap: environment variables and string work)."""

    def __init__(self, context: LambdaContext):
        self.settings: Settings = load_settings()
        self.workflows = Workflows.of(context.invoked_function_arn, self.settings.resource_prefix)


def accepted(
    event: APIGatewayProxyEvent, result: workflow_starts.Accepted, resource: str
) -> Response[Accepted]:
    """202 with the resource to follow, in the ``Location`` header and the body."""
    location = f"{base_path(event)}{resource}"
    body = Accepted(
        id=result.id, location=location, execution_arn=result.execution_arn, new_execution=result.started
    )
    headers: dict[str, Any] = {"Location": location}
    return Response(HTTPStatus.ACCEPTED.value, content_types.APPLICATION_JSON, body, headers=headers)
