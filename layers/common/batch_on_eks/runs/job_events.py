"""Batch's job state change events: record each in its run, keep the waiting task alive, end it when the
job ends. Delivery is at least once and unordered: duplicates are no-ops, stale statuses never win."""

from __future__ import annotations

from datetime import datetime

from batch_on_eks.aws import task_tokens as callbacks
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.models.job_event import BatchJobStateChangeEvent
from batch_on_eks.runs.waiting_task import finish_if_done
from batch_on_eks.settings import Settings


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def record_job_event(event: BatchJobStateChangeEvent, settings: Settings) -> str:
    detail, event_id, at = event.detail, event.id, _ms(event.time)
    store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
    if detail.is_array_child:
        parent = store.find_by_job_id(detail.job_id.split(":", 1)[0])
        if parent is not None:
            store.count_child_event(parent.run_id, detail.status, event_id)
        return "counted in the parent's run" if parent else "no run for the parent"
    run = store.find_by_job_id(detail.job_id)
    if run is None:
        # The run may not have recorded its job id yet (SubmitJob's reply still on its way): keep the
        # event for the submit step, then look once more, so that one of the two always applies it.
        store.keep_early_event(detail, event_id, at)
        run = store.find_by_job_id(detail.job_id)
        if run is None:
            return "kept for the run"
    updated = store.apply(run.run_id, detail, event_id, at, "event")
    if updated is None:
        return "no run"
    if updated.is_finished:
        finish_if_done(updated)
        return "finished"
    if updated.task_token:
        callbacks.heartbeat(updated.task_token)
    return "recorded"
