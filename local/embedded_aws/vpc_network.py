"""The VPC between an EKS cluster's control plane, its managed nodes and Batch's nodes: which flows their
security groups let through, evaluated from EC2's rules as AWS evaluates them
(https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html: a flow passes when the
source's outbound rules allow it to the destination and the destination's inbound rules allow it from the
source; groups are stateful, so replies pass; a rule names a protocol and port range, and a CIDR or a
group whose members it admits).

The network interfaces and their groups, as AWS assigns them:

- the control plane's: the cluster security group plus the cluster's ``securityGroupIds``
  (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html);
- a managed node group's nodes: the cluster security group, unless the node group's launch template
  names groups of its own (https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html);
- a Batch node: its compute environment's ``securityGroupIds``, nothing else
  (https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeResource.html).

The flows the data plane needs (:class:`local.dataplane.network.NodeReach`): a Batch node's DNS to a node
running CoreDNS (a managed node: Batch's nodes are tainted), UDP and TCP 53; the node to the API server,
TCP 443; the control plane to the node's kubelet, TCP 10250; the node out to AWS's endpoints, TCP 443.
Not evaluated: network ACLs, routes and the NAT (the stack's own), IPv6 and prefix-list rules.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Any

from moto.batch.models import batch_backends
from moto.ec2.models import ec2_backends
from moto.eks.models import Cluster, eks_backends

from local.dataplane.network import NodeReach
from local.embedded_aws.moto_gaps.eks_addons import installed_addon
from local.embedded_aws.moto_gaps.eks_cluster_security_group import cluster_security_group_id
from local.kubernetes.client import KubeClient
from local.kubernetes.eks import EksKubernetes
from local.kubernetes.pods import managed_node_names, node_address

OBSERVABILITY_ADDON = "amazon-cloudwatch-observability"
INTERNET = "52.94.0.1"  # a public address, as AWS's endpoints have, reached through the NAT
# The VPC's resolver answers for AWS's endpoints (CoreDNS forwards what it does not own to it); any
# address will do here, no traffic reaches it.
_AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


@dataclass(frozen=True)
class Interface:
    what: str
    groups: tuple[str, ...]
    address: str


def _rule_admits(rule: Any, protocol: str, port: int, peer: Interface) -> bool:
    if rule.ip_protocol not in ("-1", protocol):
        return False
    if rule.ip_protocol != "-1" and not (rule.from_port <= port <= rule.to_port):
        return False
    peer_group = (rule.source_group or {}).get("GroupId")
    if peer_group:
        return peer_group in peer.groups
    cidr = (rule.ip_range or {}).get("CidrIp")
    if not cidr:
        return False  # IPv6 and prefix lists: not evaluated
    return ipaddress.ip_address(peer.address) in ipaddress.ip_network(str(cidr), strict=False)


class VpcNetwork:
    """The embedded AWS's :class:`~local.dataplane.network.NetworkView`."""

    def __init__(self, account: str, region: str, kubernetes: EksKubernetes | None):
        self.account = account
        self.region = region
        self.kubernetes = kubernetes

    @property
    def _ec2(self) -> Any:
        return ec2_backends[self.account][self.region]

    def allowed(self, source: Interface, destination: Interface, protocol: str, port: int) -> bool:
        """Whether a flow from ``source`` to ``destination`` passes both interfaces' groups."""
        return self._admitted(source, "egress_rules", protocol, port, destination) and self._admitted(
            destination, "ingress_rules", protocol, port, source
        )

    def _admitted(self, interface: Interface, rules: str, protocol: str, port: int, peer: Interface) -> bool:
        for group_id in interface.groups:
            group = self._ec2.get_security_group_from_id(group_id)
            if group is not None and any(
                _rule_admits(r, protocol, port, peer) for r in getattr(group, rules)
            ):
                return True
        return False

    # -- the interfaces -------------------------------------------------------------------------------
    def _control_plane(self, cluster: Cluster) -> Interface:
        config = cluster.resources_vpc_config or {}
        groups = [cluster_security_group_id(cluster), *(config.get("securityGroupIds") or [])]
        return Interface("the control plane", tuple(g for g in groups if g), self._subnet_address(config))

    def _subnet_address(self, config: dict[str, Any]) -> str:
        """An address in the cluster's first subnet, where EKS puts its network interfaces."""
        subnets = config.get("subnetIds") or []
        try:
            cidr = self._ec2.get_subnet(subnets[0]).cidr_block
        except Exception:  # moto raises InvalidSubnetIdError: made-up subnets have no address
            return "10.1.0.10"
        return str(ipaddress.ip_network(cidr, strict=False).network_address + 10)

    def _managed_nodes(self, cluster: Cluster) -> list[Interface]:
        nodes = []
        for group in list(cluster.nodegroups.values()):
            if group.status != "ACTIVE":
                continue
            groups = self._launch_template_groups(group.launch_template) or [
                cluster_security_group_id(cluster) or ""
            ]
            count = int((group.scaling_config or {}).get("desiredSize", 0))
            for name in managed_node_names(cluster.name, group.nodegroup_name, count):
                nodes.append(Interface(f"node {name}", tuple(g for g in groups if g), node_address(name)))
        return nodes

    def _launch_template_groups(self, spec: dict[str, Any] | None) -> list[str]:
        if not spec:
            return []
        try:
            template = (
                self._ec2.get_launch_template(spec["id"])
                if spec.get("id")
                else self._ec2.get_launch_template_by_name(spec["name"])
            )
            data = template.get_version(spec.get("version") or "$Default").data
        except Exception:  # moto raises its not-found errors: EKS would have refused the node group
            return []
        interfaces = data.get("NetworkInterfaces") or [{}]
        return list(data.get("SecurityGroupIds") or interfaces[0].get("Groups") or [])

    # -- what a Batch node reaches --------------------------------------------------------------------
    def node_reach(self, cluster_arn: str, compute_environment_arn: str, node_name: str) -> NodeReach | None:
        cluster = eks_backends[self.account][self.region].clusters.get(cluster_arn.rsplit("/", 1)[-1])
        environment = batch_backends[self.account][self.region].get_compute_environment_by_arn(
            compute_environment_arn
        )
        if cluster is None or environment is None:
            return None
        resources = environment.compute_resources or {}
        node = Interface(
            f"Batch node {node_name}", tuple(resources.get("securityGroupIds") or []), node_address(node_name)
        )
        plane = self._control_plane(cluster)
        coredns = self._managed_nodes(cluster)
        internet = Interface("the internet", (), INTERNET)
        addon = installed_addon(cluster, OBSERVABILITY_ADDON)
        return NodeReach(
            node=node_name,
            dns_udp=any(self.allowed(node, other, "udp", 53) for other in coredns),
            dns_tcp=any(self.allowed(node, other, "tcp", 53) for other in coredns),
            api_server=self.allowed(node, plane, "tcp", 443),
            kubelet_from_control_plane=self.allowed(plane, node, "tcp", 10250),
            https_out=self._admitted(node, "egress_rules", "tcp", 443, internet),
            names=self._service_names(cluster_arn),
            suffixes={suffix: _made_up_address(suffix) for suffix in _AWS_SUFFIXES},
            observability_config=(addon.configuration_values or "") if addon is not None else None,
        )

    def _service_names(self, cluster_arn: str) -> dict[str, str]:
        """CoreDNS's records of the cluster's Services: ``<service>.<namespace>.svc.cluster.local``."""
        local = self.kubernetes.cluster_by_arn(cluster_arn) if self.kubernetes is not None else None
        if local is None:
            return {}
        admin = KubeClient(local)
        try:
            services = admin.get("/api/v1/services")["items"]
        finally:
            admin.close()
        return {
            f"{s['metadata']['name']}.{s['metadata']['namespace']}.svc.cluster.local": s["spec"]["clusterIP"]
            for s in services
            if s.get("spec", {}).get("clusterIP") not in (None, "", "None")
        }


def _made_up_address(name: str) -> str:
    digest = hashlib.sha256(name.encode()).digest()
    return f"52.94.{digest[0]}.{max(digest[1], 1)}"
