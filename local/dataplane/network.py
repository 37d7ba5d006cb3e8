"""What a Batch node of an EKS compute environment can reach over the VPC, as the security groups on its
network interface and on the others' say: the data plane's view of the network, which the embedded AWS
computes (:mod:`local.embedded_aws.vpc_network`) and the data plane acts on:

- DNS: a job's pod runs on the host network with ``ClusterFirstWithHostNet`` (Batch's EKS default), so its
  lookups go from the node to CoreDNS, which runs on the managed node group's nodes (Batch's nodes are
  tainted). Inside the job's sandbox a resolver answers on 127.0.0.1:53 over the protocols the groups let
  through (UDP, TCP), and nothing answers otherwise (:mod:`.sandbox`, :mod:`.sandbox_dns`).
- The API server (443) and the kubelet (10250, from the control plane) are evaluated and reported, not
  acted on: a node joins, and its pods run, whatever they say (docs/architecture.md, "Not emulated").
- Container logs: Fluent Bit on the node ships them only if it runs there and can resolve, then reach, the
  CloudWatch Logs endpoint (:mod:`.container_logs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# What CoreDNS puts in a ClusterFirst pod's resolv.conf (kubelet's search path; ndots 5), before the VPC's
# own domain.
CLUSTER_DOMAIN = "cluster.local"


@dataclass(frozen=True)
class NodeReach:
    node: str
    dns_udp: bool  # node -> a CoreDNS node, UDP 53
    dns_tcp: bool  # node -> a CoreDNS node, TCP 53
    api_server: bool  # node -> the control plane's interfaces, TCP 443
    kubelet_from_control_plane: bool  # control plane -> node, TCP 10250 (logs, exec: not emulated)
    https_out: bool  # node -> the internet (AWS endpoints through the NAT), TCP 443
    # What CoreDNS answers (A records): exact names, and names ending with a suffix (the VPC's resolver,
    # which CoreDNS forwards to, answering for AWS's endpoints).
    names: dict[str, str] = field(default_factory=dict)
    suffixes: dict[str, str] = field(default_factory=dict)
    # The CloudWatch observability add-on's configurationValues (JSON), "" for none; None: no add-on.
    observability_config: str | None = None

    @property
    def resolves(self) -> bool:
        return self.dns_udp or self.dns_tcp


def search_path(namespace: str, region: str) -> list[str]:
    """resolv.conf's search domains of a ClusterFirst pod in ``namespace`` (then the VPC's, ec2.internal
    in us-east-1, <region>.compute.internal elsewhere)."""
    vpc_domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return [f"{namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN, vpc_domain]


class NetworkView(Protocol):
    """The embedded AWS's VPC, as the data plane asks it about a job's node."""

    def node_reach(self, cluster_arn: str, compute_environment_arn: str, node_name: str) -> NodeReach | None:
        """What ``node_name``, a Batch node of the compute environment, reaches; None when the embedded AWS
        does not know the compute environment or the cluster (nothing is evaluated)."""
