"""Ending the waiting SubmitAndWait task once the job has ended (shared by every step that can learn it)."""

from __future__ import annotations

import json

from batch_on_eks.aws import task_tokens as callbacks
from batch_on_eks.models.run import Run


def _task_output(run: Run) -> str:
    return json.dumps(
        {"runId": run.run_id, "jobId": run.job_id, "status": run.job_status.value if run.job_status else None}
    )


def finish_if_done(run: Run) -> None:
    """End the waiting task when the job has ended (a stale token is fine: the run moved on)."""
    if run.is_finished and run.task_token:
        callbacks.succeed(run.task_token, _task_output(run))
