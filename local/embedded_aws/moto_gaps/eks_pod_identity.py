"""EKS Pod Identity associations (Create/Describe/List/Delete), which moto lacks: a cluster's service account
gets an IAM role. An add-on may own some (:mod:`.eks_addons`); they go with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks.models import Cluster, EKSBackend
from moto.eks.responses import EKSResponse
from moto.moto_api._internal import mock_random as random

from local.embedded_aws.moto_gaps.eks_api import (
    add_operations,
    cluster_named,
    cluster_records,
    in_use,
    not_found,
)

_SUMMARY = {
    "clusterName",
    "namespace",
    "serviceAccount",
    "associationArn",
    "associationId",
    "ownerArn",
}


@dataclass
class PodIdentity:
    cluster_name: str
    namespace: str
    service_account: str
    role_arn: str
    association_id: str
    association_arn: str
    tags: dict[str, str]
    disable_session_tags: bool
    target_role_arn: str | None
    owner_arn: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    modified_at: datetime = field(default_factory=utcnow)

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "clusterName": self.cluster_name,
            "namespace": self.namespace,
            "serviceAccount": self.service_account,
            "roleArn": self.role_arn,
            "associationArn": self.association_arn,
            "associationId": self.association_id,
            "tags": self.tags,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "disableSessionTags": self.disable_session_tags,
        }
        if self.owner_arn:
            out["ownerArn"] = self.owner_arn
        if self.target_role_arn:
            out["targetRoleArn"] = self.target_role_arn
        return out

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in self.view().items() if k in _SUMMARY}
        return out


def associations(cluster: Cluster) -> dict[str, PodIdentity]:
    """The cluster's associations by id."""
    return cluster_records(cluster, "pod_identities")


def new_pod_identity(
    backend: EKSBackend,
    cluster: Cluster,
    namespace: str,
    service_account: str,
    role_arn: str,
    tags: dict[str, str],
    disable_session_tags: bool,
    target_role_arn: str | None,
) -> PodIdentity:
    known = associations(cluster)
    for existing in known.values():
        if (existing.namespace, existing.service_account) == (namespace, service_account):
            raise in_use(
                f"Association already exists: {existing.association_id} for namespace {namespace} "
                f"and service account {service_account}",
                clusterName=cluster.name,
            )
    association_id = "a-" + random.get_random_string(17, lower_case=True)
    pid = PodIdentity(
        cluster_name=cluster.name,
        namespace=namespace,
        service_account=service_account,
        role_arn=role_arn,
        association_id=association_id,
        association_arn=(
            f"arn:{backend.partition}:eks:{backend.region_name}:{backend.account_id}:"
            f"podidentityassociation/{cluster.name}/{association_id}"
        ),
        tags=tags,
        disable_session_tags=disable_session_tags,
        target_role_arn=target_role_arn,
    )
    known[association_id] = pid
    return pid


def _pod_identity(cluster: Cluster, association_id: str) -> PodIdentity:
    try:
        return associations(cluster)[association_id]
    except KeyError:
        raise not_found(f"Association not found: {association_id}", clusterName=cluster.name) from None


def create_pod_identity_association(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = cluster_named(backend, self._get_param("name"))
    pid = new_pod_identity(
        backend,
        cluster,
        self._get_param("namespace"),
        self._get_param("serviceAccount"),
        self._get_param("roleArn"),
        self._get_param("tags") or {},
        bool(self._get_param("disableSessionTags", False)),
        self._get_param("targetRoleArn"),
    )
    return ActionResult({"association": pid.view()})


def describe_pod_identity_association(self: EKSResponse) -> ActionResult:
    cluster = cluster_named(self.eks_backend, self._get_param("name"))
    return ActionResult({"association": _pod_identity(cluster, self._get_param("associationId")).view()})


def list_pod_identity_associations(self: EKSResponse) -> ActionResult:
    cluster = cluster_named(self.eks_backend, self._get_param("name"))
    namespace = self._get_param("namespace")
    service_account = self._get_param("serviceAccount")
    found = [
        p.summary()
        for p in associations(cluster).values()
        if (namespace is None or p.namespace == namespace)
        and (service_account is None or p.service_account == service_account)
    ]
    return ActionResult({"associations": found})


def delete_pod_identity_association(self: EKSResponse) -> ActionResult:
    cluster = cluster_named(self.eks_backend, self._get_param("name"))
    pid = _pod_identity(cluster, self._get_param("associationId"))
    del associations(cluster)[pid.association_id]
    return ActionResult({"association": pid.view()})


def install() -> None:
    add_operations(
        {
            "create_pod_identity_association": create_pod_identity_association,
            "describe_pod_identity_association": describe_pod_identity_association,
            "list_pod_identity_associations": list_pod_identity_associations,
            "delete_pod_identity_association": delete_pod_identity_association,
        },
        (
            "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations$",
            "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations/(?P<associationId>[^/]+)$",
        ),
    )
