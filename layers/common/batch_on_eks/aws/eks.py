"""EKS: the cluster, its node group, add-ons and access entries, for the provision and teardown steps.

Each function makes one request and returns plain JSON-safe values (never a boto3 response: its
datetimes cannot go into an execution). "Already exists" and "already gone" are answers, not errors:
running a step again converges.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from batch_on_eks.aws.clients import client

CLUSTER_ADMIN_POLICY = "arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def _code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def _eks() -> Any:
    return client("eks")


def describe_cluster(name: str) -> dict[str, Any] | None:
    """The cluster's name, arn, status, endpoint, CA data, tags and health issues; None when it is gone."""
    try:
        cluster = _eks().describe_cluster(name=name)["cluster"]
    except ClientError as error:
        if _code(error) == "ResourceNotFoundException":
            return None
        raise
    return {
        "name": cluster["name"],
        "arn": cluster["arn"],
        "status": cluster.get("status"),
        "endpoint": cluster.get("endpoint"),
        "certificateAuthority": (cluster.get("certificateAuthority") or {}).get("data"),
        "tags": cluster.get("tags") or {},
        "issues": [issue.get("message", "") for issue in (cluster.get("health") or {}).get("issues", [])],
    }


def create_cluster(request: dict[str, Any]) -> None:
    """CreateCluster; a cluster of that name already there is left as it is (the caller checks its tags)."""
    try:
        _eks().create_cluster(**request)
    except ClientError as error:
        if _code(error) != "ResourceInUseException":
            raise


def delete_cluster(name: str) -> None:
    try:
        _eks().delete_cluster(name=name)
    except ClientError as error:
        if _code(error) != "ResourceNotFoundException":
            raise


def ensure_cluster_admin(cluster: str, principal_arn: str, partition: str) -> None:
    """An access entry for ``principal_arn`` with the cluster-admin access policy, cluster-wide."""
    eks = _eks()
    try:
        eks.create_access_entry(clusterName=cluster, principalArn=principal_arn, type="STANDARD")
    except ClientError as error:
        if _code(error) != "ResourceInUseException":
            raise
    eks.associate_access_policy(
        clusterName=cluster,
        principalArn=principal_arn,
        policyArn=CLUSTER_ADMIN_POLICY.format(partition=partition),
        accessScope={"type": "cluster"},
    )


def describe_nodegroup(cluster: str, name: str) -> dict[str, Any] | None:
    try:
        group = _eks().describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
    except ClientError as error:
        if _code(error) == "ResourceNotFoundException":
            return None
        raise
    return {
        "name": group["nodegroupName"],
        "arn": group["nodegroupArn"],
        "status": group.get("status"),
        "tags": group.get("tags") or {},
        "issues": [issue.get("message", "") for issue in (group.get("health") or {}).get("issues", [])],
    }


def create_nodegroup(request: dict[str, Any]) -> None:
    try:
        _eks().create_nodegroup(**request)
    except ClientError as error:
        if _code(error) != "ResourceInUseException":
            raise


def delete_nodegroup(cluster: str, name: str) -> None:
    try:
        _eks().delete_nodegroup(clusterName=cluster, nodegroupName=name)
    except ClientError as error:
        if _code(error) != "ResourceNotFoundException":
            raise


def describe_addon(cluster: str, name: str) -> dict[str, Any] | None:
    try:
        addon = _eks().describe_addon(clusterName=cluster, addonName=name)["addon"]
    except ClientError as error:
        if _code(error) == "ResourceNotFoundException":
            return None
        raise
    return {
        "name": addon["addonName"],
        "arn": addon.get("addonArn"),
        "status": addon.get("status"),
        "tags": addon.get("tags") or {},
        "issues": [issue.get("message", "") for issue in (addon.get("health") or {}).get("issues", [])],
    }


def create_addon(request: dict[str, Any]) -> None:
    """CreateAddon; an add-on already installed is updated to the same settings instead (converges)."""
    eks = _eks()
    try:
        eks.create_addon(**request)
    except ClientError as error:
        if _code(error) != "ResourceInUseException":
            raise
        update = {k: v for k, v in request.items() if k not in ("tags",)}
        eks.update_addon(**update)


def delete_addon(cluster: str, name: str) -> None:
    try:
        _eks().delete_addon(clusterName=cluster, addonName=name)
    except ClientError as error:
        if _code(error) != "ResourceNotFoundException":
            raise
