"""The VPC between an EKS cluster's control plane, its managed nodes and Batch's nodes, as their security
groups let flows through (local/embedded_aws/vpc_network.py), and the cluster security group EKS creates
(moto_gaps/eks_cluster_security_group.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from local.dataplane.network import NodeReach
from local.embedded_aws.server import EmbeddedAws
from tests.emulator.moto_gaps.support import eks_compute_environment

NODE = "ip-10-1-7-9.ec2.internal"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Vpc:
    aws: EmbeddedAws
    vpc: str
    subnet: str
    profile: str

    def group(self, name: str, *, members: bool = True) -> str:
        """A security group letting everything out and, with ``members``, in from its own members."""
        ec2 = self.aws.client("ec2")
        group = ec2.create_security_group(GroupName=unique(name), Description=name, VpcId=self.vpc)["GroupId"]
        if members:
            ec2.authorize_security_group_ingress(
                GroupId=group, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]}]
            )
        return group

    def cluster(self, node_group: dict[str, Any] | None = None) -> dict[str, Any]:
        """A cluster on the subnet with an ACTIVE node group of two nodes (its launch template, if given)."""
        eks = self.aws.client("eks")
        name = unique("net")
        eks.create_cluster(
            name=name,
            roleArn="arn:aws:iam::123456789012:role/c",
            resourcesVpcConfig={"subnetIds": [self.subnet]},
        )
        eks.describe_cluster(name=name)
        eks.create_nodegroup(
            clusterName=name,
            nodegroupName="core",
            subnets=[self.subnet],
            nodeRole="arn:aws:iam::123456789012:role/n",
            scalingConfig={"minSize": 1, "maxSize": 2, "desiredSize": 2},
            **(node_group or {}),
        )
        assert (
            eks.describe_nodegroup(clusterName=name, nodegroupName="core")["nodegroup"]["status"] == "ACTIVE"
        )
        return dict(eks.describe_cluster(name=name)["cluster"])

    def reach(self, cluster: dict[str, Any], groups: list[str]) -> NodeReach:
        """What a Batch node of a compute environment with ``groups`` reaches."""
        arn = eks_compute_environment(
            self.aws.client("batch"), unique("ce"), cluster["arn"], [self.subnet], groups, self.profile
        )
        assert self.aws.batch.network is not None
        found = self.aws.batch.network.node_reach(cluster["arn"], arn, NODE)
        assert found is not None
        return found


@pytest.fixture(scope="module")
def vpc(aws: EmbeddedAws) -> Vpc:
    ec2, iam = aws.client("ec2"), aws.client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/17")["Subnet"]["SubnetId"]
    iam.create_role(RoleName="vpc-batch", AssumeRolePolicyDocument="{}")
    profile = iam.create_instance_profile(InstanceProfileName="vpc-batch")["InstanceProfile"]["Arn"]
    return Vpc(aws, vpc, subnet, profile)


def test_eks_creates_the_cluster_security_group_and_deletes_it_with_the_cluster(vpc: Vpc) -> None:
    # When a cluster is created on the VPC's subnet
    cluster = vpc.cluster()
    group_id = cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]
    ec2 = vpc.aws.client("ec2")
    [group] = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    # Then its group is EKS's: named after it, tagged, in the VPC, all traffic from its own members
    assert group["GroupName"].startswith(f"eks-cluster-sg-{cluster['name']}-")
    assert {t["Key"]: t["Value"] for t in group["Tags"]} == {
        f"kubernetes.io/cluster/{cluster['name']}": "owned",
        "aws:eks:cluster-name": cluster["name"],
    }
    assert (group["VpcId"], cluster["resourcesVpcConfig"]["vpcId"]) == (vpc.vpc, vpc.vpc)
    assert group["IpPermissions"][0]["IpProtocol"] == "-1"
    assert group["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == group_id
    # When the cluster is deleted (its node group first), Then so is its group
    eks = vpc.aws.client("eks")
    eks.delete_nodegroup(clusterName=cluster["name"], nodegroupName="core")
    eks.delete_cluster(name=cluster["name"])
    assert (
        ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroups"]
        == []
    )


def test_a_batch_node_outside_the_cluster_group_reaches_neither_coredns_nor_the_control_plane(
    vpc: Vpc,
) -> None:
    # Given a cluster whose managed nodes and control plane have the cluster security group
    cluster = vpc.cluster()
    # When a Batch node has only a group of its own (members only)
    reach = vpc.reach(cluster, [vpc.group("nodes")])
    # Then no DNS to CoreDNS's nodes, no API server, no kubelet from the control plane; only out
    assert (reach.dns_udp, reach.dns_tcp, reach.api_server, reach.kubelet_from_control_plane) == (False,) * 4
    assert reach.https_out is True


def test_a_batch_node_in_the_cluster_group_reaches_them_all(vpc: Vpc) -> None:
    cluster = vpc.cluster()
    # When a Batch node also has the cluster security group
    reach = vpc.reach(cluster, [vpc.group("nodes"), cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]])
    # Then every flow the data plane needs passes
    assert (reach.dns_udp, reach.dns_tcp, reach.api_server, reach.kubelet_from_control_plane) == (True,) * 4


def test_a_launch_template_gives_the_managed_nodes_its_groups_instead(vpc: Vpc) -> None:
    # Given managed nodes whose launch template gives them a group admitting only UDP 53 from Batch's nodes
    nodes, coredns = vpc.group("nodes"), vpc.group("coredns", members=False)
    ec2 = vpc.aws.client("ec2")
    ec2.authorize_security_group_ingress(
        GroupId=coredns,
        IpPermissions=[
            {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "UserIdGroupPairs": [{"GroupId": nodes}]}
        ],
    )
    template = ec2.create_launch_template(
        LaunchTemplateName=unique("core"), LaunchTemplateData={"SecurityGroupIds": [coredns]}
    )["LaunchTemplate"]
    cluster = vpc.cluster({"launchTemplate": {"id": template["LaunchTemplateId"], "version": "1"}})
    # When a Batch node has that group of its own, and even the cluster security group
    reach = vpc.reach(cluster, [nodes, cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]])
    # Then DNS passes over UDP only: the managed nodes no longer have the cluster security group
    assert (reach.dns_udp, reach.dns_tcp) == (True, False)
    assert reach.api_server is True  # the control plane keeps it
