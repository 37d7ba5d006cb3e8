"""Batch's job state change events: record each in its run, end the waiting task when the job ends. Delivery
is at least once and unordered: duplicates are no-ops, stale statuses never win.

An array child's event counts only once the child has ended (its progress is Batch's own ``statusSummary``
on the parent): its end is recorded once whatever the duplicates (:mod:`batch_on_eks.aws.array_children`),
and the last child to end after its parent finishes the run.
"""

from __future__ import annotations

from datetime import datetime

from batch_on_eks.aws.array_children import ArrayChildrenStore
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.models.job_event import BatchJobDetail
from batch_on_eks.models.job_state_change import BatchJobStateChangeEvent
from batch_on_eks.observability import about_run, emit
from batch_on_eks.runs.waiting_task import finish_if_done
from batch_on_eks.settings import Settings


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def child_index(detail: BatchJobDetail) -> int:
    """An array child's index: its ``arrayProperties.index``, else what ends its id (``<parent>:<index>``)."""
    if detail.array_properties is not None and detail.array_properties.index is not None:
        return detail.array_properties.index
    return int(detail.job_id.rsplit(":", 1)[1])


def _record_child_end(detail: BatchJobDetail, store: RunStore, children: ArrayChildrenStore) -> str:
    if not detail.status.is_terminal:
        return "a child's progress (counted when it ends)"
    parent_job_id = detail.job_id.split(":", 1)[0]
    if not children.record_end(parent_job_id, child_index(detail), detail.status):
        return "a child's end already counted"
    pointer = store.job_pointer(parent_job_id)
    if pointer is None or not pointer[1]:
        return "a child's end counted"
    about_run(pointer[0], parent_job_id)
    run = store.get(pointer[0])
    if run is not None and finish_if_done(run, store, children):
        return "a child's end counted: the last one, the run is finished"
    return "a child's end counted"


def record_job_event(event: BatchJobStateChangeEvent, settings: Settings) -> str:
    detail, event_id, at = event.detail, event.id, _ms(event.time)
    store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
    children = ArrayChildrenStore(settings.runs_table, settings.finished_run_ttl_seconds)
    if detail.is_array_child:
        return _record_child_end(detail, store, children)
    run = store.find_by_job_id(detail.job_id)
    if run is None:
        # The run may not have recorded its job id yet (SubmitJob's reply still on its way): keep the
        # event for the submit step, then look once more, so that one of the two always applies it.
        store.keep_early_event(detail, event_id, at)
        run = store.find_by_job_id(detail.job_id)
        if run is None:
            # Counted: mostly an event ahead of SubmitJob's reply (the submit step applies it), but a steady
            # count says events come for jobs the control plane never recorded.
            emit("JobEventsForUnknownJobs", 1)
            return "kept for the run"
    about_run(run.run_id, detail.job_id)
    updated = store.apply(run.run_id, detail, event_id, at, "event")
    if updated is None:
        return "no run"
    if updated.is_finished:
        return "finished" if finish_if_done(updated, store, children) else "finished, its task not yet ended"
    return "recorded"
