"""The Reconcile step, after a heartbeat lapse: DescribeJobs, then finished / ended / wait."""

from __future__ import annotations

import time
from typing import Any

from batch_on_eks.aws import batch_jobs as batch
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.clock import iso, now_ms
from batch_on_eks.errors import InvalidInput, cause
from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import Run
from batch_on_eks.settings import Settings


def reconcile_run(run_id: str, settings: Settings) -> dict[str, Any]:
    """No news for a heartbeat period: ask DescribeJobs. Ends the run if the job has ended, terminates the
    job when the run's deadline or the RUNNABLE limit has passed, and otherwise says to wait again."""
    store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
    run = store.get(run_id)
    if run is None:
        raise InvalidInput.field("runId", f"no run {run_id!r}")
    if run.job_id is not None:
        detail = batch.describe_job(run.job_id)
        if detail is not None:
            report = f"describe:{detail.status.value}:{detail.finished_attempts}"
            run = store.apply(run_id, detail, report, now_ms(), "describe") or run
    if run.is_finished:
        return {"outcome": "finished"}
    now = time.time()
    if now > run.deadline:
        return _end(run, "JobTimedOut", f"the run's deadline passed ({iso(run.deadline * 1000)})")
    if (
        run.job_status is JobStatus.RUNNABLE
        and run.runnable_since is not None
        and now * 1000 - run.runnable_since > run.runnable_limit_seconds * 1000
    ):
        return _end(run, "JobStuckRunnable", f"RUNNABLE for more than {run.runnable_limit_seconds} s")
    return {"outcome": "wait"}


def _end(run: Run, error: str, why: str) -> dict[str, Any]:
    reason = f"{error}: {why}"
    if run.job_id is not None:
        batch.terminate_job(run.job_id, reason[:1024])
    return {
        "outcome": "ended",
        "error": error,
        "cause": cause(
            message=reason,
            jobId=run.job_id,
            statusReason=run.status_reason or None,
            lastStatus=run.job_status.value if run.job_status else None,
        ),
    }
