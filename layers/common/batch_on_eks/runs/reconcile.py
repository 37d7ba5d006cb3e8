"""The reconciler: one scheduled function (every ``ReconcilePeriodMinutes``) looks after every waiting run at
once, so that a run's own execution spends nothing while its job runs, whatever the job's length.

Batch's events do the work; the reconciler is the safety net for what events cannot say. Each tick it reads
the runs due for a check from the ByCheckDue index (no news for ``heartbeatSeconds``, the RUNNABLE limit or
the deadline reached, or a finished run whose task may not have been ended), asks DescribeJobs about their
jobs 100 at a time, and:

- applies what Batch says through the same path as an event (a lost terminal event ends the run);
- completes an array run whose parent ended while some children's ends were never heard, from ListJobs;
- ends a run past its deadline or its RUNNABLE limit: TerminateJob, then the waiting task fails with
  ``JobTimedOut`` or ``JobStuckRunnable`` and the JSON Cause;
- leaves a quiet run alone (no write): it is due again at the next tick.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from batch_on_eks.aws import batch_jobs as batch
from batch_on_eks.aws.array_children import ArrayChildrenStore
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.clock import iso, now_ms
from batch_on_eks.errors import cause
from batch_on_eks.models.job_event import BatchJobDetail
from batch_on_eks.models.job_status import JobStatus, is_newer
from batch_on_eks.models.run import DueRun, Run
from batch_on_eks.runs.waiting_task import end_run, finish_if_done
from batch_on_eks.settings import Settings

# Runs looked at per tick at most (a tick leaves the rest for the next one): 20 DescribeJobs calls.
MAX_RUNS_PER_TICK = 2000


class _Checker:
    def __init__(self, settings: Settings, now: int):
        self.store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
        self.children = ArrayChildrenStore(settings.runs_table, settings.finished_run_ttl_seconds)
        self.now = now

    def check(self, due: DueRun, detail: BatchJobDetail | None) -> str:
        if detail is not None and is_newer(
            detail.status, detail.finished_attempts, due.job_status, due.job_attempts
        ):
            # The index may lag the run (an event may have just told the same): only news joins the timeline.
            run = self.store.get(due.run_id)
            if run is not None and is_newer(
                detail.status, detail.finished_attempts, run.job_status, run.job_attempts
            ):
                report = f"describe:{detail.status.value}:{detail.finished_attempts}"
                run = self.store.apply(due.run_id, detail, report, self.now, "describe")
            return self._after_news(run, "news")
        if due.job_status is not None and due.job_status.is_terminal:
            return self._after_news(self.store.get(due.run_id), "finished")
        if self.now > due.deadline * 1000:
            return self._end(
                due, detail, "JobTimedOut", f"the run's deadline passed ({iso(due.deadline * 1000)})"
            )
        limit = due.runnable_limit_seconds
        if (
            due.job_status is JobStatus.RUNNABLE
            and due.runnable_since is not None
            and self.now - due.runnable_since > limit * 1000
        ):
            return self._end(due, detail, "JobStuckRunnable", f"RUNNABLE for more than {limit} s")
        return "quiet"

    def _after_news(self, run: Run | None, what: str) -> str:
        if run is None or not run.is_finished:
            return what
        if finish_if_done(run, self.store, self.children):
            return "ended"
        if run.array_size and run.job_id is not None and run.task_token:
            # The parent has ended, some children's ends were never heard: ask Batch for them.
            for index, status in batch.ended_array_children(run.job_id):
                self.children.record_end(run.job_id, index, status)
            if finish_if_done(run, self.store, self.children):
                return "ended: children completed from ListJobs"
        return "waiting for its task's token"

    def _end(self, due: DueRun, detail: BatchJobDetail | None, error: str, why: str) -> str:
        run = self.store.get(due.run_id)
        if run is None:
            return "gone"
        reason = f"{error}: {why}"
        if detail is not None and not detail.status.is_terminal:
            batch.terminate_job(due.job_id, reason[:1024])
        ending = cause(
            message=reason,
            jobId=due.job_id,
            statusReason=run.status_reason or None,
            lastStatus=run.job_status.value if run.job_status else None,
        )
        return error if end_run(run, self.store, error, ending) else "no task to end yet"


def reconcile_runs(settings: Settings, time_left_ms: Callable[[], int] = lambda: 60_000) -> dict[str, Any]:
    """One tick: check every run that is due, apply what DescribeJobs says, end the overdue ones."""
    checker = _Checker(settings, now_ms())
    due = checker.store.due_runs(checker.now, MAX_RUNS_PER_TICK)
    outcomes: Counter[str] = Counter()
    for start in range(0, len(due), batch.DESCRIBE_JOBS_BATCH):
        if time_left_ms() < 10_000:  # leave the rest for the next tick rather than be cut off mid-write
            outcomes["left for the next tick"] += len(due) - start
            break
        group = due[start : start + batch.DESCRIBE_JOBS_BATCH]
        described = batch.describe_jobs([run.job_id for run in group])
        for run in group:
            outcomes[checker.check(run, described.get(run.job_id))] += 1
    return {"checked": len(due), **outcomes}
