"""A job run as the runs table keeps it: what was asked, the job it made, and what is known of that job.

Plain dataclasses, not pydantic: the table is written only by this package (nothing to validate), and the
job-events function, on the hot path, loads these on every cold start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batch_on_eks.models.job_status import JobStatus


@dataclass(frozen=True)
class TimelineEntry:
    status: JobStatus
    at: int  # epoch milliseconds: the event's time, or when DescribeJobs showed it
    attempt: int  # 1-based attempt the status belongs to
    source: str  # "event" or "describe"


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


@dataclass(frozen=True)
class RunSummary:
    """A run as a listing shows it."""

    run_id: str
    environment: str
    job_name: str | None
    job_id: str | None
    job_status: JobStatus | None
    created_at: int | None  # epoch ms
