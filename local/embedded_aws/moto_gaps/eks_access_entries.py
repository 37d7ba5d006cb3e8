"""EKS access entries and access policies, which moto lacks, and the cluster's ``accessConfig`` they depend
on: CreateCluster keeps it (moto drops it), DescribeCluster answers it, UpdateClusterConfig changes the
authentication mode (only towards API). Access entries need mode API or API_AND_CONFIG_MAP.

The local API servers authenticate through these (:mod:`local.kubernetes.eks_identities`):
:func:`authentication_mode` and :func:`access_entries` are how they read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.core.utils import utcnow
from moto.eks.exceptions import InvalidRequestException
from moto.eks.models import Cluster, eks_backends, paginated_list
from moto.eks.responses import EKSResponse

from local.embedded_aws.moto_gaps.eks_api import (
    Operation,
    add_operations,
    after,
    cluster_named,
    cluster_records,
    in_use,
    invalid,
    new_id,
    not_found,
    update_record,
)

ACCESS_POLICIES = (
    "AmazonEKSAdminPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSViewPolicy",
    "AmazonEKSAdminViewPolicy",
)
_POLICY_ARN = "arn:{partition}:eks::aws:cluster-access-policy/{name}"
_PRINCIPAL_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)$")
_MODES_IN_ORDER = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"]  # an update may only move right


@dataclass
class AccessEntry:
    cluster_name: str
    principal_arn: str
    access_entry_arn: str
    kubernetes_groups: list[str]
    username: str
    type: str
    tags: dict[str, str]
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    modified_at: datetime = field(default_factory=utcnow)

    def view(self) -> dict[str, Any]:
        return {
            "clusterName": self.cluster_name,
            "principalArn": self.principal_arn,
            "kubernetesGroups": list(self.kubernetes_groups),
            "accessEntryArn": self.access_entry_arn,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "tags": self.tags,
            "username": self.username,
            "type": self.type,
        }


# ----------------------------------------------------------------------------- accessConfig
def _access_config(cluster: Cluster) -> dict[str, Any]:
    config = getattr(cluster, "access_config", None)
    if config is None:
        config = {"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
        cluster.access_config = config  # type: ignore[attr-defined]
    return config


def _keep_access_config(request: EKSResponse, cluster: Cluster) -> None:
    given = request._get_param("accessConfig") or {}
    cluster.access_config = {  # type: ignore[attr-defined]
        "authenticationMode": given.get("authenticationMode", "CONFIG_MAP"),
        "bootstrapClusterCreatorAdminPermissions": given.get("bootstrapClusterCreatorAdminPermissions", True),
    }


def _answer_access_config(request: EKSResponse, cluster: Cluster) -> None:
    _access_config(cluster)


def _update_cluster_config(moto_update: Operation) -> Operation:
    """UpdateClusterConfig with an ``accessConfig`` changes the authentication mode; without, it is moto's."""

    def update_cluster_config(self: EKSResponse) -> ActionResult:
        given = self._get_param("accessConfig")
        cluster = cluster_named(self.eks_backend, self._get_param("name"))
        if not given:
            return moto_update(self)
        current = _access_config(cluster)["authenticationMode"]
        wanted = given.get("authenticationMode", current)
        if _MODES_IN_ORDER.index(wanted) < _MODES_IN_ORDER.index(current):
            raise invalid(f"Unsupported authentication mode update from {current} to {wanted}")
        cluster.access_config["authenticationMode"] = wanted  # type: ignore[attr-defined]
        params = [{"type": "AuthenticationMode", "value": wanted}]
        return ActionResult({"update": update_record("AccessConfigUpdate", params)})

    return update_cluster_config


def authentication_mode(cluster: Cluster) -> str:
    """The cluster's ``accessConfig.authenticationMode`` (CONFIG_MAP unless set), for local authenticators."""
    return str(_access_config(cluster)["authenticationMode"])


def _require_api_mode(cluster: Cluster) -> None:
    if _access_config(cluster)["authenticationMode"] == "CONFIG_MAP":
        raise InvalidRequestException(
            message="The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] "
            "to perform this operation."
        )


# ----------------------------------------------------------------------------- access entries
def access_entries(cluster: Cluster) -> dict[str, AccessEntry]:
    """The cluster's access entries by principal ARN (live: read, never change)."""
    return cluster_records(cluster, "access_entries")


def _access_entry(cluster: Cluster, principal_arn: str) -> AccessEntry:
    try:
        return access_entries(cluster)[principal_arn]
    except KeyError:
        raise not_found(
            f"The specified principalArn could not be found. You can view your available access entries "
            f"with 'list-access-entries'. ({principal_arn})",
            clusterName=cluster.name,
        ) from None


def access_entry_arn(cluster: Cluster, principal: str, account_id: str, region: str) -> str:
    """The ARN EKS gives an access entry: cluster, principal kind, account, name, and an id of its own."""
    match = _PRINCIPAL_RE.match(principal)
    if match is None:
        raise ValueError(f"not an IAM principal ARN: {principal}")
    account, kind, name = match.groups()
    partition = principal.split(":")[1]
    return (
        f"arn:{partition}:eks:{region}:{account_id}:access-entry/"
        f"{cluster.name}/{kind}/{account}/{name}/{new_id()}"
    )


def create_access_entry(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = cluster_named(backend, self._get_param("name"))
    _require_api_mode(cluster)
    principal = self._get_param("principalArn")
    match = _PRINCIPAL_RE.match(principal)
    if match is None:
        raise invalid(
            f"The principalArn parameter format is not valid: {principal}", clusterName=cluster.name
        )
    if "/aws-service-role/" in principal:
        raise invalid(
            "The principalArn parameter is not valid: access entries do not support service-linked roles "
            f"({principal}). Map the role through the aws-auth ConfigMap instead.",
            clusterName=cluster.name,
        )
    entries = access_entries(cluster)
    if principal in entries:
        raise in_use(
            "The specified access entry resource is already in use on this cluster.", clusterName=cluster.name
        )
    entry_type = self._get_param("type") or "STANDARD"
    groups = self._get_param("kubernetesGroups") or []
    username = self._get_param("username")
    if entry_type == "STANDARD":
        bad = [g for g in groups if g.startswith("system:")]
        if bad:
            raise invalid(f"kubernetesGroups must not start with 'system:': {bad}", clusterName=cluster.name)
        if username and re.match(r"^(system:|eks:|aws:|amazon:|iam:)", username):
            raise invalid(f"username must not start with a reserved prefix: {username}")
    elif groups or username:
        raise invalid(
            f"kubernetesGroups and username are not allowed for access entries of type {entry_type}"
        )
    if username is None:
        account, kind, name = match.groups()
        if entry_type == "STANDARD":
            username = (
                f"arn:{backend.partition}:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}"
                if kind == "role"
                else principal
            )
        else:
            username = "system:node:{{EC2PrivateDNSName}}"
            groups = ["system:nodes"]
    entry = AccessEntry(
        cluster_name=cluster.name,
        principal_arn=principal,
        access_entry_arn=access_entry_arn(cluster, principal, backend.account_id, backend.region_name),
        kubernetes_groups=groups,
        username=username,
        type=entry_type,
        tags=self._get_param("tags") or {},
    )
    entries[principal] = entry
    return ActionResult({"accessEntry": entry.view()})


def describe_access_entry(self: EKSResponse) -> ActionResult:
    cluster = cluster_named(self.eks_backend, self._get_param("name"))
    return ActionResult({"accessEntry": _access_entry(cluster, self._get_param("principalArn")).view()})


def update_access_entry(self: EKSResponse) -> ActionResult:
    cluster = cluster_named(self.eks_backend, self._get_param("name"))
    entry = _access_entry(cluster, self._get_param("principalArn"))
    groups = self._get_param("kubernetesGroups")
    username = self._get_param("username")
    if groups is not None:
        entry.kubernetes_groups = groups
    if username is not None:
        entry.username = username
    entry.modified_at = utcnow()
    return ActionResult({"accessEntry": entry.view()})


def list_access_entries(self: EKSResponse) -> ActionResult:
    cluster = cluster_named(self.eks_backend, self._get_param("name"))
    policy = self._get_param("associatedPolicyArn")
    principals = [p for p, e in access_entries(cluster).items() if policy is None or policy in e.policies]
    page, token = paginated_list(
        principals, self._get_int_param("maxResults", 100), self._get_param("nextToken")
    )
    return ActionResult({"accessEntries": page, "nextToken": token})


def delete_access_entry(self: EKSResponse) -> ActionResult:
    cluster = cluster_named(self.eks_backend, self._get_param("name"))
    entry = _access_entry(cluster, self._get_param("principalArn"))
    del access_entries(cluster)[entry.principal_arn]
    return EmptyResult()


# ----------------------------------------------------------------------------- access policies
def associate_access_policy(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = cluster_named(backend, self._get_param("name"))
    entry = _access_entry(cluster, self._get_param("principalArn"))
    policy_arn = self._get_param("policyArn")
    known = {_POLICY_ARN.format(partition=backend.partition, name=n) for n in ACCESS_POLICIES}
    if policy_arn not in known:
        raise not_found(f"The specified policyArn could not be found: {policy_arn}", clusterName=cluster.name)
    scope = self._get_param("accessScope") or {}
    namespaces = scope.get("namespaces") or []
    if scope.get("type") == "namespace" and not namespaces:
        raise invalid("accessScope.namespaces is required when accessScope.type is namespace")
    if scope.get("type") == "cluster" and namespaces:
        raise invalid("accessScope.namespaces must be empty when accessScope.type is cluster")
    now = utcnow()
    previous = entry.policies.get(policy_arn)
    associated = {
        "policyArn": policy_arn,
        "accessScope": {"type": scope.get("type"), "namespaces": namespaces},
        "associatedAt": previous["associatedAt"] if previous else now,
        "modifiedAt": now,
    }
    entry.policies[policy_arn] = associated
    return ActionResult(
        {
            "clusterName": cluster.name,
            "principalArn": entry.principal_arn,
            "associatedAccessPolicy": associated,
        }
    )


def list_associated_access_policies(self: EKSResponse) -> ActionResult:
    cluster = cluster_named(self.eks_backend, self._get_param("name"))
    entry = _access_entry(cluster, self._get_param("principalArn"))
    return ActionResult(
        {
            "clusterName": cluster.name,
            "principalArn": entry.principal_arn,
            "associatedAccessPolicies": list(entry.policies.values()),
        }
    )


def disassociate_access_policy(self: EKSResponse) -> ActionResult:
    cluster = cluster_named(self.eks_backend, self._get_param("name"))
    entry = _access_entry(cluster, self._get_param("principalArn"))
    policy_arn = self._get_param("policyArn")
    if entry.policies.pop(policy_arn, None) is None:
        raise not_found(
            f"The specified policy {policy_arn} is not associated with {entry.principal_arn}",
            clusterName=cluster.name,
        )
    return EmptyResult()


def list_access_policies(self: EKSResponse) -> ActionResult:
    partition = self.eks_backend.partition
    return ActionResult(
        {
            "accessPolicies": [
                {"name": n, "arn": _POLICY_ARN.format(partition=partition, name=n)} for n in ACCESS_POLICIES
            ]
        }
    )


def _region_from_host(self: EKSResponse, request: Any, full_url: str) -> str:
    """The region from the URL's host only: moto reads it from the whole URL, where a principal's path
    (``role/aws-service-role/batch.amazonaws.com/...``, in an access entry's URL) looks like a host."""
    host_only = urlunsplit((*urlsplit(full_url)[:2], "", "", ""))
    return str(BaseResponse.get_region_from_url(self, request, host_only))


def install() -> None:
    add_operations(
        {
            "create_access_entry": create_access_entry,
            "describe_access_entry": describe_access_entry,
            "update_access_entry": update_access_entry,
            "list_access_entries": list_access_entries,
            "delete_access_entry": delete_access_entry,
            "associate_access_policy": associate_access_policy,
            "list_associated_access_policies": list_associated_access_policies,
            "disassociate_access_policy": disassociate_access_policy,
            "list_access_policies": list_access_policies,
        },
        (
            "{0}/access-policies$",
            "{0}/clusters/(?P<name>[^/]+)/access-entries$",
            "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<accessEntryPath>.+)$",
        ),
    )
    EKSResponse.get_region_from_url = _region_from_host  # type: ignore[method-assign, assignment]
    after("create_cluster", _keep_access_config)
    after("describe_cluster", _answer_access_config)
    EKSResponse.update_cluster_config = _update_cluster_config(EKSResponse.update_cluster_config)  # type: ignore[method-assign, assignment]


class ClusterAccessRecords:
    """Each cluster's authentication mode and access entries, for the local API servers' authenticators
    (:class:`local.kubernetes.eks_identities.ClusterAccess`): read live from the embedded EKS."""

    def _cluster(self, account: str, region: str, name: str) -> Cluster | None:
        found: Cluster | None = eks_backends[account][region].clusters.get(name)
        return found

    def authentication_mode(self, account: str, region: str, cluster: str) -> str | None:
        found = self._cluster(account, region, cluster)
        return authentication_mode(found) if found is not None else None

    def access_entries(self, account: str, region: str, cluster: str) -> list[AccessEntry]:
        found = self._cluster(account, region, cluster)
        return list(access_entries(found).values()) if found is not None else []
