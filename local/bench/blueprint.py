"""The blueprint's Batch-on-EKS environment, stood up directly in the embedded AWS, for ``make bench``.

``make demo`` provisions through the provision workflow, with a real kube-apiserver per cluster. The bench
measures the run-job workflow alone, with many short runs, and needs neither the provisioning steps nor the
Kubernetes binaries (``make bench`` does not build them): this is the Batch side of what the blueprint's
Terraform creates (an EKS cluster, on-demand and Spot compute environments in the Batch namespace, their
job queues, the hello-world job definition), named as the provision workflow names them
(``<name>-CE1_OD``, ``<name>-JQ1_SPOT``, ``<name>-hello-world``), and the environments table's READY record
of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from local.embedded_aws.server import EmbeddedAws

HELLO_WORLD_CONTAINER = {
    "name": "application-hello",
    "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
    "command": ["/bin/sh", "-c", "sleep 30 && echo 'Hello World!'"],
    "resources": {"limits": {"cpu": "1", "memory": "1024Mi"}, "requests": {"cpu": "1", "memory": "1024Mi"}},
}


@dataclass(frozen=True)
class BlueprintEnvironment:
    name: str
    namespace: str
    cluster_arn: str
    queues: dict[str, str]  # "onDemand" / "spot" -> job queue ARN


def stand_up(
    aws: EmbeddedAws,
    environments_table: str,
    name: str = "doeks-aws-batch",
    namespace: str = "doeks-aws-batch",
) -> BlueprintEnvironment:
    ec2, iam, eks, batch = (aws.client(s) for s in ("ec2", "iam", "eks", "batch"))
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.128.0/18")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"{name}-nodes", Description="nodes", VpcId=vpc)["GroupId"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    role = iam.create_role(RoleName=f"{name}-cluster", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    cluster = eks.create_cluster(name=name, roleArn=role, resourcesVpcConfig={"subnetIds": [subnet]})[
        "cluster"
    ]
    profile = iam.create_instance_profile(InstanceProfileName=f"{name}-batch")["InstanceProfile"]["Arn"]
    queues: dict[str, str] = {}
    for role_name, suffix, kind, strategy in (
        ("onDemand", "OD", "EC2", "BEST_FIT_PROGRESSIVE"),
        ("spot", "SPOT", "SPOT", "SPOT_PRICE_CAPACITY_OPTIMIZED"),
    ):
        compute_environment = f"{name}-CE1_{suffix}"
        resources: dict[str, Any] = {
            "type": kind,
            "minvCpus": 0,
            "maxvCpus": 256,
            "instanceTypes": ["optimal"],
            "subnets": [subnet],
            "securityGroupIds": [group],
            "instanceRole": profile,
            "allocationStrategy": strategy,
        }
        batch.create_compute_environment(
            computeEnvironmentName=compute_environment,
            type="MANAGED",
            state="ENABLED",
            computeResources=resources,
            eksConfiguration={"eksClusterArn": cluster["arn"], "kubernetesNamespace": namespace},
        )
        queues[role_name] = batch.create_job_queue(
            jobQueueName=f"{name}-JQ1_{suffix}",
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": compute_environment}],
        )["jobQueueArn"]
    batch.register_job_definition(
        jobDefinitionName=f"{name}-hello-world",
        type="container",
        eksProperties={"podProperties": {"containers": [HELLO_WORLD_CONTAINER]}},
        retryStrategy={
            "attempts": 3,
            "evaluateOnExit": [
                {"onStatusReason": "Host EC2*", "action": "RETRY"},
                {"onReason": "*", "action": "EXIT"},
            ],
        },
    )
    aws.client("dynamodb").put_item(
        TableName=environments_table,
        Item={
            "name": {"S": name},
            "status": {"S": "READY"},
            "namespace": {"S": namespace},
            "clusterArn": {"S": cluster["arn"]},
            "jobQueues": {"M": {k: {"S": v} for k, v in queues.items()}},
        },
    )
    return BlueprintEnvironment(name, namespace, cluster["arn"], queues)
