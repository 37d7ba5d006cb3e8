"""EKS add-ons (Create/Describe/List/Update/Delete, and DescribeAddonVersions with a small fixed list), which
moto lacks. An add-on starts CREATING and becomes ACTIVE as its readiness says; deleting it answers DELETING
and it is gone at once, with the Pod Identity associations it owned."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks.exceptions import InvalidRequestException
from moto.eks.models import Cluster, EKSBackend, paginated_list
from moto.eks.responses import EKSResponse

from local.embedded_aws.moto_gaps.eks_api import (
    add_operations,
    apply_status,
    cluster_named,
    cluster_records,
    in_use,
    new_id,
    not_found,
    update_record,
)
from local.embedded_aws.moto_gaps.eks_pod_identity import associations, new_pod_identity
from local.embedded_aws.moto_gaps.readiness import lifecycle_after_describe, start_creating

ADDON_VERSIONS: dict[str, str] = {
    "vpc-cni": "v1.19.2-eksbuild.1",
    "kube-proxy": "v1.31.3-eksbuild.2",
    "coredns": "v1.11.4-eksbuild.2",
    "eks-pod-identity-agent": "v1.3.4-eksbuild.1",
    "aws-ebs-csi-driver": "v1.38.1-eksbuild.2",
    "amazon-cloudwatch-observability": "v2.6.0-eksbuild.1",
}
_ADDON_TYPES = {
    "vpc-cni": "networking",
    "kube-proxy": "networking",
    "coredns": "networking",
    "eks-pod-identity-agent": "security",
    "aws-ebs-csi-driver": "storage",
    "amazon-cloudwatch-observability": "observability",
}
_COMPATIBLE_K8S = ("1.29", "1.30", "1.31", "1.32")
# Where an add-on installs (and so where its service accounts live) when the request names no namespace.
_ADDON_NAMESPACES = {"amazon-cloudwatch-observability": "amazon-cloudwatch"}


@dataclass
class Addon:
    cluster_name: str
    addon_name: str
    addon_arn: str
    addon_version: str
    service_account_role_arn: str | None
    configuration_values: str | None
    resolve_conflicts: str | None
    pod_identity_associations: list[str]
    tags: dict[str, str]
    status: str = "CREATING"
    health: dict[str, Any] = field(default_factory=lambda: {"issues": []})
    created_at: datetime = field(default_factory=utcnow)
    modified_at: datetime = field(default_factory=utcnow)

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "addonName": self.addon_name,
            "clusterName": self.cluster_name,
            "status": self.status,
            "addonVersion": self.addon_version,
            "health": self.health,
            "addonArn": self.addon_arn,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "tags": self.tags,
            "podIdentityAssociations": list(self.pod_identity_associations),
        }
        if self.service_account_role_arn:
            out["serviceAccountRoleArn"] = self.service_account_role_arn
        if self.configuration_values:
            out["configurationValues"] = self.configuration_values
        return out


def _addons(cluster: Cluster) -> dict[str, Addon]:
    return cluster_records(cluster, "addons")


def _addon(cluster: Cluster, name: str) -> Addon:
    try:
        return _addons(cluster)[name]
    except KeyError:
        raise not_found(
            f"No addon: {name} found in cluster: {cluster.name}", clusterName=cluster.name, addonName=name
        ) from None


def _addon_pod_identities(
    backend: EKSBackend, cluster: Cluster, addon_arn: str, wanted: list[dict[str, str]] | None
) -> list[str]:
    """Replace the associations an add-on owns by `wanted`; their ARNs."""
    known = associations(cluster)
    for pid in [p for p in known.values() if p.owner_arn == addon_arn]:
        del known[pid.association_id]
    arns = []
    namespace = _ADDON_NAMESPACES.get(addon_arn.split("/")[2], "kube-system")  # addon/<cluster>/<name>/<id>
    for item in wanted or []:
        pid = new_pod_identity(
            backend, cluster, namespace, item["serviceAccount"], item["roleArn"], {}, False, None
        )
        pid.owner_arn = addon_arn
        arns.append(pid.association_arn)
    return arns


def create_addon(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = cluster_named(backend, self._get_param("name"))
    name = self._get_param("addonName")
    addons = _addons(cluster)
    if name in addons:
        raise in_use(f"Addon already exists with name: {name}", clusterName=cluster.name, addonName=name)
    if not cluster.is_active:
        raise InvalidRequestException(message=f"Cluster '{cluster.name}' is not in ACTIVE status")
    arn = (
        f"arn:{backend.partition}:eks:{backend.region_name}:{backend.account_id}:"
        f"addon/{cluster.name}/{name}/{new_id()}"
    )
    addon = Addon(
        cluster_name=cluster.name,
        addon_name=name,
        addon_arn=arn,
        addon_version=self._get_param("addonVersion") or ADDON_VERSIONS.get(name, "v1.0.0-eksbuild.1"),
        service_account_role_arn=self._get_param("serviceAccountRoleArn"),
        configuration_values=self._get_param("configurationValues"),
        resolve_conflicts=self._get_param("resolveConflicts"),
        pod_identity_associations=[],
        tags=self._get_param("tags") or {},
    )
    addon.pod_identity_associations = _addon_pod_identities(
        backend, cluster, arn, self._get_param("podIdentityAssociations")
    )
    start_creating(addon)
    addons[name] = addon
    return ActionResult({"addon": addon.view()})


def describe_addon(self: EKSResponse) -> ActionResult:
    cluster = cluster_named(self.eks_backend, self._get_param("name"))
    addon = _addon(cluster, self._get_param("addonName"))
    lifecycle = lifecycle_after_describe(
        "addon", (addon.addon_name, f"{cluster.name}/{addon.addon_name}"), addon
    )
    apply_status("addon", addon, lifecycle, addon.addon_name)
    return ActionResult({"addon": addon.view()})


def list_addons(self: EKSResponse) -> ActionResult:
    cluster = cluster_named(self.eks_backend, self._get_param("name"))
    names, token = paginated_list(
        list(_addons(cluster)), self._get_int_param("maxResults", 100), self._get_param("nextToken")
    )
    return ActionResult({"addons": names, "nextToken": token})


def update_addon(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = cluster_named(backend, self._get_param("name"))
    addon = _addon(cluster, self._get_param("addonName"))
    params: list[dict[str, str]] = []
    for key, attr in (
        ("addonVersion", "addon_version"),
        ("serviceAccountRoleArn", "service_account_role_arn"),
        ("configurationValues", "configuration_values"),
        ("resolveConflicts", "resolve_conflicts"),
    ):
        value = self._get_param(key)
        if value is not None:
            setattr(addon, attr, value)
            params.append({"type": key[0].upper() + key[1:], "value": str(value)})
    wanted = self._get_param("podIdentityAssociations")
    if wanted is not None:
        addon.pod_identity_associations = _addon_pod_identities(backend, cluster, addon.addon_arn, wanted)
        params.append({"type": "PodIdentityAssociations", "value": json.dumps(wanted)})
    addon.modified_at = utcnow()
    return ActionResult({"update": update_record("AddonUpdate", params)})


def delete_addon(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = cluster_named(backend, self._get_param("name"))
    addon = _addon(cluster, self._get_param("addonName"))
    _addon_pod_identities(backend, cluster, addon.addon_arn, None)
    del _addons(cluster)[addon.addon_name]
    addon.status = "DELETING"
    return ActionResult({"addon": addon.view()})


def describe_addon_versions(self: EKSResponse) -> ActionResult:
    wanted_name = self._get_param("addonName")
    k8s = self._get_param("kubernetesVersion")
    addons = []
    for name, version in ADDON_VERSIONS.items():
        if wanted_name and name != wanted_name:
            continue
        if k8s and k8s not in _COMPATIBLE_K8S:
            continue
        clusters = [k8s] if k8s else list(_COMPATIBLE_K8S)
        addons.append(
            {
                "addonName": name,
                "type": _ADDON_TYPES[name],
                "publisher": "eks",
                "owner": "aws",
                "addonVersions": [
                    {
                        "addonVersion": version,
                        "architecture": ["amd64", "arm64"],
                        "compatibilities": [
                            {"clusterVersion": v, "platformVersions": ["*"], "defaultVersion": True}
                            for v in clusters
                        ],
                        "requiresConfiguration": False,
                        "requiresIamPermissions": name in ("vpc-cni", "aws-ebs-csi-driver"),
                    }
                ],
            }
        )
    return ActionResult({"addons": addons})


def install() -> None:
    add_operations(
        {
            "create_addon": create_addon,
            "describe_addon": describe_addon,
            "list_addons": list_addons,
            "update_addon": update_addon,
            "delete_addon": delete_addon,
            "describe_addon_versions": describe_addon_versions,
        },
        (
            "{0}/addons/supported-versions$",
            "{0}/clusters/(?P<name>[^/]+)/addons$",
            "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$",
            "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$",
        ),
    )
