"""A Batch job's status and the order of its lifecycle, to tell a newer event from a stale one.

EventBridge delivers "Batch Job State Change" events at least once and in no promised order, so the run's
record must only ever move forward: a duplicate is a no-op and a late RUNNING never overwrites SUCCEEDED.
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    """The statuses Batch reports for a job (there is no event for SUBMITTED; DescribeJobs shows it)."""

    SUBMITTED = "SUBMITTED"
    PENDING = "PENDING"
    RUNNABLE = "RUNNABLE"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"

    @property
    def rank(self) -> int:
        """Position within one attempt: SUBMITTED < PENDING < RUNNABLE < STARTING < RUNNING < terminal."""
        return _RANKS[self]

    @property
    def is_terminal(self) -> bool:
        """SUCCEEDED and FAILED end the job: Batch never reports anything after them."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED)


_RANKS = {
    JobStatus.SUBMITTED: 0,
    JobStatus.PENDING: 1,
    JobStatus.RUNNABLE: 2,
    JobStatus.STARTING: 3,
    JobStatus.RUNNING: 4,
    JobStatus.SUCCEEDED: 5,
    JobStatus.FAILED: 5,
}


def is_newer(
    new_status: JobStatus, new_attempts: int, old_status: JobStatus | None, old_attempts: int
) -> bool:
    """Whether an event (``new_*``) moves the job past what is recorded (``old_*``; ``None``: nothing yet).

    ``*_attempts`` is the number of *finished* attempts the event carries: ``len(detail.eksAttempts)``
    (Batch lists an attempt there once its pod has stopped). A retry sends the job back to RUNNABLE with
    one more finished attempt, so non-terminal statuses compare by ``(attempts, rank)``: RUNNABLE of the
    second attempt (1 finished attempt) is newer than RUNNING of the first (0 finished attempts).

    A terminal status ends the job, so it beats every non-terminal status whatever the attempt counts say
    (a terminal event may come with its ``eksAttempts`` missing), and nothing ever replaces it: not a stale
    non-terminal event, not a duplicate. Equal states are not newer, which makes duplicates no-ops.
    """
    if old_status is None:
        return True
    if old_status.is_terminal:
        return False
    if new_status.is_terminal:
        return True
    return (new_attempts, new_status.rank) > (old_attempts, old_status.rank)
