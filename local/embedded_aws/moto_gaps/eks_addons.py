"""EKS add-ons (Create/Describe/List/Update/Delete, and DescribeAddonVersions from a catalog of versions per
cluster version, :data:`ADDON_CATALOG`), which moto lacks. An add-on starts CREATING and becomes ACTIVE as
its readiness says; deleting it answers DELETING and it is gone at once, with the Pod Identity associations
it owned. Without ``addonVersion``, CreateAddon installs EKS's default for the cluster's version; a version
that does not run on the cluster's Kubernetes version is refused, on create and on update
(https://docs.aws.amazon.com/eks/latest/userguide/creating-an-add-on.html: "the default version for the
cluster's Kubernetes version" unless one is given)."""

from __future__ import annotations

import json
import threading
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
    invalid,
    new_id,
    not_found,
    update_record,
)
from local.embedded_aws.moto_gaps.eks_pod_identity import associations, new_pod_identity
from local.embedded_aws.moto_gaps.readiness import lifecycle_after_describe, start_creating

_ADDON_TYPES = {
    "vpc-cni": "networking",
    "kube-proxy": "networking",
    "coredns": "networking",
    "eks-pod-identity-agent": "security",
    "aws-ebs-csi-driver": "storage",
    "amazon-cloudwatch-observability": "observability",
}
# The cluster versions the catalog knows (EKS's calendar: moto_gaps/eks_versions.py).
_CLUSTER_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36")


@dataclass
class AddonVersion:
    """One version of an add-on: the cluster versions it runs on, and those it is EKS's default for."""

    version: str
    clusters: tuple[str, ...]
    default_for: set[str]


def _initial_catalog() -> dict[str, list[AddonVersion]]:
    """Versions in the form EKS names them; illustrative, not AWS's list: what matters to the control plane
    is that a default exists per cluster version, may differ between cluster versions (kube-proxy follows
    the cluster's minor version, coredns changes at 1.34) and changes over time
    (:meth:`AddonCatalog.publish`)."""
    every = _CLUSTER_VERSIONS
    return {
        "vpc-cni": [
            AddonVersion("v1.20.4-eksbuild.1", every[2:], set()),
            AddonVersion("v1.19.2-eksbuild.1", every, set(every)),
        ],
        "kube-proxy": [AddonVersion(f"v{v}.0-eksbuild.1", (v,), {v}) for v in reversed(every)],
        "coredns": [
            AddonVersion("v1.12.4-eksbuild.1", every[3:], set(every[5:])),
            AddonVersion("v1.11.4-eksbuild.2", every[:5], set(every[:5])),
        ],
        "eks-pod-identity-agent": [AddonVersion("v1.3.4-eksbuild.1", every, set(every))],
        "aws-ebs-csi-driver": [AddonVersion("v1.38.1-eksbuild.2", every, set(every))],
        "amazon-cloudwatch-observability": [
            AddonVersion("v2.7.0-eksbuild.1", every, set()),
            AddonVersion("v2.6.0-eksbuild.1", every, set(every)),
        ],
    }


class AddonCatalog:
    """What DescribeAddonVersions answers and CreateAddon installs by default (process-wide, like moto's
    backends; :meth:`reset` with each embedded AWS). EKS publishes new versions and moves its defaults over
    time: :meth:`publish` does that, for tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.addons = _initial_catalog()

    def reset(self) -> None:
        with self._lock:
            self.addons = _initial_catalog()

    def publish(self, addon: str, version: str, *, default: bool = True) -> None:
        """A new version of ``addon`` for every cluster version, EKS's default from now on if ``default``."""
        with self._lock:
            versions = self.addons[addon]
            if default:
                for known in versions:
                    known.default_for.clear()
            versions.insert(
                0, AddonVersion(version, _CLUSTER_VERSIONS, set(_CLUSTER_VERSIONS) if default else set())
            )

    def default(self, addon: str, cluster_version: str) -> str | None:
        with self._lock:
            found = [v.version for v in self.addons.get(addon, []) if cluster_version in v.default_for]
        return found[0] if found else None

    def runs_on(self, addon: str, version: str, cluster_version: str) -> bool:
        with self._lock:
            return any(
                v.version == version and cluster_version in v.clusters for v in self.addons.get(addon, [])
            )


ADDON_CATALOG = AddonCatalog()
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


def installed_addon(cluster: Cluster, name: str) -> Addon | None:
    """The cluster's add-on ``name``, if installed (for the emulated VPC and data plane)."""
    return _addons(cluster).get(name)


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


def _version_for(cluster: Cluster, addon: str, asked: str | None) -> str:
    """The version to install: the one asked for if it runs on the cluster's version, else EKS's default."""
    if asked is None:
        default = ADDON_CATALOG.default(addon, cluster.version)
        if default is None:
            raise invalid(
                f"Addon {addon} has no version for Kubernetes {cluster.version}", clusterName=cluster.name
            )
        return default
    if not ADDON_CATALOG.runs_on(addon, asked, cluster.version):
        raise invalid(
            f"Addon version specified is not supported: {addon} {asked} on Kubernetes {cluster.version}",
            clusterName=cluster.name,
        )
    return asked


def create_addon(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = cluster_named(backend, self._get_param("name"))
    name = self._get_param("addonName")
    addons = _addons(cluster)
    if name in addons:
        raise in_use(f"Addon already exists with name: {name}", clusterName=cluster.name, addonName=name)
    if not cluster.is_active:
        raise InvalidRequestException(message=f"Cluster '{cluster.name}' is not in ACTIVE status")
    version = _version_for(cluster, name, self._get_param("addonVersion"))
    arn = (
        f"arn:{backend.partition}:eks:{backend.region_name}:{backend.account_id}:"
        f"addon/{cluster.name}/{name}/{new_id()}"
    )
    addon = Addon(
        cluster_name=cluster.name,
        addon_name=name,
        addon_arn=arn,
        addon_version=version,
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
    if self._get_param("addonVersion") is not None:
        _version_for(cluster, addon.addon_name, self._get_param("addonVersion"))
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
    for name, versions in ADDON_CATALOG.addons.items():
        if wanted_name and name != wanted_name:
            continue
        listed = []
        for known in versions:
            clusters = [c for c in known.clusters if k8s is None or c == k8s]
            if not clusters:
                continue
            listed.append(
                {
                    "addonVersion": known.version,
                    "architecture": ["amd64", "arm64"],
                    "compatibilities": [
                        {
                            "clusterVersion": c,
                            "platformVersions": ["*"],
                            "defaultVersion": c in known.default_for,
                        }
                        for c in clusters
                    ],
                    "requiresConfiguration": False,
                    "requiresIamPermissions": name in ("vpc-cni", "aws-ebs-csi-driver"),
                }
            )
        if listed:
            addons.append(
                {
                    "addonName": name,
                    "type": _ADDON_TYPES[name],
                    "publisher": "eks",
                    "owner": "aws",
                    "addonVersions": listed,
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
