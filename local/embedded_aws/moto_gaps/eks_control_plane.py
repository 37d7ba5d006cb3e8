"""A real Kubernetes API server per EKS cluster, when the embedded AWS runs them
(:func:`use_eks_control_plane`; local/kubernetes/eks.py): CreateCluster launches the cluster's server and
answers its endpoint and CA, where moto answers fake ones; DescribeCluster of an ACTIVE cluster waits until
it is ready; DeleteCluster stops it. A managed node group's nodes join the cluster as Kubernetes Nodes once
it is ACTIVE, and leave when it is deleted. A server that cannot start fails its cluster, saying why."""

from __future__ import annotations

import base64
from typing import Any, Protocol

from moto.eks.models import Cluster, EKSBackend
from moto.eks.responses import EKSResponse

from local.embedded_aws.moto_gaps.eks_api import after, health_issue


class EksControlPlane(Protocol):
    """Runs a local Kubernetes API server per EKS cluster (local/kubernetes/eks.py)."""

    def launch(self, account: str, region: str, name: str) -> tuple[str, str]:
        """Start the cluster's server if it is not running (without waiting); its (endpoint, CA PEM)."""

    def ready(self, account: str, region: str, name: str) -> tuple[str, str]:
        """As launch, then wait until the server answers."""

    def stop(self, account: str, region: str, name: str) -> None: ...

    def node_group_nodes(
        self, account: str, region: str, cluster: str, node_group: str, count: int, instance_type: str
    ) -> None:
        """Register (count > 0) or remove (count 0) a managed node group's nodes as Kubernetes Nodes."""


_CONTROL_PLANE: EksControlPlane | None = None


def use_eks_control_plane(plane: EksControlPlane | None) -> None:
    """Answer EKS clusters' endpoint and CA from ``plane`` (None: moto's fake ones, the default)."""
    global _CONTROL_PLANE
    _CONTROL_PLANE = plane


def _answer_with_control_plane(backend: EKSBackend, cluster: Cluster, *, wait: bool) -> None:
    """Put the local API server's endpoint and CA (base64 of the PEM, as EKS gives it) on the cluster."""
    plane = _CONTROL_PLANE
    if plane is None:
        return
    reach = plane.ready if wait else plane.launch
    try:
        endpoint, ca_pem = reach(backend.account_id, backend.region_name, cluster.name)
    except RuntimeError as error:  # the server did not start: the cluster failed, saying why
        cluster.status = "FAILED"
        cluster.health = health_issue("InternalFailure", str(error)[-2000:], [cluster.name])  # type: ignore[attr-defined]
        return
    cluster.endpoint = endpoint
    cluster.certificate_authority = {"data": base64.b64encode(ca_pem.encode()).decode()}


def _node_group_nodes(backend: EKSBackend, node_group: Any, count: int) -> None:
    """A managed node group's instances join the cluster once it is ACTIVE (and leave when it is deleted),
    as ``kubectl get nodes`` shows them on EKS."""
    if _CONTROL_PLANE is not None:
        instance_type = (node_group.instance_types or ["m5.large"])[0]
        _CONTROL_PLANE.node_group_nodes(
            backend.account_id,
            backend.region_name,
            node_group.cluster_name,
            node_group.nodegroup_name,
            count,
            instance_type,
        )


def _cluster_created(request: EKSResponse, cluster: Cluster) -> None:
    _answer_with_control_plane(request.eks_backend, cluster, wait=False)  # boots while CREATING


def _cluster_described(request: EKSResponse, cluster: Cluster) -> None:
    _answer_with_control_plane(request.eks_backend, cluster, wait=cluster.status == "ACTIVE")


def _cluster_deleted(request: EKSResponse, cluster: Cluster) -> None:
    if _CONTROL_PLANE is not None:
        _CONTROL_PLANE.stop(request.eks_backend.account_id, request.eks_backend.region_name, cluster.name)


def _node_group_described(request: EKSResponse, node_group: Any) -> None:
    if node_group.status == "ACTIVE" and not getattr(node_group, "_gap_nodes_joined", False):
        desired = int((node_group.scaling_config or {}).get("desiredSize", 0))
        _node_group_nodes(request.eks_backend, node_group, desired)
        node_group._gap_nodes_joined = True


def _node_group_deleted(request: EKSResponse, node_group: Any) -> None:
    _node_group_nodes(request.eks_backend, node_group, 0)


def install() -> None:
    """Act on the answers moto gives once :mod:`.eks_lifecycle` has set their status."""
    after("create_cluster", _cluster_created)
    after("describe_cluster", _cluster_described)
    after("delete_cluster", _cluster_deleted)
    after("describe_nodegroup", _node_group_described)
    after("delete_nodegroup", _node_group_deleted)
