"""A run's timeline as people read it (``GET /jobs/{id}``, the run's result, Run Finished): the job's
lifecycle in order, each status once per attempt, whatever order and precision its reports came with."""

from __future__ import annotations

from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import Run, TimelineEntry
from batch_on_eks.runs.views import timeline
from tests.unit.runs.support import a_run

SECOND = 1_767_000_016_000  # an event's time: whole seconds


def run_with(*reports: tuple[str, int, int, str]) -> Run:
    return a_run(
        timeline=[TimelineEntry(JobStatus(s), at, attempt, source) for s, at, attempt, source in reports]
    )


def listed(run: Run) -> list[tuple[str, int, str]]:
    return [(e["status"], e["attempt"], e["source"]) for e in timeline(run)]


def test_a_reconcile_within_the_same_second_neither_repeats_nor_reorders_a_status() -> None:
    # Given events stamped to the second, and a DescribeJobs report of RUNNING 150 ms into that second,
    # recorded after the RUNNING event and before SUCCEEDED (whose whole-second time is earlier)
    run = run_with(
        ("RUNNABLE", SECOND, 1, "event"),
        ("STARTING", SECOND, 1, "event"),
        ("RUNNING", SECOND, 1, "event"),
        ("RUNNING", SECOND + 150, 1, "describe"),
        ("SUCCEEDED", SECOND, 1, "event"),
    )
    # When the timeline is read
    # Then it is the lifecycle, each status once, as first reported
    assert listed(run) == [
        ("RUNNABLE", 1, "event"),
        ("STARTING", 1, "event"),
        ("RUNNING", 1, "event"),
        ("SUCCEEDED", 1, "event"),
    ]


def test_a_retried_job_lists_each_attempt_in_turn_and_its_end_last() -> None:
    # Given two attempts whose reports arrived out of order, the end learnt from DescribeJobs only
    run = run_with(
        ("RUNNING", SECOND + 2000, 2, "event"),
        ("RUNNABLE", SECOND, 1, "event"),
        ("FAILED", SECOND + 3150, 1, "describe"),  # a terminal report without its attempts counts as 1
        ("RUNNABLE", SECOND + 1000, 2, "event"),
        ("RUNNING", SECOND, 1, "event"),
    )
    # When the timeline is read
    # Then attempt 1's statuses come first, then attempt 2's, and the job's end last
    assert listed(run) == [
        ("RUNNABLE", 1, "event"),
        ("RUNNING", 1, "event"),
        ("RUNNABLE", 2, "event"),
        ("RUNNING", 2, "event"),
        ("FAILED", 1, "describe"),
    ]
