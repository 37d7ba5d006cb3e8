"""The security group EKS creates for each cluster, which moto does not ("View Amazon EKS security group
requirements for clusters", https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html):

- CreateCluster creates ``eks-cluster-sg-<cluster>-<id>`` in the VPC of the cluster's subnets, tagged
  ``kubernetes.io/cluster/<cluster>: owned`` and ``aws:eks:cluster-name: <cluster>``, admitting all traffic
  from its own members and letting all out; DescribeCluster answers it as
  ``resourcesVpcConfig.clusterSecurityGroupId`` (with ``vpcId``). EKS puts it on the control plane's network
  interfaces (with the request's ``securityGroupIds``) and on managed node groups' nodes that have no launch
  template naming groups of their own (:mod:`local.embedded_aws.vpc_network` evaluates those).
- DeleteCluster deletes it.

A cluster whose subnets EC2 does not know (some tests create clusters on made-up subnet ids) gets none:
EKS would refuse such a cluster, which the gaps' own tests rely on being accepted.
"""

from __future__ import annotations

from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models import ec2_backends
from moto.eks.models import Cluster
from moto.eks.responses import EKSResponse

from local.embedded_aws.moto_gaps.eks_api import after, new_id

DESCRIPTION = (
    "EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well "
    "as any managed workloads."
)


def cluster_security_group_id(cluster: Cluster) -> str | None:
    return (cluster.resources_vpc_config or {}).get("clusterSecurityGroupId")


def _create(request: EKSResponse, cluster: Cluster) -> None:
    backend = request.eks_backend
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    subnets = (cluster.resources_vpc_config or {}).get("subnetIds") or []
    try:
        vpc_id = ec2.get_subnet(subnets[0]).vpc_id if subnets else None
    except InvalidSubnetIdError:
        vpc_id = None
    if vpc_id is None:
        return
    group = ec2.create_security_group(
        f"eks-cluster-sg-{cluster.name}-{new_id()[:10]}",
        DESCRIPTION,
        vpc_id,
        tags={f"kubernetes.io/cluster/{cluster.name}": "owned", "aws:eks:cluster-name": cluster.name},
    )
    # Its own members, all protocols (a new group already lets everything out).
    ec2.authorize_security_group_ingress(
        group.id,
        "-1",
        None,  # type: ignore[arg-type]  # all protocols: no ports
        None,  # type: ignore[arg-type]
        [],
        source_groups=[{"GroupId": group.id}],
        vpc_id=vpc_id,
    )
    cluster.resources_vpc_config = {
        **(cluster.resources_vpc_config or {}),
        "clusterSecurityGroupId": group.id,
        "vpcId": vpc_id,
    }


def _delete(request: EKSResponse, cluster: Cluster) -> None:
    group_id = cluster_security_group_id(cluster)
    if group_id is None:
        return
    backend = request.eks_backend
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    if ec2.get_security_group_from_id(group_id) is not None:
        ec2.delete_security_group(group_id=group_id)


def install() -> None:
    after("create_cluster", _create)
    after("delete_cluster", _delete)
