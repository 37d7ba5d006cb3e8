"""EKS clusters, node groups and add-ons as slow as EKS's (local/embedded_aws/moto_gaps/eks_lifecycle.py,
readiness.py), through a real moto server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.embedded_aws.moto_gaps.readiness import READINESS
from tests.emulator.moto_gaps.support import NODE_ROLE, ROLE, active_cluster, error_code, unique_name


def test_deleted_cluster_is_not_found(eks: Any) -> None:
    # Given an ACTIVE cluster
    cluster = active_cluster(eks)
    # When it is deleted
    deleted = eks.delete_cluster(name=cluster)["cluster"]
    # Then the delete answers DELETING and the cluster is gone afterwards
    assert deleted["status"] == "DELETING"
    with pytest.raises(ClientError) as err:
        eks.describe_cluster(name=cluster)
    assert error_code(err) == "ResourceNotFoundException"
    assert cluster not in eks.list_clusters()["clusters"]


def _cluster_status(eks: Any, name: str) -> tuple[str, dict[str, Any]]:
    cluster = eks.describe_cluster(name=name)["cluster"]
    return cluster["status"], cluster.get("health", {})


@pytest.mark.parametrize("kind", ["cluster", "nodegroup", "addon"])
def test_eks_hold_then_ready(eks: Any, kind: str) -> None:
    # Given a hold of two describes on a resource about to be created
    cluster = unique_name("held") if kind == "cluster" else active_cluster(eks)
    name = _name(kind, cluster)
    READINESS.hold(kind, _hold_key(kind, cluster, name), 2)
    describe = _create_eks(eks, kind, cluster, name)
    # When it is described three times
    statuses = [describe()[0] for _ in range(3)]
    # Then it stays CREATING twice, then is ACTIVE
    assert statuses == ["CREATING", "CREATING", "ACTIVE"]


@pytest.mark.parametrize("kind", ["cluster", "nodegroup", "addon"])
def test_eks_hold_forever(eks: Any, kind: str) -> None:
    # Given a hold without end
    cluster = unique_name("held") if kind == "cluster" else active_cluster(eks)
    name = _name(kind, cluster)
    READINESS.hold(kind, _hold_key(kind, cluster, name), None)
    describe = _create_eks(eks, kind, cluster, name)
    # When it is described five times
    statuses = {describe()[0] for _ in range(5)}
    # Then it is never ACTIVE
    assert statuses == {"CREATING"}


@pytest.mark.parametrize(
    ("kind", "failed", "code"),
    [
        ("cluster", "FAILED", "InternalFailure"),
        ("nodegroup", "CREATE_FAILED", "InternalFailure"),
        ("addon", "CREATE_FAILED", "InternalFailure"),
    ],
)
def test_eks_hold_then_fail(eks: Any, kind: str, failed: str, code: str) -> None:
    # Given a hold of one describe that ends in failure
    cluster = unique_name("held") if kind == "cluster" else active_cluster(eks)
    name = _name(kind, cluster)
    READINESS.hold(kind, _hold_key(kind, cluster, name), 1, fail_reason="subnet ran out of addresses")
    describe = _create_eks(eks, kind, cluster, name)
    # When it is described twice
    first, second = describe(), describe()
    # Then it is CREATING, then failed with the reason in its health issues
    assert first[0] == "CREATING"
    assert second[0] == failed
    assert second[1]["issues"][0]["code"] == code
    assert second[1]["issues"][0]["message"] == "subnet ran out of addresses"


def _name(kind: str, cluster: str) -> str:
    """The resource's name: an add-on must be one EKS publishes."""
    return {"cluster": cluster, "addon": "coredns"}.get(kind) or unique_name(kind)


def _hold_key(kind: str, cluster: str, name: str) -> str:
    """A hold on this cluster's add-on only (every cluster's is named coredns)."""
    return f"{cluster}/{name}" if kind == "addon" else name


def _create_eks(eks: Any, kind: str, cluster: str, name: str) -> Callable[[], tuple[str, dict[str, Any]]]:
    if kind == "cluster":
        eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
        return lambda: _cluster_status(eks, name)
    if kind == "nodegroup":
        eks.create_nodegroup(
            clusterName=cluster, nodegroupName=name, subnets=["subnet-1"], nodeRole=NODE_ROLE
        )

        def nodegroup() -> tuple[str, dict[str, Any]]:
            ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
            return ng["status"], ng.get("health", {})

        return nodegroup
    eks.create_addon(clusterName=cluster, addonName=name)

    def addon() -> tuple[str, dict[str, Any]]:
        found = eks.describe_addon(clusterName=cluster, addonName=name)["addon"]
        return found["status"], found.get("health", {})

    return addon


def test_hold_rejects_unknown_kind() -> None:
    # When a hold names a kind that does not exist, Then it is refused at once
    with pytest.raises(ValueError, match="unknown kind"):
        READINESS.hold("job-queue", "x", 1)
