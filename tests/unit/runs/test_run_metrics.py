"""A finished run's metrics, from its timeline: the outcome by error name, the durations of each attempt's
RUNNABLE, submit to RUNNING, the job's end to the run's end; dimensioned by environment and queue only."""

from __future__ import annotations

from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import TimelineEntry
from batch_on_eks.runs.run_metrics import RunMetric, run_metrics
from tests.unit.runs.support import a_run

S = JobStatus


def timeline(*entries: tuple[JobStatus, int, int]) -> list[TimelineEntry]:
    return [TimelineEntry(status, at, attempt, "event") for status, at, attempt in entries]


def by_name(metrics: list[RunMetric]) -> dict[str, float]:
    return {metric.name: metric.value for metric in metrics}


def test_a_retried_job_counts_both_attempts_runnable_time() -> None:
    # Given a job RUNNABLE 2 s, failed, RUNNABLE again 3 s, then succeeded
    run = a_run(
        submit_claimed_at=1_000,
        timeline=timeline(
            (S.SUBMITTED, 1_000, 1),
            (S.RUNNABLE, 2_000, 1),
            (S.STARTING, 4_000, 1),
            (S.RUNNING, 5_000, 1),
            (S.RUNNABLE, 9_000, 2),
            (S.STARTING, 12_000, 2),
            (S.RUNNING, 13_000, 2),
            (S.SUCCEEDED, 20_000, 2),
        ),
    )
    # When its metrics are computed for an execution from 500 ms to 20,700 ms
    metrics = run_metrics("SUCCEEDED", None, run, 500, 20_700)
    # Then RUNNABLE sums both attempts, submit to RUNNING is to the first RUNNING, and the end is the job's
    assert by_name(metrics) == {
        "RunsSucceeded": 1,
        "RunSeconds": 20.2,
        "RunnableSeconds": 5.0,
        "SubmitToRunningSeconds": 4.0,
        "EventToEndSeconds": 0.7,
    }
    # And every metric is dimensioned by the environment and the queue, never by the run
    assert {tuple(sorted(m.dimensions.items())) for m in metrics} == {
        (("environment", "doeks-aws-batch"), ("queue", "doeks-aws-batch-JQ1_OD")),
    }


def test_a_failed_run_is_counted_by_its_error_and_a_stopped_one_by_its_outcome() -> None:
    # Given a run whose job failed, and one stopped before its job was known
    failed = run_metrics("FAILED", "BatchJobFailed", a_run(), 0, 1000)
    stopped = run_metrics("ABORTED", None, None, 0, 1000)
    # Then each is one RunsFailed, named by its error, or by its outcome when it has none
    assert [(m.name, m.dimensions.get("error")) for m in failed if m.name == "RunsFailed"] == [
        ("RunsFailed", "BatchJobFailed")
    ]
    assert [(m.name, m.dimensions) for m in stopped if m.name == "RunsFailed"] == [
        ("RunsFailed", {"error": "ABORTED"})
    ]


def test_a_run_that_never_reached_a_status_has_no_duration_for_it() -> None:
    # Given a run cancelled while RUNNABLE (it never ran)
    run = a_run(timeline=timeline((S.RUNNABLE, 2_000, 1), (S.FAILED, 3_000, 1)))
    # When its metrics are computed
    names = by_name(run_metrics("CANCELLED", "JobCancelled", run, 0, 3_500))
    # Then there is no submit-to-RUNNING time (not a 0), and RUNNABLE lasted until its end
    assert "SubmitToRunningSeconds" not in names
    assert names["RunnableSeconds"] == 1.0
    assert names["EventToEndSeconds"] == 0.5
