"""Ending the waiting SubmitAndWait task (shared by every step that can learn the run is over: a job event,
the submit step's catch-up, the reconciler).

The task is ended once the job has ended and, for an array job, once every child's end is recorded (Batch
may report the parent's end before some of its children's events have arrived). Then the run leaves the
reconciler's index. A stale token is fine: the run moved on, and the index is left all the same.
"""

from __future__ import annotations

import json

from batch_on_eks.aws import task_tokens as callbacks
from batch_on_eks.aws.array_children import ArrayChildrenStore
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.models.run import Run


def _task_output(run: Run) -> str:
    return json.dumps(
        {"runId": run.run_id, "jobId": run.job_id, "status": run.job_status.value if run.job_status else None}
    )


def children_complete(run: Run, store: RunStore, children: ArrayChildrenStore) -> bool:
    """Whether every child of the run's array job has its end recorded (True for a job that is no array).

    The parent is marked ended before the children are counted: a child's end recorded after this count
    then sees the mark and finishes the run itself (:func:`batch_on_eks.runs.job_events.record_job_event`).
    """
    if not run.array_size or run.job_id is None:
        return True
    store.mark_parent_ended(run.job_id)
    return children.summary(run.job_id, run.array_size).complete


def finish_if_done(run: Run, store: RunStore, children: ArrayChildrenStore) -> bool:
    """End the waiting task when the job (and every child of an array job) has ended; True if it did."""
    if not run.is_finished or not run.task_token:
        return False
    if not children_complete(run, store, children):
        return False
    callbacks.succeed(run.task_token, _task_output(run))
    store.mark_answered(run.run_id)
    return True


def end_run(run: Run, store: RunStore, error: str, cause: str) -> bool:
    """Fail the waiting task with the run's own ending (``JobTimedOut``, ``JobStuckRunnable``); False when
    the run has no task to end yet (its submit step is still storing the token: the next check ends it)."""
    if not run.task_token:
        return False
    callbacks.fail(run.task_token, error, cause)
    store.mark_answered(run.run_id)
    return True
