"""Pages of the runs and environments tables, for listings: a DynamoDB ``Limit`` and the key to go on from.

Each function returns the page's items as plain values and DynamoDB's ``LastEvaluatedKey`` (None on the
last page); turning that key into an opaque token for a client is the caller's business.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from batch_on_eks.aws.clients import table
from batch_on_eks.aws.items import plain

# The attributes a listing shows: enough to pick one, not the whole record.
_RUN_FIELDS = (
    "runId",
    "environment",
    "jobName",
    "jobId",
    "jobStatus",
    "createdAt",
    "statusCreatedAt",
    "kind",
)
_ENVIRONMENT_FIELDS = ("name", "status", "namespace", "clusterArn", "executionArn")


def _projection(fields: tuple[str, ...]) -> dict[str, Any]:
    """A ProjectionExpression through placeholders (``name`` and ``status`` are DynamoDB reserved words)."""
    names = {f"#p{i}": field for i, field in enumerate(fields)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


def runs_of_environment(
    table_name: str, environment: str, status: str | None, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Runs of ``environment`` (those in ``status`` only, if given) from the ByEnvironment index, newest
    first within each status."""
    condition = Key("environment").eq(environment)
    if status is not None:
        condition = condition & Key("statusCreatedAt").begins_with(f"{status}#")
    request: dict[str, Any] = {
        "IndexName": "ByEnvironment",
        "KeyConditionExpression": condition,
        "ScanIndexForward": False,
        "Limit": limit,
        **_projection(_RUN_FIELDS),
    }
    if start_key is not None:
        request["ExclusiveStartKey"] = start_key
    response = table(table_name).query(**request)
    return [plain(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")


def environments(
    table_name: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Environments, in the table's own order (a Scan: the table holds one item per environment)."""
    request: dict[str, Any] = {"Limit": limit, **_projection(_ENVIRONMENT_FIELDS)}
    if start_key is not None:
        request["ExclusiveStartKey"] = start_key
    response = table(table_name).scan(**request)
    return [plain(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")
