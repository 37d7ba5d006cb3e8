"""The abort guard: a run whose execution stopped, timed out or failed must not leave its job running."""

from __future__ import annotations

from batch_on_eks.aws import batch_jobs as batch
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.settings import Settings

# The run's own endings, which have already terminated the job (the reconciler, before failing the task).
ENDED_BY_THE_RUN = frozenset({"JobTimedOut", "JobStuckRunnable"})


def abort(execution_name: str, execution_status: str, error: str | None, settings: Settings) -> str:
    """The run's execution stopped, timed out or failed: terminate its job if it is still active."""
    if error in ENDED_BY_THE_RUN:
        return f"the run ended {error} and terminated its job itself"
    store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
    run = store.get(execution_name)
    if run is None:
        return "no such run"
    job_id = run.job_id
    if job_id is None and run.submit_claimed_at is not None:
        found = batch.find_job_by_name(run.queue_arn, run.job_name)
        job_id = found[0] if found else None
    if job_id is None:
        return "no job was submitted"
    detail = batch.describe_job(job_id)
    if detail is None or detail.status.is_terminal:
        return "the job had already ended"
    reason = f"Cancelled: the run's execution {execution_name} ended {execution_status}"
    store.request_cancel(run.run_id, reason)
    batch.terminate_job(job_id, reason)
    return "terminated the job"
