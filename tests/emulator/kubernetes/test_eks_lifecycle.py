"""The embedded EKS's hook to local API servers (local/embedded_aws/moto_gaps/eks_control_plane.py,
local/kubernetes/eks.py): what a client of EKS sees when a cluster's server cannot start. The running case is
in test_eks_authentication."""

from __future__ import annotations

import boto3
import pytest

from local.embedded_aws.server import EmbeddedAws
from local.kubernetes.cluster import KubernetesStartFailed
from tests.emulator.kubernetes.eks_support import TRUST, unique


def test_a_cluster_whose_server_cannot_start_is_failed_with_the_reason(
    aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given API servers that do not start (their log says why)
    def cannot_start(account: str, region: str, name: str) -> tuple[str, str]:
        raise KubernetesStartFailed(
            f"kube-apiserver for cluster {name!r} not ready; its log ends: bind failed"
        )

    assert aws.kubernetes is not None
    monkeypatch.setattr(aws.kubernetes, "launch", cannot_start)
    monkeypatch.setattr(aws.kubernetes, "ready", cannot_start)
    # When a cluster is created and described
    name = unique("doomed")
    role = boto3.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    boto3.client("eks").create_cluster(name=name, roleArn=role, resourcesVpcConfig={"subnetIds": [subnet]})
    cluster = boto3.client("eks").describe_cluster(name=name)["cluster"]
    # Then it is FAILED, and its health issue carries the server's reason
    assert cluster["status"] == "FAILED"
    assert "bind failed" in cluster["health"]["issues"][0]["message"]
