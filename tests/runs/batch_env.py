"""A Batch-on-EKS environment in the embedded AWS, made with plain boto3 (what provisioning will do)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import boto3


@dataclass(frozen=True)
class BatchOnEks:
    cluster_arn: str
    namespace: str
    queue_arn: str
    queue_name: str
    queue_arns: tuple[str, ...] = ()

    def register_job_definition(self, name: str, command: list[str], **extra: Any) -> str:
        """A fast job definition of a test's own (the 30-second hello-world runs only in the demo)."""
        container: dict[str, Any] = {
            "name": "application",
            "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
            "command": command,
            "resources": {
                "limits": {"cpu": "1", "memory": "1024Mi"},
                "requests": {"cpu": "1", "memory": "1024Mi"},
            },
        }
        response = boto3.client("batch").register_job_definition(
            jobDefinitionName=name,
            type="container",
            eksProperties={"podProperties": {"containers": [container]}},
            **extra,
        )
        return str(response["jobDefinitionArn"])


def create_batch_on_eks(
    queue_name: str,
    namespace: str = "doeks-aws-batch",
    cluster_name: str | None = None,
    more_queues: tuple[str, ...] = (),
    authentication_mode: str | None = None,
) -> BatchOnEks:
    """An EKS cluster (EKS's default authentication mode, CONFIG_MAP, unless given) and, per queue, a compute
    environment on it (``<queue>-ce``) and the queue."""
    suffix = uuid.uuid4().hex[:8]
    eks = boto3.client("eks")
    iam = boto3.client("iam")
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{uuid.uuid4().int % 200}.0/24")["Subnet"][
        "SubnetId"
    ]
    group = ec2.create_security_group(GroupName=f"nodes-{suffix}", Description="nodes", VpcId=vpc)["GroupId"]
    role = iam.create_role(RoleName=f"cluster-{suffix}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    access = {"accessConfig": {"authenticationMode": authentication_mode}} if authentication_mode else {}
    cluster = eks.create_cluster(
        name=cluster_name or f"test-{suffix}",
        roleArn=role,
        resourcesVpcConfig={"subnetIds": [subnet]},
        **access,
    )["cluster"]
    profile = iam.create_instance_profile(InstanceProfileName=f"batch-{suffix}")["InstanceProfile"]["Arn"]
    queue_arns = [
        add_queue(cluster["arn"], name, namespace, subnet, group, profile)
        for name in (queue_name, *more_queues)
    ]
    return BatchOnEks(cluster["arn"], namespace, queue_arns[0], queue_name, tuple(queue_arns))


def add_queue(cluster_arn: str, name: str, namespace: str, subnet: str, group: str, profile: str) -> str:
    """A compute environment (``<name>-ce``) on the cluster, in ``namespace``, and its job queue; its ARN."""
    batch = boto3.client("batch")
    batch.create_compute_environment(
        computeEnvironmentName=f"{name}-ce",
        type="MANAGED",
        state="ENABLED",
        computeResources={
            "type": "EC2",
            "minvCpus": 0,
            "maxvCpus": 16,
            "instanceTypes": ["m5.large"],
            "subnets": [subnet],
            "securityGroupIds": [group],
            "instanceRole": profile,
            "allocationStrategy": "BEST_FIT_PROGRESSIVE",
        },
        eksConfiguration={"eksClusterArn": cluster_arn, "kubernetesNamespace": namespace},
    )
    queue = batch.create_job_queue(
        jobQueueName=name,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": f"{name}-ce"}],
    )
    return str(queue["jobQueueArn"])


def register_environment(table_name: str, name: str, env: BatchOnEks, status: str = "READY") -> None:
    """The environments table's record of an environment (what the provisioning workflow will write)."""
    boto3.resource("dynamodb").Table(table_name).put_item(
        Item={
            "name": name,
            "status": status,
            "namespace": env.namespace,
            "clusterArn": env.cluster_arn,
            "jobQueues": dict(zip(("onDemand", "spot"), env.queue_arns, strict=False)),
        }
    )
