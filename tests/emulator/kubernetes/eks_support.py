"""Helpers for tests of EKS clusters with a real API server in the embedded AWS."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local.embedded_aws.server import EmbeddedAws
from local.kubernetes import KubernetesCluster
from local.kubernetes.client import KubeClient
from tests.runs import batch_env

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


@dataclass(frozen=True)
class EksCluster:
    name: str
    arn: str
    endpoint: str
    ca_file: Path
    local: KubernetesCluster

    @property
    def admin(self) -> KubeClient:
        return KubeClient(self.local)

    def get(self, token: str, path: str) -> requests.Response:
        """A request as a client of the cluster would make it: DescribeCluster's endpoint and CA."""
        return requests.get(
            self.endpoint + path,
            headers={"Authorization": f"Bearer {token}"},
            verify=str(self.ca_file),
            timeout=10,
        )

    def post(self, token: str, path: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(
            self.endpoint + path,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=str(self.ca_file),
            timeout=10,
        )

    def token_review(self, token: str) -> dict[str, Any]:
        """Who the server's own authenticators (the EKS webhook among them) say ``token`` is."""
        review = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
        status: dict[str, Any] = self.admin.create("/apis/authentication.k8s.io/v1/tokenreviews", review)[
            "status"
        ]
        return status


def create_eks_cluster(
    aws: EmbeddedAws, directory: Path, name: str, authentication_mode: str = "API_AND_CONFIG_MAP"
) -> EksCluster:
    """CreateCluster, then DescribeCluster (which waits for its API server) as a client would."""
    ec2, iam, eks = boto3.client("ec2"), boto3.client("iam"), boto3.client("eks")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    role = iam.create_role(RoleName=f"{name}-cluster", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    eks.create_cluster(
        name=name,
        roleArn=role,
        resourcesVpcConfig={"subnetIds": [subnet]},
        accessConfig={"authenticationMode": authentication_mode},
    )
    described = eks.describe_cluster(name=name)["cluster"]
    ca_file = directory / f"{name}-ca.crt"
    ca_file.write_bytes(base64.b64decode(described["certificateAuthority"]["data"]))
    assert aws.kubernetes is not None
    local = aws.kubernetes.cluster_by_arn(described["arn"])
    assert local is not None
    return EksCluster(name, described["arn"], described["endpoint"], ca_file, local)


def role_credentials(role_name: str, session: str) -> dict[str, str]:
    """Credentials of a new IAM role, assumed through the embedded STS."""
    boto3.client("iam").create_role(RoleName=role_name, AssumeRolePolicyDocument=TRUST)
    account = boto3.client("sts").get_caller_identity()["Account"]
    assumed = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role_name}", RoleSessionName=session
    )["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": assumed["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": assumed["SecretAccessKey"],
        "AWS_SESSION_TOKEN": assumed["SessionToken"],
    }


@contextmanager
def signed_as(monkeypatch: pytest.MonkeyPatch, credentials: dict[str, str]) -> Iterator[None]:
    """The process's clients sign with ``credentials`` meanwhile, as in a function running with its role:
    the aws layer's clients are cached per identity (``batch_on_eks.aws.clients``), read from the
    environment."""
    with monkeypatch.context() as patch:
        for name, value in credentials.items():
            patch.setenv(name, value)
        yield


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def add_queue(cluster_arn: str, queue_name: str, namespace: str) -> None:
    """Another compute environment (``<queue>-ce``) and job queue on an existing cluster, in ``namespace``."""
    ec2, iam = boto3.client("ec2"), boto3.client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.0.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"{queue_name}-nodes", Description="nodes", VpcId=vpc)[
        "GroupId"
    ]
    profile = iam.create_instance_profile(InstanceProfileName=f"{queue_name}-batch")["InstanceProfile"]["Arn"]
    batch_env.add_queue(cluster_arn, queue_name, namespace, subnet, group, profile)
