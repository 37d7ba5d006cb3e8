"""EKS: the cluster, its node group, add-ons and access entries, for the provision and teardown steps.

Each function makes one request. "Already exists" and "already gone" are answers, not errors: running a
step again converges.
"""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws.clients import client
from batch_on_eks.errors import AwsRequestFailed
from batch_on_eks.models.kubernetes_versions import ClusterVersion
from batch_on_eks.models.resources import AwsResource, EksCluster

CLUSTER_ADMIN_POLICY = "arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
_NOT_FOUND = "ResourceNotFoundException"
_IN_USE = "ResourceInUseException"


def _eks() -> Any:
    return client("eks")


def _issues(described: dict[str, Any]) -> tuple[str, ...]:
    return tuple(issue.get("message", "") for issue in (described.get("health") or {}).get("issues", []))


def _described(call: Any, key: str, **request: Any) -> dict[str, Any] | None:
    try:
        return dict(call(**request)[key])
    except AwsRequestFailed as error:
        if error.code == _NOT_FOUND:
            return None
        raise


def _unless(code: str, call: Any, **request: Any) -> None:
    """Make the request; AWS answering ``code`` means it is already as asked."""
    try:
        call(**request)
    except AwsRequestFailed as error:
        if error.code != code:
            raise


def describe_cluster(name: str) -> EksCluster | None:
    """The cluster; None when it is gone."""
    cluster = _described(_eks().describe_cluster, "cluster", name=name)
    if cluster is None:
        return None
    return EksCluster(
        name=cluster["name"],
        arn=cluster["arn"],
        status=cluster.get("status"),
        tags=cluster.get("tags") or {},
        issues=_issues(cluster),
        endpoint=cluster.get("endpoint"),
        certificate_authority=(cluster.get("certificateAuthority") or {}).get("data"),
        version=cluster.get("version"),
        support_type=(cluster.get("upgradePolicy") or {}).get("supportType"),
        security_group_id=(cluster.get("resourcesVpcConfig") or {}).get("clusterSecurityGroupId"),
        authentication_mode=(cluster.get("accessConfig") or {}).get("authenticationMode"),
    )


def _day(value: Any) -> str | None:
    return value.date().isoformat() if value is not None else None


def cluster_versions() -> list[ClusterVersion]:
    """Every Kubernetes version EKS knows, supported or not (``includeAll``), with its status today."""
    versions = []
    request: dict[str, Any] = {"includeAll": True}
    while True:
        page = _eks().describe_cluster_versions(**request)
        versions += [
            ClusterVersion(
                version=item["clusterVersion"],
                status=item.get("versionStatus") or "",
                end_of_standard_support=_day(item.get("endOfStandardSupportDate")),
                end_of_extended_support=_day(item.get("endOfExtendedSupportDate")),
            )
            for item in page.get("clusterVersions") or []
        ]
        if not page.get("nextToken"):
            return versions
        request["nextToken"] = page["nextToken"]


def create_cluster(request: dict[str, Any]) -> None:
    """CreateCluster; a cluster of that name already there is left as it is (the caller checks its tags)."""
    _unless(_IN_USE, _eks().create_cluster, **request)


def delete_cluster(name: str) -> None:
    _unless(_NOT_FOUND, _eks().delete_cluster, name=name)


def ensure_cluster_admin(cluster: str, principal_arn: str, partition: str) -> None:
    """An access entry for ``principal_arn`` with the cluster-admin access policy, cluster-wide."""
    eks = _eks()
    _unless(
        _IN_USE, eks.create_access_entry, clusterName=cluster, principalArn=principal_arn, type="STANDARD"
    )
    eks.associate_access_policy(
        clusterName=cluster,
        principalArn=principal_arn,
        policyArn=CLUSTER_ADMIN_POLICY.format(partition=partition),
        accessScope={"type": "cluster"},
    )


def ensure_node_access_entry(cluster: str, role_arn: str) -> None:
    """An ``EC2_LINUX`` access entry for ``role_arn``: nodes with that role join the cluster (EKS gives the
    entry the node's username and group itself; it takes no access policy). Already there is done."""
    _unless(_IN_USE, _eks().create_access_entry, clusterName=cluster, principalArn=role_arn, type="EC2_LINUX")


def ensure_pod_identity_association(
    cluster: str, namespace: str, service_account: str, role_arn: str
) -> None:
    """EKS Pod Identity: the service account's pods get ``role_arn``'s credentials. One there is done (a
    service account has at most one association)."""
    _unless(
        _IN_USE,
        _eks().create_pod_identity_association,
        clusterName=cluster,
        namespace=namespace,
        serviceAccount=service_account,
        roleArn=role_arn,
    )


def remove_access_entry(cluster: str, principal_arn: str) -> None:
    """DeleteAccessEntry (its access policies go with it); an entry already gone is done."""
    _unless(_NOT_FOUND, _eks().delete_access_entry, clusterName=cluster, principalArn=principal_arn)


def describe_nodegroup(cluster: str, name: str) -> AwsResource | None:
    group = _described(_eks().describe_nodegroup, "nodegroup", clusterName=cluster, nodegroupName=name)
    if group is None:
        return None
    return AwsResource(
        name=group["nodegroupName"],
        arn=group["nodegroupArn"],
        status=group.get("status"),
        tags=group.get("tags") or {},
        issues=_issues(group),
    )


def create_nodegroup(request: dict[str, Any]) -> None:
    _unless(_IN_USE, _eks().create_nodegroup, **request)


def delete_nodegroup(cluster: str, name: str) -> None:
    _unless(_NOT_FOUND, _eks().delete_nodegroup, clusterName=cluster, nodegroupName=name)


def describe_addon(cluster: str, name: str) -> AwsResource | None:
    addon = _described(_eks().describe_addon, "addon", clusterName=cluster, addonName=name)
    if addon is None:
        return None
    return AwsResource(
        name=addon["addonName"],
        arn=addon.get("addonArn"),
        status=addon.get("status"),
        tags=addon.get("tags") or {},
        issues=_issues(addon),
    )


def default_addon_version(addon: str, kubernetes_version: str) -> str | None:
    """EKS's default version of ``addon`` for clusters on ``kubernetes_version`` (DescribeAddonVersions)."""
    request: dict[str, Any] = {"addonName": addon, "kubernetesVersion": kubernetes_version}
    while True:
        page = _eks().describe_addon_versions(**request)
        for found in page.get("addons") or []:
            for version in found.get("addonVersions") or []:
                for compatibility in version.get("compatibilities") or []:
                    if compatibility.get("clusterVersion") == kubernetes_version and compatibility.get(
                        "defaultVersion"
                    ):
                        return str(version["addonVersion"])
        if not page.get("nextToken"):
            return None
        request["nextToken"] = page["nextToken"]


def create_addon(request: dict[str, Any]) -> None:
    """CreateAddon; an add-on already installed is updated to the same settings instead (converges)."""
    eks = _eks()
    try:
        eks.create_addon(**request)
    except AwsRequestFailed as error:
        if error.code != _IN_USE:
            raise
        eks.update_addon(**{k: v for k, v in request.items() if k != "tags"})


def delete_addon(cluster: str, name: str) -> None:
    _unless(_NOT_FOUND, _eks().delete_addon, clusterName=cluster, addonName=name)
