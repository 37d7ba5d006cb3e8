"""Cancelling a run (``POST /jobs/{id}/cancel``): its Batch job is terminated and the run ends
``JobCancelled``."""

from __future__ import annotations

from batch_on_eks.aws import batch_jobs, executions
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.errors import RunFinished
from batch_on_eks.runs.status import find_run
from batch_on_eks.settings import Settings
from batch_on_eks.workflows.arns import Workflows
from batch_on_eks.workflows.execution_names import RequestOrigin
from batch_on_eks.workflows.starts import Accepted


def cancel_run(run_id: str, origin: RequestOrigin, settings: Settings, workflows: Workflows) -> Accepted:
    """Terminate the run's Batch job: the run then ends ``JobCancelled``. Before the job is known the
    execution is stopped instead (the abort guard then terminates a job that was being submitted).
    RunFinished when the run, or its job, has already ended."""
    run, execution = find_run(run_id, settings, workflows)
    arn = execution.arn if execution else executions.execution_arn(workflows.run_job, run_id)
    if execution is not None and execution.status != "RUNNING":
        raise RunFinished(f"run {run_id!r} has already ended: its execution is {execution.status}", "id")
    if run is not None and run.is_finished:
        raise RunFinished(f"the job of run {run_id!r} has already ended {run.job_status}", "id")
    reason = f"Cancelled through the control plane's API by {origin.caller}"
    if run is None or run.job_id is None:
        if execution is None or not executions.stop(arn, "JobCancelled", reason):
            raise RunFinished(f"run {run_id!r} has already ended", "id")
        return Accepted(run_id, arn, started=False)
    RunStore(settings.runs_table, settings.finished_run_ttl_seconds).request_cancel(run_id, reason)
    batch_jobs.terminate_job(run.job_id, reason)
    return Accepted(run_id, arn, started=False)
