"""An array run's children in the runs table: no item grows with the array's size.

Each child's end is recorded once, in one transaction of two small items (about 100 bytes each, so each
child's event writes well under 1 KB): its own record, ``job#<parent>#child#<index>``, written only if absent
(so a duplicated or late event changes nothing), and one of ``SHARDS`` counters,
``job#<parent>#children#<index % SHARDS>``, which adds one to the status it ended in (spread over several
items so that thousands of children ending at once do not all write one item). A failed child's record also
carries ``failedOf`` and ``childIndex``, the keys of the sparse FailedChildren index, from which the lowest
failed indexes are read in order. Records are keyed by the parent job's id: a child's event needs nothing
of its run to be counted, even before the run has recorded its job.
"""

from __future__ import annotations

import time
from typing import Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from batch_on_eks.aws.clients import client, table
from batch_on_eks.aws.items import plain
from batch_on_eks.aws.job_records import job_key
from batch_on_eks.errors import AwsRequestFailed
from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import FIRST_FAILED_INDEXES, ArrayChildren

SHARDS = 8
_CHILD = "child"
_COUNTER = "children"
_ENDS = (JobStatus.SUCCEEDED.value, JobStatus.FAILED.value)
# Children's records outlive a finished run by a day at most (the run's own retention starts when it ends).
_MARGIN_SECONDS = 86400
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _typed(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def _untyped(item: dict[str, Any]) -> dict[str, Any]:
    return {name: plain(_deserializer.deserialize(value)) for name, value in item.items()}


def _counter_key(parent_job_id: str, shard: int) -> str:
    return f"{job_key(parent_job_id)}#{_COUNTER}#{shard}"


class ArrayChildrenStore:
    def __init__(self, table_name: str, finished_ttl_seconds: int):
        self.table_name = table_name
        self.table = table(table_name)
        self.finished_ttl_seconds = finished_ttl_seconds

    def record_end(self, parent_job_id: str, index: int, status: JobStatus) -> bool:
        """Count child ``index``'s end in ``status``, once: True if this call counted it."""
        expires = int(time.time()) + self.finished_ttl_seconds + _MARGIN_SECONDS
        record: dict[str, Any] = {
            "runId": f"{job_key(parent_job_id)}#{_CHILD}#{index}",
            "kind": _CHILD,
            "status": status.value,
            "expiresAt": expires,
        }
        if status is JobStatus.FAILED:
            record.update(failedOf=job_key(parent_job_id), childIndex=index)
        counter = {
            "TableName": self.table_name,
            "Key": _typed({"runId": _counter_key(parent_job_id, index % SHARDS)}),
            "UpdateExpression": "SET kind = :kind, expiresAt = :expires ADD #status :one",
            "ExpressionAttributeNames": {"#status": status.value},
            "ExpressionAttributeValues": _typed({":kind": _COUNTER, ":expires": expires, ":one": 1}),
        }
        try:
            client("dynamodb").transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": _typed(record),
                            "ConditionExpression": "attribute_not_exists(runId)",
                        }
                    },
                    {"Update": counter},
                ]
            )
            return True
        except AwsRequestFailed as error:
            reasons = [reason.get("Code") for reason in error.details.get("CancellationReasons", [])]
            if error.code == "TransactionCanceledException" and reasons[:1] == ["ConditionalCheckFailed"]:
                return False  # already counted
            raise

    def summary(self, parent_job_id: str, size: int) -> ArrayChildren:
        """How many children ended in each status, and the lowest failed indexes (read consistently)."""
        keys = [_typed({"runId": _counter_key(parent_job_id, shard)}) for shard in range(SHARDS)]
        request: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
        counters: list[dict[str, Any]] = []
        while request:  # DynamoDB may leave keys unprocessed: ask again for those
            response = client("dynamodb").batch_get_item(RequestItems=request)
            counters += [_untyped(raw) for raw in response.get("Responses", {}).get(self.table_name, [])]
            request = response.get("UnprocessedKeys") or {}
        counts = {status: sum(int(counter.get(status, 0)) for counter in counters) for status in _ENDS}
        failed = self.table.query(
            IndexName="FailedChildren",
            KeyConditionExpression=Key("failedOf").eq(job_key(parent_job_id)),
            Limit=FIRST_FAILED_INDEXES,
        ).get("Items", [])
        indexes = sorted(int(item["childIndex"]) for item in failed)
        return ArrayChildren(size=size, counts=counts, failed_indexes=indexes)
