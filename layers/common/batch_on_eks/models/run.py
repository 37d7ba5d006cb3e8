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
    heartbeat_seconds: int  # no news of the job for this long: the reconciler asks DescribeJobs
    container_name: str | None = None
    array_size: int | None = None  # an array job: how many children it has
    task_token: str | None = None
    submit_claimed_at: int | None = None
    job_id: str | None = None
    job_status: JobStatus | None = None
    job_attempts: int = 0  # finished attempts, as in the newest status recorded
    status_reason: str | None = None
    runnable_since: int | None = None  # epoch ms when the current attempt became RUNNABLE
    last_detail: dict[str, Any] | None = None  # the newest event's (or DescribeJobs') detail
    timeline: list[TimelineEntry] = field(default_factory=list)
    cancel_requested: str | None = None  # why the control plane terminated the job, when it did

    @property
    def is_finished(self) -> bool:
        return self.job_status is not None and self.job_status.is_terminal

    def next_check_ms(self, news_at_ms: int, status: JobStatus, runnable_since_ms: int | None) -> int:
        """When the reconciler must next look at the run, given news of ``status`` at ``news_at_ms``: once the
        news is ``heartbeat_seconds`` old, or at the RUNNABLE limit, or at the deadline, whichever is first.
        A terminal status is looked at once more after a heartbeat, in case its waiting task was not ended."""
        due = news_at_ms + self.heartbeat_seconds * 1000
        if not status.is_terminal:
            due = min(due, self.deadline * 1000)
        if status is JobStatus.RUNNABLE and runnable_since_ms is not None:
            due = min(due, runnable_since_ms + self.runnable_limit_seconds * 1000)
        return due


# How many of an array run's failed children are named (the lowest indexes); the count is always complete.
FIRST_FAILED_INDEXES = 20


@dataclass(frozen=True)
class ArrayChildren:
    """An array run's children as far as their ends have been recorded: how many ended in each status, and
    the lowest indexes of those that failed."""

    size: int
    counts: dict[str, int]  # SUCCEEDED / FAILED -> how many children ended so
    failed_indexes: list[int]  # the lowest FIRST_FAILED_INDEXES of them, ascending

    @property
    def ended(self) -> int:
        return sum(self.counts.values())

    @property
    def complete(self) -> bool:
        """Whether every child's end is recorded (the run then knows its children's outcome exactly)."""
        return self.ended >= self.size

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "counts": dict(self.counts),
            "failedIndexes": list(self.failed_indexes),
            "failedTotal": self.counts.get(JobStatus.FAILED.value, 0),
            "complete": self.complete,
        }


@dataclass(frozen=True)
class DueRun:
    """A run the reconciler must look at, as its index entry has it (no need to read the run to see that
    nothing needs doing)."""

    run_id: str
    job_id: str
    job_status: JobStatus | None
    job_attempts: int
    deadline: int  # epoch seconds
    runnable_since: int | None  # epoch ms
    runnable_limit_seconds: int


@dataclass(frozen=True)
class RunSummary:
    """A run as a listing shows it."""

    run_id: str
    environment: str
    job_name: str | None
    job_id: str | None
    job_status: JobStatus | None
    created_at: int | None  # epoch ms
