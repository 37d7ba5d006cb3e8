"""The environments table as a whole: which environments still exist (anything not DELETED).

A Scan: the table holds one small item per environment, a handful per account, and this runs once per
stack deletion, so an index would cost more than it saves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from batch_on_eks.aws.clients import table


@dataclass(frozen=True)
class EnvironmentSummary:
    name: str
    status: str
    execution_arn: str | None  # the provision or teardown execution that holds it, last


def live_environments(table_name: str) -> list[EnvironmentSummary]:
    """Every environment whose status is not DELETED, by name."""
    kwargs: dict[str, Any] = {
        "ProjectionExpression": "#name, #status, executionArn",
        "FilterExpression": "#status <> :deleted",
        "ExpressionAttributeNames": {"#name": "name", "#status": "status"},
        "ExpressionAttributeValues": {":deleted": "DELETED"},
        "ConsistentRead": True,
    }
    found: list[EnvironmentSummary] = []
    environments = table(table_name)
    while True:
        page = environments.scan(**kwargs)
        for item in page.get("Items", []):
            found.append(
                EnvironmentSummary(
                    name=str(item["name"]),
                    status=str(item.get("status", "")),
                    execution_arn=str(item["executionArn"]) if item.get("executionArn") else None,
                )
            )
        if "LastEvaluatedKey" not in page:
            return sorted(found, key=lambda summary: summary.name)
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
