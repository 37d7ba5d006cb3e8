"""What the moto gaps' tests share: the account's names, unique resource names, an ACTIVE cluster."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-cluster-role"
NODE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-node-role"
BATCH_SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def active_cluster(eks: Any, mode: str = "API_AND_CONFIG_MAP", version: str | None = None) -> str:
    name = unique_name("c")
    eks.create_cluster(
        name=name,
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
        accessConfig={"authenticationMode": mode},
        **({"version": version} if version else {}),
    )
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "ACTIVE"
    return name


def error_code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def eks_compute_environment(
    batch: Any,
    name: str,
    cluster_arn: str,
    subnets: list[str],
    groups: list[str],
    profile: str,
    eks_extra: dict[str, Any] | None = None,
    **extra: Any,
) -> str:
    """An EC2 compute environment of Batch on the EKS cluster (namespace ``jobs``), with ``extra``
    computeResources and ``eks_extra`` eksConfiguration; its ARN."""
    return str(
        batch.create_compute_environment(
            computeEnvironmentName=name,
            type="MANAGED",
            computeResources={
                "type": "EC2",
                "minvCpus": 0,
                "maxvCpus": 16,
                "instanceTypes": ["optimal"],
                "subnets": subnets,
                "securityGroupIds": groups,
                "instanceRole": profile,
                **extra,
            },
            eksConfiguration={
                "eksClusterArn": cluster_arn,
                "kubernetesNamespace": "jobs",
                **(eks_extra or {}),
            },
        )["computeEnvironmentArn"]
    )
