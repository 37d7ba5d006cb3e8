"""When the reconciler must look at a run, and how long its execution waits at most: from what the run
knows, with no AWS involved."""

from __future__ import annotations

import pytest

from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import ArrayChildren, Run
from batch_on_eks.runs.validate import MAX_WAIT_SECONDS, wait_seconds
from tests.unit.runs.support import a_run

NEWS = 1_767_000_000_000  # epoch ms
DEADLINE = NEWS // 1000 + 3600  # epoch s: an hour after the news


def run(heartbeat: int = 300, runnable_limit: int = 1800, deadline: int = DEADLINE) -> Run:
    return a_run(
        created_at=NEWS, deadline=deadline, runnable_limit_seconds=runnable_limit, heartbeat_seconds=heartbeat
    )


def test_a_running_job_is_checked_once_its_news_is_a_heartbeat_old() -> None:
    assert run().next_check_ms(NEWS, JobStatus.RUNNING, None) == NEWS + 300_000


def test_a_runnable_job_is_checked_at_its_runnable_limit_when_that_comes_first() -> None:
    # Given a RUNNABLE limit shorter than the heartbeat
    quick = run(heartbeat=600, runnable_limit=120)
    # Then the check is due at the limit, counted from when the job became RUNNABLE
    assert quick.next_check_ms(NEWS, JobStatus.RUNNABLE, NEWS - 10_000) == NEWS - 10_000 + 120_000


def test_a_job_near_its_deadline_is_checked_at_the_deadline() -> None:
    near = run(deadline=NEWS // 1000 + 60)
    assert near.next_check_ms(NEWS, JobStatus.RUNNING, None) == (NEWS // 1000 + 60) * 1000


def test_an_ended_job_is_checked_once_more_a_heartbeat_later_whatever_its_deadline() -> None:
    # (in case its waiting task was never ended: the check ends it)
    past = run(deadline=NEWS // 1000 - 60)
    assert past.next_check_ms(NEWS, JobStatus.SUCCEEDED, None) == NEWS + 300_000


@pytest.mark.parametrize(
    ("deadline", "started", "period", "expected"),
    [
        pytest.param(10_000, 1_000, 300, 9_000 + 600, id="deadline-plus-two-periods"),
        pytest.param(1_000, 5_000, 60, 1, id="never-below-one-second"),
        pytest.param(10**9, 0, 300, MAX_WAIT_SECONDS, id="never-above-step-functions-maximum"),
    ],
)
def test_the_wait_times_out_two_reconciler_periods_after_the_deadline(
    deadline: int, started: int, period: int, expected: int
) -> None:
    assert wait_seconds(deadline, started, period) == expected


def test_an_array_run_is_complete_once_every_childs_end_is_recorded() -> None:
    partial = ArrayChildren(size=3, counts={"SUCCEEDED": 1, "FAILED": 1}, failed_indexes=[2])
    whole = ArrayChildren(size=3, counts={"SUCCEEDED": 2, "FAILED": 1}, failed_indexes=[2])
    assert not partial.complete
    assert whole.complete
    assert whole.to_dict() == {
        "size": 3,
        "counts": {"SUCCEEDED": 2, "FAILED": 1},
        "failedIndexes": [2],
        "failedTotal": 1,
        "complete": True,
    }
