"""What a run costs its execution does not grow with its job's length: a job quiet for five heartbeat periods
enters the same states and writes the same history as one that ends within one, however often the
reconciler checks on it meanwhile."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest

from local.embedded_aws.server import EmbeddedAws
from tests.runs.run_job_support import RunJobWorld, run_job_world

BOUND = 60.0  # an upper bound on every wait, never a synchronisation
HEARTBEAT = 1  # seconds: the reconciler (a tick a second here) checks a run after a second of quiet
MOST_STATES = 6
MOST_HISTORY_EVENTS = 40


@pytest.fixture(scope="module")
def world(aws: EmbeddedAws) -> RunJobWorld:
    world = run_job_world(aws)
    aws.schedules.start(1 / 300)  # the stack's 5-minute schedules, a tick a second
    return world


def run_for(world: RunJobWorld, seconds: float) -> tuple[list[str], list[dict[str, Any]], str]:
    """A run of a job that sleeps ``seconds``: the states its execution entered, its history, its job id."""
    execution = world.start(
        {
            "jobName": f"lasting-{uuid.uuid4().hex[:8]}",
            "jobDefinition": world.job_definition(f"sleep {seconds}"),
            "heartbeatSeconds": HEARTBEAT,
        }
    )
    description = world.wait(execution, BOUND)
    assert description["status"] == "SUCCEEDED"
    return (
        world.entered_states(execution),
        world.history(execution),
        json.loads(description["output"])["jobId"],
    )


def reconciler_checks(world: RunJobWorld, job_id: str) -> int:
    """How many DescribeJobs calls of the reconciler asked about ``job_id``."""
    return sum(
        1
        for call in world.aws.calls
        if call.logical_id == "ReconcileRunsFunction"
        and call.action == "batch:DescribeJobs"
        and job_id in call.params.get("jobs", [])
    )


def test_a_run_costs_the_same_states_and_history_whatever_its_jobs_length(world: RunJobWorld) -> None:
    # Given a job that ends within one heartbeat period, and one that stays quiet for five
    short_states, short_history, _ = run_for(world, 0.2)
    long_states, long_history, long_job = run_for(world, 5 * HEARTBEAT + 0.5)
    # Then both executions entered the same states and wrote the same number of history events
    assert long_states == short_states
    assert len(long_history) == len(short_history)
    # And that is a handful: the execution waits once, however long the job runs
    assert len(long_states) <= MOST_STATES
    assert len(long_history) <= MOST_HISTORY_EVENTS
    # And the reconciler did check on the quiet job meanwhile, from outside the execution
    assert reconciler_checks(world, long_job) >= 2


def test_the_wait_times_out_two_reconciler_periods_after_the_runs_deadline(world: RunJobWorld) -> None:
    # Given a run (its job of 10 minutes at most, 2 attempts; 5 minutes allowed RUNNABLE; the stack's
    # reconciler every 5 minutes)
    execution = world.start(
        {
            "jobName": f"bounded-{uuid.uuid4().hex[:8]}",
            "jobDefinition": world.job_definition("true"),
            "timeoutSeconds": 600,
            "retryAttempts": 2,
            "runnableTimeoutSeconds": 300,
        }
    )
    assert world.wait(execution, BOUND)["status"] == "SUCCEEDED"
    # When its wait was scheduled, Then its time-out was the run's deadline plus two reconciler periods
    run = (
        boto3.resource("dynamodb")
        .Table(world.stack.outputs["RunsTableName"])
        .get_item(Key={"runId": execution.rsplit(":", 1)[-1]}, ConsistentRead=True)["Item"]
    )
    allowed = 300 + 2 * 600 + int(run["heartbeatSeconds"])
    assert int(run["deadline"]) - int(run["createdAt"]) // 1000 == allowed
    (scheduled,) = [
        e["taskScheduledEventDetails"]
        for e in world.history(execution)
        if e["type"] == "TaskScheduled"
        and e["taskScheduledEventDetails"]["resource"] == "invoke.waitForTaskToken"
    ]
    assert scheduled["timeoutInSeconds"] == allowed + 2 * 300
