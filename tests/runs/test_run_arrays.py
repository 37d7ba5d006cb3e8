"""Array runs: a few hundred children through the real workflow, each child's end counted once whatever the
duplicates and the order, the failed children named, and no item of the run growing with the array.

The embedded AWS here runs array children without a process each (a data plane option): a child lasts a
few milliseconds and exits 0, or with its job fault's exit code."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from batch_on_eks.runs.validate import unique_job_name
from local.dataplane.jobs import Timings
from local.embedded_aws.moto_gaps.dynamodb_item_size import item_size
from local.embedded_aws.server import EmbeddedAws
from tests.runs.run_job_support import RunJobWorld, run_job_world

BOUND = 120.0  # an upper bound on every wait, never a synchronisation
FAILING = frozenset({7, 19, 23, 41})
CHILDREN_TIMINGS = Timings(runnable=0.005, starting=0.005, default_time_limit=60, array_child_seconds=0.005)


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws(timings=CHILDREN_TIMINGS) as embedded:
        yield embedded


@pytest.fixture(scope="module")
def world(aws: EmbeddedAws) -> RunJobWorld:
    world = run_job_world(aws)
    aws.schedules.start(1 / 300)  # the stack's 5-minute schedules, a tick a second
    return world


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def failure(description: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    assert description["status"] == "FAILED", description
    return str(description["error"]), dict(json.loads(description["cause"]))


def parent_job_id(world: RunJobWorld, job_name: str) -> str:
    (job,) = [j for j in world.jobs_named(f"{job_name}_") if ":" not in j["jobId"]]
    return str(job["jobId"])


def items_of(world: RunJobWorld, run_id: str, job_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every item of the run, by kind (run, job, children, child), as DynamoDB holds them."""
    dynamodb = boto3.client("dynamodb")
    table = world.stack.outputs["RunsTableName"]
    found: dict[str, list[dict[str, Any]]] = {}
    for prefix in (run_id, f"job#{job_id}"):
        pages = dynamodb.get_paginator("scan").paginate(
            TableName=table,
            FilterExpression="begins_with(runId, :prefix)",
            ExpressionAttributeValues={":prefix": {"S": prefix}},
        )
        for page in pages:
            for item in page["Items"]:
                found.setdefault(item["kind"]["S"], []).append(item)
    return found


def largest_sizes(items: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """The largest item of each kind, in bytes as DynamoDB counts them against its 400 KB."""
    return {kind: max(item_size(item) for item in group) for kind, group in items.items()}


def kilobytes(size: int) -> int:
    """What a write of an item of ``size`` bytes costs, in write units."""
    return -(-size // 1024)


def test_each_childs_end_counts_once_and_the_run_waits_for_the_last_one(world: RunJobWorld) -> None:
    # Given an array of 300 children, four of which fail; every child's end is delivered twice, and the
    # successes only after the parent's own end (so the parent's terminal event comes first)
    size, job_name = 300, unique("array")
    world.aws.faults.job(f"{job_name}_*", exit_code=3, array_indexes=FAILING)
    world.aws.faults.events(
        f"{job_name}_*", duplicate=("SUCCEEDED", "FAILED"), hold={"SUCCEEDED": f"release:{job_name}"}
    )
    definition = world.job_definition("true")
    execution = world.start(
        {"jobName": job_name, "jobDefinition": definition, "arraySize": size, "heartbeatSeconds": 600}
    )
    # When the parent has ended (FAILED: some children failed) and its event has been handled
    run_id = execution.rsplit(":", 1)[-1]
    assert world.aws.signals.wait(f"submitted:{unique_job_name(job_name, run_id)}", BOUND)
    parent = parent_job_id(world, job_name)
    assert world.aws.signals.wait(f"delivered:{parent}:FAILED", BOUND)
    # Then the run has not ended: the children's successes are not recorded yet
    assert boto3.client("stepfunctions").describe_execution(executionArn=execution)["status"] == "RUNNING"
    # When the children's successes arrive, each twice
    world.aws.signals.fire(f"release:{job_name}")
    error, cause = failure(world.wait(execution, BOUND))
    # Then the run failed BatchJobFailed, its children counted exactly, the failed ones named
    assert error == "BatchJobFailed"
    assert cause["arrayChildren"] == {
        "size": size,
        "counts": {"SUCCEEDED": size - len(FAILING), "FAILED": len(FAILING)},
        "failedIndexes": sorted(FAILING),
        "failedTotal": len(FAILING),
        "complete": True,
    }
    # And Batch agrees
    assert cause["arrayProperties"]["statusSummary"]["SUCCEEDED"] == size - len(FAILING)


def run_array(world: RunJobWorld, size: int) -> tuple[str, str, dict[str, Any]]:
    """A run of ``size`` children, the same four failing; its run id, its parent job id and its Cause.

    The reconciler is paused: a check of a run that lasts past its heartbeat (a loaded machine) adds a
    "describe" line to its timeline, and the sizes compared must differ by the array's size alone."""
    job_name = unique("sized")
    world.aws.faults.job(f"{job_name}_*", exit_code=3, array_indexes=FAILING)
    with world.aws.schedules.paused():
        execution = world.start(
            {"jobName": job_name, "jobDefinition": world.job_definition("true"), "arraySize": size}
        )
        _, cause = failure(world.wait(execution, BOUND))
    assert world.aws.wait_idle(BOUND)
    return execution.rsplit(":", 1)[-1], parent_job_id(world, job_name), cause


def test_no_item_of_the_run_grows_with_the_array(world: RunJobWorld) -> None:
    # Given two array runs alike but for their size: 50 children, then 300
    small_run, small_job, small_cause = run_array(world, 50)
    large_run, large_job, large_cause = run_array(world, 300)
    assert small_cause["arrayChildren"]["counts"] == {"SUCCEEDED": 46, "FAILED": 4}
    assert large_cause["arrayChildren"]["counts"] == {"SUCCEEDED": 296, "FAILED": 4}
    # When their items are read back
    small = items_of(world, small_run, small_job)
    large = items_of(world, large_run, large_job)
    # Then they hold the same kinds of item, a record per child the only ones whose number grows
    assert set(small) == set(large) == {"run", "job", "children", "child"}
    assert (len(small["child"]), len(large["child"])) == (50, 300)
    assert len(small["children"]) == len(large["children"])
    # And each kind's largest item costs the same write units at both sizes, within the digits of the counts
    small_sizes, large_sizes = largest_sizes(small), largest_sizes(large)
    for kind in small_sizes:
        assert kilobytes(small_sizes[kind]) == kilobytes(large_sizes[kind]), (kind, small_sizes, large_sizes)
        assert abs(small_sizes[kind] - large_sizes[kind]) <= 8, (kind, small_sizes, large_sizes)
    # And what a child's event writes (its record, its counter) stays under 1 KB
    assert kilobytes(large_sizes["child"]) == kilobytes(large_sizes["children"]) == 1


def test_childrens_lost_ends_are_completed_by_the_reconciler_from_list_jobs(world: RunJobWorld) -> None:
    # Given an array of 50 children, four failing, whose successes' events are all lost
    size, job_name = 50, unique("lost-children")
    world.aws.faults.job(f"{job_name}_*", exit_code=3, array_indexes=FAILING)
    world.aws.faults.events(f"{job_name}_*", drop=("SUCCEEDED",))
    execution = world.start(
        {"jobName": job_name, "jobDefinition": world.job_definition("true"), "arraySize": size}
    )
    # When the run goes to its end (the parent's end heard, a heartbeat of 2 s without the children's)
    error, cause = failure(world.wait(execution, BOUND))
    # Then the reconciler completed the children from ListJobs: exact counts and failed indexes
    assert error == "BatchJobFailed"
    assert cause["arrayChildren"]["counts"] == {"SUCCEEDED": size - len(FAILING), "FAILED": len(FAILING)}
    assert cause["arrayChildren"]["failedIndexes"] == sorted(FAILING)
    assert cause["arrayChildren"]["complete"] is True
