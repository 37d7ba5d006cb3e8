"""What a finished run tells the dashboard: its outcome and its durations, from the run's own timeline.

Every duration is computed from timestamps the run keeps (the timeline's Batch statuses, the execution's
start and stop), so a metric can be checked against ``GET /jobs/{id}``'s timeline. A run that never reached
a status has no metric for it (a run refused by Validate has no RUNNABLE time, not a RUNNABLE time of 0).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import Run


@dataclass(frozen=True)
class RunMetric:
    name: str
    value: float
    unit: str  # "Count" or "Seconds"
    dimensions: dict[str, str]


def queue_name(queue_arn: str | None) -> str | None:
    """arn:aws:batch:region:account:job-queue/NAME -> NAME."""
    return queue_arn.rsplit("/", 1)[-1] if queue_arn else None


def _first(run: Run, status: JobStatus) -> int | None:
    return min((entry.at for entry in run.timeline if entry.status is status), default=None)


def runnable_seconds(run: Run) -> float | None:
    """Time the job sat RUNNABLE, every attempt's: from each RUNNABLE to the next status reported."""
    entries = sorted(run.timeline, key=lambda entry: (entry.at, entry.status.rank))
    total, seen = 0, False
    for entry, following in itertools.pairwise(entries):
        if entry.status is JobStatus.RUNNABLE and following.status is not JobStatus.RUNNABLE:
            total += following.at - entry.at
            seen = True
    return total / 1000 if seen else None


def submit_to_running_seconds(run: Run) -> float | None:
    """From the job's submission (the control plane's claim of it, just before its SubmitJob call; the
    timeline's SUBMITTED is stamped when the reply is recorded, which can come after RUNNING's event) to its
    first RUNNING."""
    running = _first(run, JobStatus.RUNNING)
    submitted = run.submit_claimed_at
    if running is None or submitted is None:
        return None
    return max(0, running - submitted) / 1000


def event_to_end_seconds(run: Run, stop_ms: int | None) -> float | None:
    """From the job's end as Batch reported it to the execution's end."""
    ended = [entry.at for entry in run.timeline if entry.status.is_terminal]
    if stop_ms is None or not ended:
        return None
    return max(0, stop_ms - max(ended)) / 1000


def run_metrics(
    outcome: str,
    error: str | None,
    run: Run | None,
    start_ms: int | None,
    stop_ms: int | None,
) -> list[RunMetric]:
    """The metrics of one finished run: RunsSucceeded or RunsFailed (by error name, or the outcome when
    there is none: ABORTED, TIMED_OUT), RunSeconds, and what the timeline shows of its job."""
    where = {"environment": run.environment, "queue": queue_name(run.queue_arn) or ""} if run else {}
    where = {key: value for key, value in where.items() if value}
    if outcome == "SUCCEEDED":
        metrics = [RunMetric("RunsSucceeded", 1, "Count", where)]
    else:
        metrics = [RunMetric("RunsFailed", 1, "Count", {**where, "error": error or outcome})]
    if start_ms is not None and stop_ms is not None:
        metrics.append(RunMetric("RunSeconds", max(0, stop_ms - start_ms) / 1000, "Seconds", where))
    if run is not None:
        for name, value in (
            ("RunnableSeconds", runnable_seconds(run)),
            ("SubmitToRunningSeconds", submit_to_running_seconds(run)),
            ("EventToEndSeconds", event_to_end_seconds(run, stop_ms)),
        ):
            if value is not None:
                metrics.append(RunMetric(name, value, "Seconds", where))
    return metrics
