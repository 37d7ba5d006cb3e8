"""A job run as the runs table keeps it: what was asked, the job it made, and what is known of that job.

Plain dataclasses, not pydantic: the table is written only by this package (nothing to validate), and the
job-events function, on the hot path, loads these on every cold start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from batch_on_eks.models.job_status import JobStatus


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals back to ints/floats, all the way down."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class TimelineEntry:
    status: JobStatus
    at: int  # epoch milliseconds: the event's time, or when DescribeJobs showed it
    attempt: int  # 1-based attempt the status belongs to
    source: str  # "event" or "describe"

    def to_item(self) -> dict[str, Any]:
        return {"status": self.status.value, "at": self.at, "attempt": self.attempt, "source": self.source}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> TimelineEntry:
        return cls(JobStatus(item["status"]), int(item["at"]), int(item["attempt"]), str(item["source"]))


@dataclass
class Run:
    run_id: str
    environment: str
    cluster_name: str
    namespace: str
    queue_arn: str
    job_definition: str
    job_name: str  # unique per run: how a retried submit finds the job it may already have made
    submit_request: dict[str, Any]
    created_at: int
    deadline: int  # epoch seconds: past it, the run ends JobTimedOut
    runnable_limit_seconds: int
    heartbeat_seconds: int
    container_name: str | None = None
    task_token: str | None = None
    submit_claimed_at: int | None = None
    job_id: str | None = None
    job_status: JobStatus | None = None
    job_attempts: int = 0  # finished attempts, as in the newest status recorded
    status_reason: str | None = None
    runnable_since: int | None = None  # epoch ms when the current attempt became RUNNABLE
    last_detail: dict[str, Any] | None = None  # the newest event's (or DescribeJobs') detail
    timeline: list[TimelineEntry] = field(default_factory=list)
    child_events: dict[str, int] = field(default_factory=dict)  # array jobs: children's events per status
    cancel_requested: str | None = None  # why the control plane terminated the job, when it did

    @property
    def is_finished(self) -> bool:
        return self.job_status is not None and self.job_status.is_terminal

    @classmethod
    def from_item(cls, raw: dict[str, Any]) -> Run:
        """A run from its runs-table item (camelCase attributes)."""
        item = _plain(raw)
        optional_int = {"submitClaimedAt", "runnableSince"}
        return cls(
            run_id=item["runId"],
            environment=item["environment"],
            cluster_name=item["clusterName"],
            namespace=item["namespace"],
            queue_arn=item["queueArn"],
            job_definition=item["jobDefinition"],
            job_name=item["jobName"],
            submit_request=item["submitRequest"],
            created_at=item["createdAt"],
            deadline=item["deadline"],
            runnable_limit_seconds=item["runnableLimitSeconds"],
            heartbeat_seconds=item["heartbeatSeconds"],
            container_name=item.get("containerName"),
            task_token=item.get("taskToken"),
            job_id=item.get("jobId"),
            job_status=JobStatus(item["jobStatus"]) if item.get("jobStatus") else None,
            job_attempts=item.get("jobAttempts", 0),
            status_reason=item.get("statusReason") or None,
            last_detail=json.loads(item["lastDetail"]) if item.get("lastDetail") else None,
            timeline=[TimelineEntry.from_item(entry) for entry in item.get("timeline", [])],
            child_events=item.get("childEvents", {}),
            cancel_requested=item.get("cancelRequested"),
            **{_snake(k): item[k] for k in optional_int if item.get(k) is not None},
        )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
