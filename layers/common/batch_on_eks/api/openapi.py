"""The API's OpenAPI document: generated from the resolver (its routes, parameters and pydantic models),
served at ``GET /openapi.json``, and committed as ``openapi.json`` at the repository root, where a test
fails when code and document drift (``make openapi`` regenerates it: ``scripts/openapi_document.py``).

Powertools documents a 422 on every operation for validation errors; this API answers them with 400 (one
status for every schema violation, documented per operation), so the 422 entries and the schemas only they
use are taken out of the generated document.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, Server, ServerVariable

TITLE = "Batch-on-EKS control plane"
VERSION = "1.0.0"
DESCRIPTION = (
    "Provision AWS Batch on EKS environments, run jobs on them and read their outcome and logs. Every "
    "operation requires AWS IAM authentication: requests are signed with Signature Version 4 (service "
    "execute-api), and the caller's IAM policy must allow execute-api:Invoke on the operation. Errors are "
    'JSON {"code", "message", "field"}. Long operations answer 202 with a Location to follow. POST and '
    "DELETE honour an Idempotency-Key header."
)
SECURITY_SCHEME = "sigv4"


def configure(app: APIGatewayRestResolver) -> None:
    app.configure_openapi(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        servers=[
            Server(
                url="https://{restApiId}.execute-api.{region}.amazonaws.com/v1",
                description="The stack's API (output ApiUrl)",
                variables={
                    "restApiId": ServerVariable(default="restApiId", description="The API's id"),
                    "region": ServerVariable(default="us-east-1", description="The stack's region"),
                },
            )
        ],
        security_schemes={
            SECURITY_SCHEME: APIKey(
                name="Authorization",
                in_=APIKeyIn.header,
                description="AWS Signature Version 4 (service execute-api), checked by API Gateway.",
                **{"x-amazon-apigateway-authtype": "awsSigv4"},
            )
        },
        security=[{SECURITY_SCHEME: []}],
    )


def _without_422(document: dict[str, Any]) -> dict[str, Any]:
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    text = json.dumps(document["paths"])
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        if f"#/components/schemas/{name}" not in text:
            schemas.pop(name, None)
    return document


def document(app: APIGatewayRestResolver) -> dict[str, Any]:
    return _without_422(json.loads(app.get_openapi_json_schema()))


def document_text(app: APIGatewayRestResolver) -> str:
    """The document as committed: indented, keys in the generator's order, one trailing newline."""
    return json.dumps(document(app), indent=2, ensure_ascii=False) + "\n"


@cache
def served(app: APIGatewayRestResolver) -> dict[str, Any]:
    """Generated once per Lambda container (it walks every model), on the first request for it."""
    return document(app)
