"""Batch on EKS (local/embedded_aws/moto_gaps/batch.py), through a real moto server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from local.embedded_aws.moto_gaps.batch import eks_namespace_for_queue
from local.embedded_aws.moto_gaps.readiness import READINESS
from tests.emulator.moto_gaps.support import ACCOUNT, BATCH_SLR, REGION, active_cluster, unique_name


@pytest.fixture(scope="module")
def network(client: Callable[..., Any]) -> dict[str, Any]:
    ec2, iam = client("ec2"), client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/26")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="nodes", Description="nodes", VpcId=vpc)["GroupId"]
    iam.create_role(RoleName="batch-instance", AssumeRolePolicyDocument="{}")
    profile = iam.create_instance_profile(InstanceProfileName="batch-instance")["InstanceProfile"]["Arn"]
    return {"subnets": [subnet], "securityGroupIds": [sg], "instanceRole": profile}


def _create_ce(batch: Any, network: dict[str, Any], name: str, eks_arn: str | None = None) -> None:
    extra: dict[str, Any] = {}
    if eks_arn:
        extra["eksConfiguration"] = {"eksClusterArn": eks_arn, "kubernetesNamespace": "doeks-aws-batch"}
    batch.create_compute_environment(
        computeEnvironmentName=name,
        type="MANAGED",
        state="ENABLED",
        computeResources={
            "type": "EC2",
            "allocationStrategy": "BEST_FIT_PROGRESSIVE",
            "minvCpus": 0,
            "maxvCpus": 256,
            "instanceTypes": ["optimal"],
            **network,
        },
        **extra,
    )


def _ce_status(batch: Any, name: str) -> dict[str, Any]:
    envs = batch.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"]
    assert len(envs) == 1
    return dict(envs[0])


def test_compute_environment_keeps_eks_configuration(eks: Any, batch: Any, network: dict[str, Any]) -> None:
    # Given an EKS cluster
    cluster = active_cluster(eks)
    arn = eks.describe_cluster(name=cluster)["cluster"]["arn"]
    # When an EKS compute environment is created without serviceRole, and an ECS one
    eks_ce, ecs_ce = unique_name("ce-eks"), unique_name("ce-ecs")
    _create_ce(batch, network, eks_ce, eks_arn=arn)
    _create_ce(batch, network, ecs_ce)
    # Then the EKS one is described back with its eksConfiguration (and Batch's access entry, none on an
    # API_AND_CONFIG_MAP cluster by default) and orchestration type
    described = _ce_status(batch, eks_ce)
    assert described["eksConfiguration"] == {
        "eksClusterArn": arn,
        "kubernetesNamespace": "doeks-aws-batch",
        "accessEntry": {"status": "INACTIVE"},
    }
    assert described["containerOrchestrationType"] == "EKS"
    assert described["status"] == "VALID"
    assert "ecsClusterArn" not in described
    # And Batch's service-linked role stands in for the missing serviceRole
    assert described["serviceRole"] == BATCH_SLR
    # And the other is ECS
    assert _ce_status(batch, ecs_ce)["containerOrchestrationType"] == "ECS"


def test_compute_environment_hold_then_valid(batch: Any, network: dict[str, Any]) -> None:
    # Given a hold of two describes
    name = unique_name("ce")
    READINESS.hold("compute-environment", name, 2)
    _create_ce(batch, network, name)
    # When it is described three times
    statuses = [_ce_status(batch, name)["status"] for _ in range(3)]
    # Then it is CREATING, CREATING, then VALID
    assert statuses == ["CREATING", "CREATING", "VALID"]


def test_compute_environment_hold_forever(batch: Any, network: dict[str, Any]) -> None:
    # Given a hold without end
    name = unique_name("ce")
    READINESS.hold("compute-environment", name, None)
    _create_ce(batch, network, name)
    # When it is described five times, Then it is never VALID
    assert {_ce_status(batch, name)["status"] for _ in range(5)} == {"CREATING"}


def test_compute_environment_hold_then_invalid(batch: Any, network: dict[str, Any]) -> None:
    # Given a hold of one describe that ends in failure
    name = unique_name("ce")
    READINESS.hold("compute-environment", name, 1, fail_reason="CLIENT_ERROR - cluster unreachable")
    _create_ce(batch, network, name)
    # When it is described twice
    first, second = _ce_status(batch, name), _ce_status(batch, name)
    # Then it is CREATING, then INVALID with that statusReason (and stays so)
    assert first["status"] == "CREATING"
    assert (second["status"], second["statusReason"]) == ("INVALID", "CLIENT_ERROR - cluster unreachable")
    assert _ce_status(batch, name)["status"] == "INVALID"


def test_job_queue_keeps_time_limit_actions(eks: Any, batch: Any, network: dict[str, Any]) -> None:
    # Given an EKS compute environment
    cluster = active_cluster(eks)
    arn = eks.describe_cluster(name=cluster)["cluster"]["arn"]
    ce = unique_name("ce")
    _create_ce(batch, network, ce, eks_arn=arn)
    actions = [
        {
            "reason": "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
            "state": "RUNNABLE",
            "maxTimeSeconds": 600,
            "action": "CANCEL",
        }
    ]
    # When a queue is created with jobStateTimeLimitActions
    queue = unique_name("jq")
    created = batch.create_job_queue(
        jobQueueName=queue,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}],
        jobStateTimeLimitActions=actions,
    )
    # Then they are described back
    described = batch.describe_job_queues(jobQueues=[queue])["jobQueues"][0]
    assert described["jobStateTimeLimitActions"] == actions
    # And the queue resolves to the cluster and namespace of its EKS compute environment
    assert eks_namespace_for_queue(ACCOUNT, REGION, queue) == (arn, "doeks-aws-batch")
    assert eks_namespace_for_queue(ACCOUNT, REGION, created["jobQueueArn"]) == (arn, "doeks-aws-batch")


def test_queue_on_ecs_compute_environment_has_no_namespace(batch: Any, network: dict[str, Any]) -> None:
    # Given a queue on an ECS compute environment
    ce, queue = unique_name("ce"), unique_name("jq")
    _create_ce(batch, network, ce)
    batch.create_job_queue(
        jobQueueName=queue,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}],
    )
    # When its EKS namespace is asked for, Then there is none (nor for an unknown queue)
    assert eks_namespace_for_queue(ACCOUNT, REGION, queue) is None
    assert eks_namespace_for_queue(ACCOUNT, REGION, "no-such-queue") is None


def test_job_definition_keeps_eks_properties(batch: Any) -> None:
    # Given the hello-world job definition of the design
    eks_properties = {
        "podProperties": {
            "containers": [
                {
                    "name": "application-hello",
                    "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
                    "command": ["/bin/sh", "-c", "sleep 30 && echo 'Hello World!'"],
                    "resources": {
                        "requests": {"cpu": "1", "memory": "1024Mi"},
                        "limits": {"cpu": "1", "memory": "1024Mi"},
                    },
                }
            ]
        }
    }
    retry = {
        "attempts": 3,
        "evaluateOnExit": [
            {"onStatusReason": "Host EC2*", "action": "RETRY"},
            {"onReason": "*", "action": "EXIT"},
        ],
    }
    name = unique_name("hello-world")
    # When it is registered
    batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        eksProperties=eks_properties,
        retryStrategy=retry,
        timeout={"attemptDurationSeconds": 600},
        tags={"owner": "control-plane"},
    )
    # Then every field is described back (the containers as sent, with Batch's defaults added)
    described = batch.describe_job_definitions(jobDefinitionName=name)["jobDefinitions"][0]
    (container,) = described["eksProperties"]["podProperties"]["containers"]
    sent = eks_properties["podProperties"]["containers"][0]
    assert {k: container[k] for k in sent} == sent  # moto adds env: [] as Batch does
    # Batch answers evaluateOnExit actions in lower case (they are case-insensitive); moto does too
    lowered = [{**rule, "action": rule["action"].lower()} for rule in retry["evaluateOnExit"]]
    assert described["retryStrategy"] == {**retry, "evaluateOnExit": lowered}
    assert described["timeout"] == {"attemptDurationSeconds": 600}
    assert described["tags"] == {"owner": "control-plane"}
