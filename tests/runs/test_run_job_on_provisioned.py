"""Runs from the run-job workflow on an environment that the provision workflow made, with no extra
step; in a non-default namespace, which must reach RBAC, aws-auth, the compute environments and each job's
pod (the blueprint's hard-coded namespace broke exactly that). Fast job definitions, real kube-apiserver."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.embedded_aws.server import EmbeddedAws
from local.kubernetes.client import KubeClient
from tests.conftest import FAST, TODAY
from tests.environments.provision_support import ProvisionWorld, failure_cause

NAME = "doeks-provisioned"
NAMESPACE = "batch-jobs"


@dataclass
class Provisioned:
    world: ProvisionWorld
    outputs: dict[str, Any]

    def job_definition(self, command: str) -> str:
        name = f"fast-{uuid.uuid4().hex[:8]}"
        container = {
            "name": "application",
            "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
            "command": ["/bin/sh", "-c", command],
            "resources": {
                "limits": {"cpu": "1", "memory": "1024Mi"},
                "requests": {"cpu": "1", "memory": "1024Mi"},
            },
        }
        self.world.aws.client("batch").register_job_definition(
            jobDefinitionName=name,
            type="container",
            eksProperties={"podProperties": {"containers": [container]}},
        )
        return name

    def run(self, run_input: dict[str, Any]) -> dict[str, Any]:
        sfn = self.world.aws.client("stepfunctions")
        arn = sfn.start_execution(
            stateMachineArn=self.world.stack.outputs["RunJobStateMachineArn"],
            input=json.dumps({"environment": NAME, "heartbeatSeconds": 2, **run_input}),
        )["executionArn"]
        return self.world.aws.wait_for_execution(arn, 60)

    def kube(self) -> KubeClient:
        assert self.world.aws.kubernetes is not None
        cluster_arn = self.world.aws.client("eks").describe_cluster(name=NAME)["cluster"]["arn"]
        cluster = self.world.aws.kubernetes.cluster_by_arn(cluster_arn)
        assert cluster is not None
        return KubeClient(cluster)


@pytest.fixture(scope="module")
def provisioned() -> Iterator[Provisioned]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as aws:
        world = ProvisionWorld(aws, aws.deploy())
        description = world.run("provision", {"name": NAME, "namespace": NAMESPACE})
        assert description["status"] == "SUCCEEDED", description.get("cause")
        yield Provisioned(world, json.loads(description["output"]))


def test_the_namespace_reaches_rbac_aws_auth_and_the_compute_environments(provisioned: Provisioned) -> None:
    kube = provisioned.kube()
    # Then the Role and its binding are in the namespace asked for, not in the default one
    role_path = "/apis/rbac.authorization.k8s.io/v1/namespaces/{}/roles/aws-batch-compute-environment-role"
    assert kube.get_or_none(role_path.format(NAMESPACE)) is not None
    assert kube.get_or_none(role_path.format("doeks-aws-batch")) is None
    # And aws-auth maps Batch's service-linked role to aws-batch
    aws_auth = kube.get("/api/v1/namespaces/kube-system/configmaps/aws-auth")
    assert ":role/AWSServiceRoleForBatch" in aws_auth["data"]["mapRoles"]
    # And both compute environments schedule into it
    batch = provisioned.world.aws.client("batch")
    ces = batch.describe_compute_environments(computeEnvironments=[f"{NAME}-CE1_OD", f"{NAME}-CE1_SPOT"])
    assert {ce["eksConfiguration"]["kubernetesNamespace"] for ce in ces["computeEnvironments"]} == {NAMESPACE}


@pytest.mark.parametrize("queue", ["onDemand", "spot"])
def test_a_job_runs_on_each_queue_with_its_pod_in_the_namespace(provisioned: Provisioned, queue: str) -> None:
    # Given a job definition that runs long enough to see its pod (Batch deletes a pod when its attempt ends)
    definition = provisioned.job_definition("echo first; sleep 2; echo 'from a provisioned environment'")
    # When it runs through the run-job workflow on the environment's queue
    sfn = provisioned.world.aws.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=provisioned.world.stack.outputs["RunJobStateMachineArn"],
        input=json.dumps(
            {
                "environment": NAME,
                "jobName": f"on-{queue.lower()}",
                "jobDefinition": definition,
                "jobQueue": provisioned.outputs["jobQueues"][queue],
                "heartbeatSeconds": 2,
            }
        ),
    )["executionArn"]
    # Then, while it runs, its pod is in the API server, in the namespace asked for (the data plane makes
    # it as user aws-batch: RBAC let it; a 403 would have failed the attempt)
    pods = _wait_for_pods(provisioned.kube(), NAMESPACE)
    # And the run succeeds, reporting that pod and its node
    description = provisioned.world.aws.wait_for_execution(arn, 60)
    assert description["status"] == "SUCCEEDED", description.get("cause")
    output = json.loads(description["output"])
    assert output["namespace"] == NAMESPACE
    pod = pods[output["podName"]]
    assert pod["spec"]["nodeName"] == output["nodeName"]
    assert pod["metadata"]["labels"]["batch.amazonaws.com/job-id"] == output["jobId"]
    assert provisioned.kube().get_or_none(f"/api/v1/nodes/{output['nodeName']}") is not None
    # And the container's output is in the log the links point at
    logs = provisioned.world.aws.client("logs")
    stream = output["logLinks"]["logStream"]
    events = logs.get_log_events(
        logGroupName=f"/aws/containerinsights/{NAME}/application", logStreamName=stream
    )
    assert any("from a provisioned environment" in e["message"] for e in events["events"])


def _wait_for_pods(kube: KubeClient, namespace: str, bound_seconds: float = 20.0) -> dict[str, Any]:
    """The namespace's pods, by name, as soon as there is one (polled; the bound stops a hung test)."""
    deadline = time.monotonic() + bound_seconds
    while time.monotonic() < deadline:
        items = kube.get(f"/api/v1/namespaces/{namespace}/pods")["items"]
        if items:
            return {pod["metadata"]["name"]: pod for pod in items}
        time.sleep(0.05)
    raise AssertionError(f"no pod appeared in {namespace} within {bound_seconds} s")


def test_a_failing_job_fails_the_run_with_its_exit_code(provisioned: Provisioned) -> None:
    definition = provisioned.job_definition("echo failing; exit 3")
    description = provisioned.run({"jobName": "exit-3", "jobDefinition": definition})
    assert (description["status"], description["error"]) == ("FAILED", "BatchJobFailed")
    assert failure_cause(description)["exitCode"] == 3
