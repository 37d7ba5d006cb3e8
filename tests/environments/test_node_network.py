"""The network of a provisioned environment: Batch's nodes reach the managed nodes (CoreDNS) and the control
plane, so a job that resolves names runs, and Fluent Bit on its node ships its lines to the stream its log
links point at. Proven with the sample job definition (events/job-definition-resolve-names.json) through
the run-job workflow; against a compute environment with only the stack's node security group (what
provisioning used to make), the same job cannot resolve a name and ships no line."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.embedded_aws.server import EmbeddedAws
from tests.conftest import FAST, REPO_ROOT, TODAY
from tests.environments.provision_support import ProvisionWorld

NAME = "doeks-network"
SAMPLE = json.loads((REPO_ROOT / "events" / "job-definition-resolve-names.json").read_text())


@pytest.fixture(scope="module")
def world() -> Iterator[ProvisionWorld]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as aws:
        world = ProvisionWorld(aws, aws.deploy())
        description = world.run("provision", {"name": NAME})
        assert description["status"] == "SUCCEEDED", description.get("cause")
        aws.client("batch").register_job_definition(**SAMPLE)
        yield world


def _run(world: ProvisionWorld, queue: str) -> dict[str, Any]:
    sfn = world.aws.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=world.stack.outputs["RunJobStateMachineArn"],
        input=json.dumps(
            {
                "environment": NAME,
                "jobName": f"resolve-{uuid.uuid4().hex[:6]}",
                "jobDefinition": SAMPLE["jobDefinitionName"],
                "jobQueue": queue,
                "heartbeatSeconds": 2,
            }
        ),
    )["executionArn"]
    return world.aws.wait_for_execution(arn, 60)


def _log_lines(world: ProvisionWorld, pod: str) -> list[str]:
    """Every line shipped for the pod's containers, whatever the stream (found by the pod's name)."""
    logs = world.aws.client("logs")
    group = f"/aws/containerinsights/{NAME}/application"
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
    return [
        json.loads(event["message"])["log"]
        for stream in streams
        if f".var.log.containers.{pod}_" in stream
        for event in logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]
    ]


@pytest.mark.parametrize("queue", ["JQ1_OD", "JQ1_SPOT"])
def test_a_job_that_resolves_names_runs_and_its_lines_reach_its_log_stream(
    world: ProvisionWorld, queue: str
) -> None:
    # When the sample job runs on one of the environment's queues
    description = _run(world, f"{NAME}-{queue}")
    # Then it succeeds: its node reached CoreDNS on the managed nodes
    assert description["status"] == "SUCCEEDED", description.get("cause")
    output = json.loads(description["output"])
    # And its lines are in the stream its log link names
    logs = world.aws.client("logs")
    events = logs.get_log_events(
        logGroupName=output["logLinks"]["logGroup"], logStreamName=output["logLinks"]["logStream"]
    )
    lines = [json.loads(event["message"])["log"] for event in events["events"]]
    assert lines[-1] == "Names resolve from the job node"
    assert lines[0].split() == ["10.100.0.1", "kubernetes.default.svc.cluster.local"]


def test_with_only_the_node_security_group_no_name_resolves_and_no_line_is_shipped(
    world: ProvisionWorld,
) -> None:
    # Given a compute environment and queue on the environment's cluster with only the stack's node
    # security group, as provisioning made them before (the managed nodes and CoreDNS have the cluster's)
    batch = world.aws.client("batch")
    od = batch.describe_compute_environments(computeEnvironments=[f"{NAME}-CE1_OD"])["computeEnvironments"][0]
    resources = {
        key: od["computeResources"][key]
        for key in (
            "type",
            "minvCpus",
            "maxvCpus",
            "instanceTypes",
            "subnets",
            "instanceRole",
            "ec2Configuration",
        )
    }
    batch.create_compute_environment(
        computeEnvironmentName=f"{NAME}-old-groups",
        type="MANAGED",
        computeResources={**resources, "securityGroupIds": [world.stack.outputs["NodeSecurityGroupId"]]},
        eksConfiguration=od["eksConfiguration"],
    )
    batch.create_job_queue(
        jobQueueName=f"{NAME}-old-groups",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": f"{NAME}-old-groups"}],
    )
    # When the sample job is submitted there (not an environment's queue: straight to Batch)
    job_id = batch.submit_job(
        jobName="resolve-old-groups", jobQueue=f"{NAME}-old-groups", jobDefinition=SAMPLE["jobDefinitionName"]
    )["jobId"]
    job = _ended(world, job_id)
    # Then it fails, no name resolving (getent's exit code 2), and Fluent Bit shipped none of its lines
    assert job["status"] == "FAILED", job
    [attempt] = job["eksAttempts"]
    assert attempt["containers"][0]["exitCode"] == 2
    assert _log_lines(world, attempt["podName"]) == []


def _ended(world: ProvisionWorld, job_id: str, bound_seconds: float = 60.0) -> dict[str, Any]:
    """DescribeJobs once the job has ended (polled; the bound only stops a hung test)."""
    batch = world.aws.client("batch")
    deadline = time.monotonic() + bound_seconds
    while time.monotonic() < deadline:
        [job] = batch.describe_jobs(jobs=[job_id])["jobs"]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end within {bound_seconds} s")
