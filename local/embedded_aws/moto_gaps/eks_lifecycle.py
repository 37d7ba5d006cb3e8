"""EKS clusters and node groups as slow as EKS's: created CREATING and ACTIVE (or FAILED) as their readiness
says (:mod:`.readiness`), where moto makes them ACTIVE at once; deleting one answers DELETING, and it is gone
at once."""

from __future__ import annotations

from typing import Any

from moto.eks.models import Cluster
from moto.eks.responses import EKSResponse

from local.embedded_aws.moto_gaps.eks_api import after, apply_status
from local.embedded_aws.moto_gaps.readiness import lifecycle_after_describe, start_creating


def _creating(request: EKSResponse, resource: Any) -> None:
    resource.status = "CREATING"
    resource.health = {"issues": []}
    start_creating(resource)


def _deleting(request: EKSResponse, resource: Any) -> None:
    resource.status = "DELETING"


def _cluster_described(request: EKSResponse, cluster: Cluster) -> None:
    lifecycle = lifecycle_after_describe("cluster", (cluster.name,), cluster)
    apply_status("cluster", cluster, lifecycle, cluster.name)


def _node_group_described(request: EKSResponse, node_group: Any) -> None:
    names = (node_group.nodegroup_name, f"{node_group.cluster_name}/{node_group.nodegroup_name}")
    lifecycle = lifecycle_after_describe("nodegroup", names, node_group)
    apply_status("nodegroup", node_group, lifecycle, node_group.nodegroup_name)


def install() -> None:
    after("create_cluster", _creating)
    after("describe_cluster", _cluster_described)
    after("delete_cluster", _deleting)
    after("create_nodegroup", _creating)
    after("describe_nodegroup", _node_group_described)
    after("delete_nodegroup", _deleting)
