"""The "Run Finished" event the control plane publishes when a run's execution ends: the outcome of each
ending, and the event's content from the execution's output, its Cause, or what the runs table knows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from batch_on_eks.models.run import Run
from batch_on_eks.runs.ended import ExecutionEnded, completion_detail, outcome_of

EVENTS = Path(__file__).resolve().parents[2] / "events"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:doeks-run-job:run-1"


@pytest.mark.parametrize(
    ("status", "error", "outcome"),
    [
        ("SUCCEEDED", None, "SUCCEEDED"),
        ("FAILED", "BatchJobFailed", "FAILED"),
        ("FAILED", "InvalidInput", "FAILED"),
        ("FAILED", "JobCancelled", "CANCELLED"),
        ("FAILED", "JobTimedOut", "TIMED_OUT"),
        (
            "FAILED",
            "States.Timeout",
            "TIMED_OUT",
        ),  # the waiting task's own time-out, the reconciler's backstop
        ("FAILED", "JobStuckRunnable", "FAILED"),
        ("TIMED_OUT", "States.Timeout", "TIMED_OUT"),
        ("ABORTED", None, "ABORTED"),
    ],
)
def test_the_outcome_of_each_ending(status: str, error: str | None, outcome: str) -> None:
    # When an execution ends with this status and error
    # Then the run's outcome is the one the event announces
    assert outcome_of(status, error) == outcome


def ended(status: str, **fields: Any) -> ExecutionEnded:
    detail = {
        "name": "run-1",
        "executionArn": EXECUTION,
        "status": status,
        "startDate": 1000,
        "stopDate": 2000,
    }
    return ExecutionEnded.from_detail({**detail, **fields})


def recorded_run() -> Run:
    """A run whose job's last event is the fixture's SUCCEEDED event (pod and node known)."""
    detail = json.loads((EVENTS / "batch_job_state_change_eks_succeeded.json").read_text())["detail"]
    return Run(
        run_id="run-1",
        environment="doeks-aws-batch",
        cluster_name="doeks-aws-batch",
        namespace="doeks-aws-batch",
        queue_arn=detail["jobQueue"],
        job_definition="doeks-aws-batch-hello-world",
        job_name=detail["jobName"],
        submit_request={},
        created_at=0,
        deadline=0,
        runnable_limit_seconds=3600,
        heartbeat_seconds=300,
        job_id=detail["jobId"],
        last_detail=detail,
    )


def test_a_success_is_announced_from_the_executions_output() -> None:
    # Given a succeeded execution whose output is the run's result
    output = {"jobId": "j-1", "podName": "p", "nodeName": "n", "exitCode": 0, "status": "SUCCEEDED"}
    output["logLinks"] = {"logGroup": "g"}
    # When its event is built
    detail = completion_detail(ended("SUCCEEDED", output=json.dumps(output)), None, "us-east-1")
    # Then it carries the output's job, pod, exit code and links, and the run's times
    assert detail["status"] == "SUCCEEDED"
    assert detail["runId"] == "run-1"
    assert (detail["jobId"], detail["podName"], detail["nodeName"], detail["exitCode"]) == (
        "j-1",
        "p",
        "n",
        0,
    )
    assert detail["logLinks"] == {"logGroup": "g"}
    assert detail["jobStatus"] == "SUCCEEDED"
    assert detail["cause"] is None
    assert (detail["startedAt"], detail["stoppedAt"]) == (
        "1970-01-01T00:00:01.000Z",
        "1970-01-01T00:00:02.000Z",
    )


def test_a_stop_is_announced_from_what_the_runs_table_knows() -> None:
    # Given a stopped execution (no output, no Cause) of a run whose job's pod is recorded
    run = recorded_run()
    # When its event is built
    detail = completion_detail(ended("ABORTED"), run, "us-east-1")
    # Then the job, pod, node and exit code come from the run's last report, with links computed from them
    assert detail["status"] == "ABORTED"
    assert detail["jobId"] == run.job_id
    assert detail["jobName"] == run.job_name
    assert detail["podName"]
    assert detail["nodeName"]
    links = detail["logLinks"]
    assert links["logGroup"] == "/aws/containerinsights/doeks-aws-batch/application"
    assert links["logStream"] is None  # not looked up: the group and the Insights query work without it
    assert detail["podName"] in links["insightsQuery"]


def test_a_named_failure_is_announced_from_its_cause() -> None:
    # Given a failed execution whose Cause is the run's JSON
    cause = json.dumps(
        {"jobId": "j-2", "exitCode": 3, "podName": "p2", "statusReason": "Essential container"}
    )
    # When its event is built
    detail = completion_detail(ended("FAILED", error="BatchJobFailed", cause=cause), None, "us-east-1")
    # Then the failure is named, and the Cause's fields are the event's
    assert (detail["status"], detail["error"], detail["cause"]) == ("FAILED", "BatchJobFailed", cause)
    assert (detail["jobId"], detail["exitCode"], detail["podName"]) == ("j-2", 3, "p2")
    assert detail["statusReason"] == "Essential container"
