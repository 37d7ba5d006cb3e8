"""The environments table: one item per environment, written by the provision and teardown workflows
(status, step timeline, resource names and ARNs, outputs) and read by every run, the API and the stack's
teardown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from batch_on_eks.aws import page_tokens
from batch_on_eks.aws.clients import table
from batch_on_eks.aws.items import plain, projection
from batch_on_eks.errors import AwsRequestFailed
from batch_on_eks.models.environment import Environment, EnvironmentStatus
from batch_on_eks.models.page import Page


class ClaimRefused(Exception):
    """The environment is held by another execution, in a status the claim may not leave."""

    def __init__(self, status: str | None, execution_arn: str | None, claimed_at: int | None = None):
        super().__init__(f"{status} by {execution_arn}")
        self.status = status
        self.execution_arn = execution_arn
        self.claimed_at = claimed_at  # epoch ms of that claim (None for a record from before it was kept)


@dataclass(frozen=True)
class EnvironmentSummary:
    """An environment as a listing shows it."""

    name: str
    status: EnvironmentStatus
    namespace: str | None
    cluster_arn: str | None
    execution_arn: str | None  # the provision or teardown execution that holds it, last


# The attributes a listing reads: enough to pick one, not the whole record.
_SUMMARY_FIELDS = ("name", "status", "namespace", "clusterArn", "executionArn")


def _record(item: dict[str, Any] | None) -> Environment | None:
    return Environment.from_dict(plain(item)) if item else None


def _summary(item: dict[str, Any]) -> EnvironmentSummary:
    value = plain(item)
    return EnvironmentSummary(
        name=str(value["name"]),
        status=EnvironmentStatus(value["status"]),
        namespace=value.get("namespace"),
        cluster_arn=value.get("clusterArn"),
        execution_arn=value.get("executionArn") or None,
    )


class EnvironmentStore:
    def __init__(self, table_name: str):
        self.table = table(table_name)

    def get(self, name: str) -> Environment | None:
        """The whole record (resources, timeline, outputs included); None when there is none."""
        return _record(self.table.get_item(Key={"name": name}, ConsistentRead=True).get("Item"))

    def find(self, name: str, resource_prefix: str) -> Environment | None:
        """The record of one of this control plane's environments; None when there is none, without asking
        DynamoDB for a name that cannot be one (every name starts with ``<ResourcePrefix>-``)."""
        return self.get(name) if name.startswith(f"{resource_prefix}-") else None

    def page(self, limit: int, next_token: str | None) -> Page[EnvironmentSummary]:
        """A page of environments, in the table's own order (a Scan: one item per environment)."""
        request: dict[str, Any] = {"Limit": limit, **projection(_SUMMARY_FIELDS)}
        start_key = page_tokens.decode(next_token, {"name": lambda _value: True})
        if start_key is not None:
            request["ExclusiveStartKey"] = start_key
        response = self.table.scan(**request)
        items = [_summary(item) for item in response.get("Items", [])]
        return Page(items, page_tokens.encode(response.get("LastEvaluatedKey")))

    def live(self) -> list[EnvironmentSummary]:
        """Every environment whose status is not DELETED, by name. A Scan: the table holds one small item per
        environment, a handful per account, and this runs once per stack deletion, so an index would cost
        more than it saves."""
        request: dict[str, Any] = {
            **projection(_SUMMARY_FIELDS),
            "FilterExpression": "#p1 <> :deleted",
            "ExpressionAttributeValues": {":deleted": EnvironmentStatus.DELETED.value},
            "ConsistentRead": True,
        }
        found: list[EnvironmentSummary] = []
        while True:
            page = self.table.scan(**request)
            found.extend(_summary(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return sorted(found, key=lambda summary: summary.name)
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def claim(
        self,
        name: str,
        status: str,
        execution_arn: str,
        leave_from: tuple[str, ...],
        fields: dict[str, Any],
        *,
        at_ms: int,
        take_over_from: str | None = None,
        clear_failure: bool = True,
    ) -> Environment | None:
        """Move the environment to ``status`` for ``execution_arn``, if it is new, in one of the statuses
        ``leave_from``, or already claimed by this same execution (a retried step), or by
        ``take_over_from`` (an execution that has ended without finishing). Returns the record as it was
        before (None if new). Raises ClaimRefused otherwise. ``clear_failure``: forget the last failure (a new
        provisioning); a teardown keeps it, so a rollback does not hide why it runs. ``at_ms``: when (epoch
        ms), kept as ``claimedAt``."""
        names = {"#status": "status", "#execution": "executionArn", "#name": "name"}
        values: dict[str, Any] = {":status": status, ":me": execution_arn}
        allowed = []
        for i, leave in enumerate(leave_from):
            values[f":from{i}"] = leave
            allowed.append(f":from{i}")
        # ``resources`` accumulates across executions: a re-run must still know what an earlier one made.
        sets = [
            "#status = :status",
            "#execution = :me",
            "claimedAt = :at",
            "resources = if_not_exists(resources, :map)",
        ]
        values[":map"] = {}
        values[":at"] = at_ms
        if clear_failure:
            sets.append("failure = :none")
            values[":none"] = None
        for i, (key, value) in enumerate(fields.items()):
            names[f"#f{i}"] = key
            values[f":f{i}"] = value
            sets.append(f"#f{i} = :f{i}")
        condition = "attribute_not_exists(#name) OR #execution = :me"
        if take_over_from is not None:
            values[":ended"] = take_over_from
            condition += " OR #execution = :ended"
        if allowed:
            condition += f" OR #status IN ({', '.join(allowed)})"
        try:
            response = self.table.update_item(
                Key={"name": name},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except AwsRequestFailed as error:
            if error.code != "ConditionalCheckFailedException":
                raise
            old = error.details.get("Item") or {}
            claimed_at = _plain(old.get("claimedAt"))
            raise ClaimRefused(
                _plain(old.get("status")),
                _plain(old.get("executionArn")),
                int(claimed_at) if claimed_at is not None else None,
            ) from None
        return _record(response.get("Attributes"))

    def update(self, name: str, fields: dict[str, Any], timeline_entry: dict[str, Any] | None = None) -> None:
        """Set top-level ``fields`` (a dotted key sets one entry of a map, e.g. ``resources.clusterArn``),
        and append ``timeline_entry`` to the step timeline."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets = []
        for i, (key, value) in enumerate(fields.items()):
            path = []
            for j, part in enumerate(key.split(".")):
                names[f"#f{i}_{j}"] = part
                path.append(f"#f{i}_{j}")
            values[f":f{i}"] = value
            sets.append(f"{'.'.join(path)} = :f{i}")
        if timeline_entry is not None:
            names["#timeline"] = "timeline"
            values[":entry"] = [timeline_entry]
            values[":empty"] = []
            sets.append("#timeline = list_append(if_not_exists(#timeline, :empty), :entry)")
        if not sets:
            return
        self.table.update_item(
            Key={"name": name},
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )


def _plain(value: Any) -> Any:
    """A low-level DynamoDB value ({"S": "x"}: what a refused condition hands back) as the plain value."""
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value.values()))
    return value
