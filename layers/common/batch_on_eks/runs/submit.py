"""The SubmitAndWait step: store the token, submit once, catch up on events that came early."""

from __future__ import annotations

from batch_on_eks.aws import batch_jobs as batch
from batch_on_eks.aws.array_children import ArrayChildrenStore
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.clock import now_ms
from batch_on_eks.errors import InvalidInput
from batch_on_eks.runs.waiting_task import finish_if_done
from batch_on_eks.settings import Settings


def submit_and_wait(run_id: str, token: str, settings: Settings) -> None:
    """Store the new token; submit the job unless the run has one; catch up on events already received."""
    store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
    store.set_token(run_id, token)
    run = store.get(run_id)
    if run is None:
        raise InvalidInput.field("runId", f"no run {run_id!r} (the Validate step records it)")
    job_id = run.job_id
    if job_id is None:
        job = None if store.claim_submission(run_id) else batch.find_job_by_name(run.queue_arn, run.job_name)
        if job is None:
            job = batch.submit_job(run.submit_request)
        job_id = job[0]
        store.record_job(run, job_id, job[1], now_ms())
    for detail, event_id, at in store.early_events(job_id):
        store.apply(run_id, detail, event_id, at, "event")
    current = store.get(run_id)
    if current is not None:
        finish_if_done(
            current, store, ArrayChildrenStore(settings.runs_table, settings.finished_run_ttl_seconds)
        )
