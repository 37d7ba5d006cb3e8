"""The runs table's items about a job rather than a run: the item that names a job's run (``job#<jobId>``,
read by key, so at once and consistently, where the ByJobId index lags), and the short-lived items for events
that came before their run knew its job id (kept by job id, with a TTL, for the submit step to find).
:class:`~batch_on_eks.aws.runs_table.RunStore` has them through :class:`JobRecords`."""

from __future__ import annotations

import json
import time
from typing import Any

from boto3.dynamodb.conditions import Key

from batch_on_eks.models.job_event import BatchJobDetail
from batch_on_eks.models.run import Run

EARLY_EVENT_TTL_SECONDS = 86400
RUN_KIND = "run"
_EARLY_EVENT = "event"
_JOB = "job"


def job_key(job_id: str) -> str:
    """The key of the item that names the run of ``job_id`` (its array children's records start with it)."""
    return f"{_JOB}#{job_id}"


def detail_json(detail: BatchJobDetail) -> str:
    """The detail as the table keeps it: compact camelCase JSON, without the fields that are None."""
    return json.dumps(detail.to_dict(), separators=(",", ":"), ensure_ascii=False)


class JobRecords:
    table: Any
    finished_ttl_seconds: int

    # -- which run a job belongs to --------------------------------------------------------------------------
    def name_run_of_job(self, run: Run, job_id: str) -> None:
        self.table.put_item(
            Item={
                "runId": job_key(job_id),
                "kind": _JOB,
                "runOf": run.run_id,
                "expiresAt": run.deadline + self.finished_ttl_seconds,
            }
        )

    def run_of_job(self, job_id: str) -> str | None:
        """The id of the run whose job this is, once the run has recorded it."""
        pointer = self.job_pointer(job_id)
        if pointer is not None:
            return pointer[0]
        # A run recorded before job items existed is found through the index.
        items = self.table.query(IndexName="ByJobId", KeyConditionExpression=Key("jobId").eq(job_id))["Items"]
        run_ids = [str(i["runId"]) for i in items if i.get("kind") == RUN_KIND]
        return run_ids[0] if run_ids else None

    def job_pointer(self, job_id: str) -> tuple[str, bool] | None:
        """(the job's run, whether the job has ended as an array parent whose run awaits its children)."""
        item = self.table.get_item(Key={"runId": job_key(job_id)}, ConsistentRead=True).get("Item")
        return (str(item["runOf"]), bool(item.get("parentEnded"))) if item else None

    def mark_parent_ended(self, job_id: str) -> None:
        """An array parent has ended: from now on each child's end checks whether the run is complete."""
        self.table.update_item(
            Key={"runId": job_key(job_id)},
            UpdateExpression="SET parentEnded = :true",
            ConditionExpression="attribute_exists(runId)",
            ExpressionAttributeValues={":true": True},
        )

    # -- events that came before the run knew its job --------------------------------------------------------
    def keep_early_event(self, detail: BatchJobDetail, event_id: str, at_ms: int) -> None:
        self.table.put_item(
            Item={
                "runId": f"{_EARLY_EVENT}#{detail.job_id}#{event_id}",
                "kind": _EARLY_EVENT,
                "jobId": detail.job_id,
                "eventId": event_id,
                "at": at_ms,
                "detail": detail_json(detail),
                "expiresAt": int(time.time()) + EARLY_EVENT_TTL_SECONDS,
            }
        )

    def early_events(self, job_id: str) -> list[tuple[BatchJobDetail, str, int]]:
        """Events kept for ``job_id``, oldest first: (detail, event id, time in ms)."""
        items = self.table.query(IndexName="ByJobId", KeyConditionExpression=Key("jobId").eq(job_id))["Items"]
        kept = [i for i in items if i.get("kind") == _EARLY_EVENT]
        kept.sort(key=lambda i: int(i["at"]))
        return [
            (BatchJobDetail.from_dict(json.loads(i["detail"])), str(i["eventId"]), int(i["at"])) for i in kept
        ]
